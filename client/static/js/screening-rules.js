// Safety-check ("screening") evaluation for the offline app. Pure: no DOM, no imports,
// no storage, so it runs the same in the page, a worker or Node (the tests do that).
//
// `rules` is content/screening.yaml as JSON. This must give exactly the same result as
// server/screening.py (level AND order of reasons), because the person may see either;
// tests/test_screening_rules.py compares the two on every possible set of answers.
// Change both together.

const SELF_CARE = 'self-care';
const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

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

/**
 * The most urgent level any yes (or all-yes combination) gives, with every reason.
 *
 * Only a real `true` counts as yes: unanswered, false, or a malformed value such as
 * "yes" triggers nothing (same `is True` test as the server).
 * Reasons: most urgent level first; within a level, file order, questions before
 * combinations.
 * @returns {{level: string, reasons: string[]}}
 */
export function evaluate(rules, answers) {
  const given = answers || {};
  const isYes = (id) => hasOwn(given, id) && given[id] === true;

  const triggered = []; // [rank, questions first (0) / combinations (1), index, reason]
  rules.questions.forEach((question, index) => {
    if (isYes(question.id)) triggered.push([knownRank(rules, question), 0, index, question.reason]);
  });
  (rules.combinations || []).forEach((combo, index) => {
    if (combo.all.every(isYes)) triggered.push([knownRank(rules, combo), 1, index, combo.reason]);
  });

  if (triggered.length === 0) return { level: SELF_CARE, reasons: [] };
  // The three numeric keys are unique per item, so the reason text never decides order.
  triggered.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  return { level: rules.levels[triggered[0][0]].id, reasons: triggered.map((t) => t[3]) };
}

// The region subtag of a BCP 47 tag ("en-GB" -> "GB", "zh-Hant-TW" -> "TW"), or null.
function regionOf(locale) {
  const parts = locale.split(/[-_]/);
  for (const part of parts.slice(1)) {
    if (/^[A-Za-z]{2}$/.test(part)) return part.toUpperCase();
    // Skip a script ("Hant") or extended language ("yue"); anything else (a numeric
    // region such as 419, a variant, an extension) means there is no usable region.
    if (/^[A-Za-z]{3,4}$/.test(part)) continue;
    return null;
  }
  return null;
}

/**
 * The number to show: a digits-only `override` (the person's own setting) wins; else
 * the first locale (e.g. the browser's language list) whose region is listed; else `default`.
 */
export function emergencyNumber(rules, locales, override) {
  if (typeof override === 'string' && /^[0-9]+$/.test(override)) return override;
  const numbers = rules.emergency_numbers;
  const list = typeof locales === 'string' ? [locales] : locales || [];
  for (const locale of list) {
    if (typeof locale !== 'string') continue;
    const region = regionOf(locale);
    if (region !== null && hasOwn(numbers, region)) return String(numbers[region]);
  }
  return String(numbers.default);
}
