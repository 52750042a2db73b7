// Safety-check ("screening") evaluation and emergency-number rules for the offline
// app. Pure: no DOM, no imports, no storage, so it runs the same in the page, a worker
// or Node (the tests do that).
//
// `rules` is content/screening.yaml as JSON. Every function here must give exactly the
// same result as its twin in server/screening.py (level, order of reasons, advice,
// numbers), because the person may see either; tests/test_screening_rules.py compares
// the two on every single answer, pair and triple and on 100,000 random answer sets.
// Change both together.

const SELF_CARE = 'self-care';
export const UNSURE = 'unsure';
const hasOwn = (obj, key) => obj !== null && typeof obj === 'object' && Object.prototype.hasOwnProperty.call(obj, key);

/** 0 for the most urgent level (rules.levels is ordered most urgent first); -1 if unknown. */
export function levelRank(rules, levelId) {
  return rules.levels.findIndex((level) => level.id === levelId);
}

function knownRank(rules, item) {
  // Fail loudly: silently ranking an unknown level could hide an emergency.
  const rank = levelRank(rules, item.level);
  if (rank < 0) throw new Error(`'${item.id}' has unknown level '${item.level}'`);
  return rank;
}

/** true or "unsure" ("not sure" counts as yes). Anything else, "yes", 1 or null included, counts as no. */
export function isPositive(value) {
  return value === true || value === UNSURE;
}

/** Every sign of every question answered true or "unsure". */
export function presentSigns(rules, answers) {
  const present = new Set();
  for (const question of rules.questions) {
    if (hasOwn(answers, question.id) && isPositive(answers[question.id])) {
      for (const sign of question.signs) present.add(sign);
    }
  }
  return present;
}

/**
 * The most urgent level any present sign (or triggered combination) gives, with every
 * reason and every piece of advice. A question left out counts as no.
 * Reasons: most urgent level first; within a level, file order, signs before
 * combinations. Advice: triggered combinations first, then present signs, file order.
 * @returns {{level: string, reasons: string[], advice: string[]}}
 */
export function evaluate(rules, answers) {
  const present = presentSigns(rules, answers);
  const triggered = []; // [rank, signs (0) / combinations (1), index, reason]
  const advice = [];
  rules.signs.forEach((sign, index) => {
    if (present.has(sign.id) && sign.level) triggered.push([knownRank(rules, sign), 0, index, sign.reason]);
  });
  (rules.combinations || []).forEach((combo, index) => {
    if (combo.all.every((group) => group.some((sign) => present.has(sign)))) {
      triggered.push([knownRank(rules, combo), 1, index, combo.reason]);
      if (combo.advice) advice.push(combo.advice);
    }
  });
  for (const sign of rules.signs) if (present.has(sign.id) && sign.advice) advice.push(sign.advice);

  if (triggered.length === 0) return { level: SELF_CARE, reasons: [], advice };
  // The three numeric keys are unique per item, so the reason text never decides order.
  triggered.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  return { level: rules.levels[triggered[0][0]].id, reasons: triggered.map((t) => t[3]), advice };
}

/** Question ids with no answer (counted as no), in the order they are asked. */
export function unanswered(rules, answers) {
  return rules.questions.filter((q) => !hasOwn(answers, q.id)).map((q) => q.id);
}

// --- Region and numbers ---------------------------------------------------------------

/** The region subtag of a BCP 47 tag ("en-GB" -> "GB", "zh-Hant-TW" -> "TW"), or null. */
export function regionFromLanguage(tag) {
  if (typeof tag !== 'string') return null;
  for (const part of tag.split(/[-_]/).slice(1)) {
    if (/^[A-Za-z]{2}$/.test(part)) return part.toUpperCase();
    // Skip a script ("Hant") or extended language ("yue"); anything else (a numeric
    // region such as 419, a variant, an extension) means there is no usable region.
    if (/^[A-Za-z]{3,4}$/.test(part)) continue;
    return null;
  }
  return null;
}

/**
 * Where the person probably is: their saved setting, then the device's time zone
 * (through the zone-to-country map), then the first browser language naming a region.
 * The time zone comes first because many phones report US English wherever they are.
 * @returns {{region: string|null, source: 'setting'|'time-zone'|'language'|'none'}}
 */
export function regionFor(zones, saved, timeZone, languages) {
  if (typeof saved === 'string' && /^[A-Z]{2}$/.test(saved)) return { region: saved, source: 'setting' };
  if (typeof timeZone === 'string' && hasOwn(zones, timeZone)) return { region: zones[timeZone], source: 'time-zone' };
  const list = typeof languages === 'string' ? [languages] : languages || [];
  for (const tag of list) {
    const region = regionFromLanguage(tag);
    if (region !== null) return { region, source: 'language' };
  }
  return { region: null, source: 'none' };
}

export function validNumber(value) {
  return typeof value === 'string' && /^[0-9]{2,6}$/.test(value);
}

/**
 * The number to offer: the person's own (2-6 digits) wins; else the region's; else the
 * rules' default. source "default" means we do not know it (show how to set it).
 * @returns {{number: string, source: 'setting'|'region'|'default'}}
 */
export function emergencyNumber(rules, region, override) {
  if (validNumber(override)) return { number: override, source: 'setting' };
  const numbers = rules.emergency_numbers;
  if (typeof region === 'string' && region !== 'default' && hasOwn(numbers, region)) {
    return { number: String(numbers[region]), source: 'region' };
  }
  return { number: String(numbers.default), source: 'default' };
}

/** The region's urgent, non-emergency service ({name, number}), or null. */
export function urgentService(rules, region) {
  const services = rules.urgent_services || {};
  if (typeof region === 'string' && hasOwn(services, region)) {
    return { name: services[region].name, number: services[region].number };
  }
  return null;
}

/**
 * A saved number that is not the emergency number of a known region (111 in GB) gets
 * a warning: {expected, service} (service: the urgent line's name when the saved
 * number is that line), or null.
 */
export function numberWarning(rules, region, saved) {
  if (!validNumber(saved)) return null;
  const numbers = rules.emergency_numbers;
  if (typeof region !== 'string' || region === 'default' || !hasOwn(numbers, region)) return null;
  const expected = String(numbers[region]);
  if (saved === expected) return null;
  const service = urgentService(rules, region);
  return { expected, service: service && service.number === saved ? service.name : null };
}

/** {area: {country: "City1 City2"}} (server/regions.py compact_zones) -> {zone: country}. */
export function zonesFromCompact(compact) {
  const zones = {};
  for (const [area, countries] of Object.entries(compact)) {
    for (const [country, cities] of Object.entries(countries)) {
      for (const city of cities.split(' ')) zones[`${area}/${city}`] = country;
    }
  }
  return zones;
}
