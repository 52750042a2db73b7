// Everything the person tells the app lives here, in this browser only.
//
// One key per concern, JSON values, and one place that knows the keys and their shapes,
// so export, import and erase can never miss one and no stored value can break a page:
// read() passes every value through its key's schema. A missing value gives the
// default; a corrupt or wrongly shaped one is repaired in memory (bad list items
// dropped, bad fields set to their default, or the whole value replaced by the default)
// and reported once per page load with console.warn. Nothing is thrown, and nothing is
// written back: a value this version does not understand is left for the person to
// export, never destroyed by a read.
//
// The same schemas check imports (transfer.js) in strict mode: any problem refuses the
// file. Keys such as __proto__ are refused everywhere.
import DEVICE from './reminder-data.js';
import APP_DATA from './app-data.js';
import { localDate } from './dom.js';
import { storedHelp } from './number-fill.js';

export { localDate };

export const KEYS = {
  plan: 'mbr.plan',            // { choices: [ids], skipped: bool, updated: iso }
  history: 'mbr.history',      // [{ date, at, routine, title, minutes, seconds }]
  screenings: 'mbr.screenings', // [{ date, at, version, level, reasons, advice, answers, unanswered, stopped }]
  profile: 'mbr.profile',      // safety-check facts asked once: { answers: {id: true|false|'unsure'}, age, ageAsOf }
  assessed: 'mbr.assessed',    // "a clinician has checked me" after a hold: { at, covered: [question ids] }
  preferences: 'mbr.preferences', // { emergencyNumber, region, speech, sound, vibrate, generalCaution }
  reminders: DEVICE.storage.plan_key, // reminder plan, state and log (reminder-store.js)
  player: 'mbr.player',        // an unfinished routine, to resume after a reload
  localHelp: 'mbr.localHelp',  // the emergency number last worked out, for the next first paint
};

// Moved between phones by export and import; everything in KEYS except the one that
// only makes sense on this phone right now. Erase removes every key.
export const TRANSIENT_KEYS = ['player', 'localHelp'];

export const EXPORT_FORMAT = 'mid-back-relief-export';
export const EXPORT_VERSION = 1;

// --- Schemas ------------------------------------------------------------------------
// A schema is { default(), parse(value, path, problems) -> value }. parse never throws:
// it returns the value, repaired, and adds a line to `problems` for each thing wrong.

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = (v) => (v === null || typeof v !== 'object' ? v : JSON.parse(JSON.stringify(v)));
const describe = (v) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v);

function schema(def, parse) {
  return { default: () => clone(def), parse };
}

function text({ max = 2000, pattern = null, def = '', what = 'text' } = {}) {
  return schema(def, (v, path, problems) => {
    if (typeof v === 'string' && v.length <= max && (!pattern || pattern.test(v))) return v;
    problems.push(`${path}: expected ${what}, found ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : describe(v)}.`);
    return clone(def);
  });
}

function number({ min = -Infinity, max = Infinity, integer = false, def = 0 } = {}) {
  return schema(def, (v, path, problems) => {
    if (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v))) return v;
    problems.push(`${path}: expected ${integer ? 'a whole number' : 'a number'}${Number.isFinite(min) ? ` from ${min}` : ''}${Number.isFinite(max) ? ` to ${max}` : ''}, found ${JSON.stringify(v)}.`);
    return def;
  });
}

function boolean(def = false) {
  return schema(def, (v, path, problems) => {
    if (typeof v === 'boolean') return v;
    problems.push(`${path}: expected true or false, found ${describe(v)}.`);
    return def;
  });
}

function oneOf(values, def = values[0]) {
  return schema(def, (v, path, problems) => {
    if (values.includes(v)) return v;
    problems.push(`${path}: expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}.`);
    return def;
  });
}

function nullable(inner) {
  return schema(null, (v, path, problems) => (v === null ? null : inner.parse(v, path, problems)));
}

// A field that may be left out of an object (an explicit undefined cannot be stored).
function optional(inner) {
  return { ...inner, optional: true };
}

// Any JSON value without forbidden keys, at most `depth` levels deep: for fields other
// versions may add (preferences, the player's state).
function json(depth = 4) {
  const check = (v, path, problems, level) => {
    if (v === null || ['string', 'boolean'].includes(typeof v) || (typeof v === 'number' && Number.isFinite(v))) return true;
    if (typeof v !== 'object' || level >= depth) {
      problems.push(`${path}: not allowed here.`);
      return false;
    }
    for (const [k, x] of Object.entries(v)) {
      if (FORBIDDEN_KEYS.has(k)) {
        problems.push(`${path}: the key "${k}" is not allowed.`);
        return false;
      }
      if (!check(x, `${path}.${k}`, problems, level + 1)) return false;
    }
    return true;
  };
  return schema(null, (v, path, problems) => (check(v, path, problems, 0) ? clone(v) : null));
}

// A list; an item with a problem is dropped (the rest are kept), a list longer than
// `max` keeps its newest (last) items.
function list(item, { max = 1000, min = 0 } = {}) {
  return schema([], (v, path, problems) => {
    if (!Array.isArray(v)) {
      problems.push(`${path}: expected a list, found ${describe(v)}.`);
      return [];
    }
    let items = v;
    if (items.length > max) {
      problems.push(`${path}: more than ${max} items.`);
      items = items.slice(-max);
    }
    const out = [];
    items.forEach((x, i) => {
      const before = problems.length;
      const parsed = item.parse(x, `${path}[${i}]`, problems);
      if (problems.length === before) out.push(parsed);
    });
    if (out.length < min) problems.push(`${path}: needs at least ${min} item${min === 1 ? '' : 's'}.`);
    return out;
  });
}

// An object with known fields. extra: what to do with other keys - 'drop' (a problem)
// or a schema they must meet (kept when they do).
function object(fields, { extra = 'drop' } = {}) {
  const def = () => {
    const out = {};
    for (const [k, f] of Object.entries(fields)) if (!f.optional) out[k] = f.default();
    return out;
  };
  return {
    default: def,
    parse(v, path, problems) {
      if (!isObject(v)) {
        problems.push(`${path}: expected an object, found ${describe(v)}.`);
        return def();
      }
      const out = {};
      for (const k of Object.keys(v)) {
        if (FORBIDDEN_KEYS.has(k)) problems.push(`${path}: the key "${k}" is not allowed.`);
        else if (Object.hasOwn(fields, k)) out[k] = fields[k].parse(v[k], `${path}.${k}`, problems);
        else if (extra === 'drop') problems.push(`${path}: unknown field "${k}".`);
        else {
          const before = problems.length;
          const parsed = extra.parse(v[k], `${path}.${k}`, problems);
          if (problems.length === before) out[k] = parsed;
        }
      }
      for (const [k, f] of Object.entries(fields)) {
        if (Object.hasOwn(out, k) || f.optional) continue;
        problems.push(`${path}: missing "${k}".`);
        out[k] = f.default();
      }
      return out;
    },
  };
}

// An object used as a map: keys match `key`, values meet `value`; a bad entry is dropped.
function record(value, { key = /^[A-Za-z0-9_-]{1,64}$/, max = 200 } = {}) {
  return schema({}, (v, path, problems) => {
    if (!isObject(v)) {
      problems.push(`${path}: expected an object, found ${describe(v)}.`);
      return {};
    }
    const entries = Object.entries(v);
    if (entries.length > max) problems.push(`${path}: more than ${max} entries.`);
    const out = {};
    for (const [k, x] of entries.slice(0, max)) {
      if (FORBIDDEN_KEYS.has(k) || !key.test(k)) {
        problems.push(`${path}: the key "${k.slice(0, 40)}" is not allowed.`);
        continue;
      }
      const before = problems.length;
      const parsed = value.parse(x, `${path}.${k}`, problems);
      if (problems.length === before) out[k] = parsed;
    }
    return out;
  });
}

// All or nothing: any problem inside gives the default (a half-repaired reminder plan
// would remind at the wrong times; the default plan is the safer guess).
function whole(inner) {
  return schema(inner.default(), (v, path, problems) => {
    const before = problems.length;
    const out = inner.parse(v, path, problems);
    return problems.length > before ? inner.default() : out;
  });
}

export const types = { text, whole, number, boolean, oneOf, nullable, optional, json, list, object, record };

// --- The app's keys -------------------------------------------------------------------

const DATE = text({ max: 10, pattern: /^\d{4}-\d{2}-\d{2}$/, what: 'a date (YYYY-MM-DD)' });
const INSTANT = text({ max: 40, pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/, what: 'a date and time' });
const ID = text({ max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, what: 'an id' });
// What the player ran: a routine's id, or `stretch:<exercise id>` for "Time this stretch"
// on a stretch page (progress-rules.js historyRun tells them apart).
const RUN_ID = text({ max: 72, pattern: /^(stretch:)?[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, what: 'a routine or stretch id' });
const HHMM = text({ max: 5, pattern: /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, what: 'a time (HH:MM)' });
const TIME_OF_DAY = text({ max: 5, pattern: /^([01]\d|2[0-3]):[0-5]\d$/, what: 'a time of day (HH:MM)' });
const ANSWER = oneOf([true, false, 'unsure']);
const EPOCH_MS = number({ min: 0, max: 8.64e15 });
const RULES = DEVICE.rules;

export const SCHEMAS = {
  plan: nullable(object({
    choices: list(ID, { max: 100 }),
    skipped: optional(boolean()),
    updated: optional(INSTANT),
  })),
  history: list(object({
    date: DATE,
    at: optional(INSTANT),
    routine: RUN_ID,
    title: optional(text({ max: 200 })),
    minutes: number({ min: 0, max: 600 }),
    // Exact length, written by the player beside minutes (older entries have none).
    seconds: optional(number({ min: 0, max: 36000 })),
  }), { max: 5000 }),
  screenings: list(object({
    date: DATE,
    at: INSTANT,
    version: optional(text({ max: 40 })),
    level: oneOf(DEVICE.screening_levels),
    reasons: list(text({ max: 1000 }), { max: 100 }),
    advice: optional(list(text({ max: 1000 }), { max: 100 })),
    answers: optional(record(ANSWER)),
    unanswered: optional(list(ID, { max: 200 })),
    stopped: optional(boolean()),
  }), { max: 1000 }),
  profile: nullable(object({
    answers: record(ANSWER),
    age: optional(nullable(number({ min: 1, max: 120, integer: true }))),
    ageAsOf: optional(nullable(DATE)),
    updated: optional(INSTANT),
  })),
  assessed: nullable(object({ at: INSTANT, covered: list(ID, { max: 200 }) })),
  preferences: object({
    emergencyNumber: optional(text({ max: 6, pattern: /^(\d{2,6})?$/, what: '2 to 6 digits' })),
    region: optional(text({ max: 2, pattern: /^([A-Z]{2})?$/, what: 'a two-letter region code' })),
    speech: optional(boolean()),
    sound: optional(boolean()),
    vibrate: optional(boolean()),
    generalCaution: optional(boolean()),
  }, { extra: json(2) }),
  reminders: nullable(object({
    v: optional(number({ min: 1, max: 100, integer: true })),
    settings: whole(nullable(object({
      timezone: text({ max: 64, pattern: /^[A-Za-z0-9_+\-/]{1,64}$/, what: 'a time zone' }),
      windows: list(object({ start: HHMM, end: HHMM }), { max: DEVICE.max_windows, min: 1 }),
      days: list(oneOf(RULES.day_names), { max: 7, min: 1 }),
      // Every so often: an interval; once a day (the check-in): its own time and days.
      types: record(object({
        on: boolean(),
        interval: optional(number({ min: RULES.min_interval, max: RULES.max_interval, integer: true, def: 30 })),
        time: optional(TIME_OF_DAY),
        days: optional(list(oneOf(RULES.day_names), { max: 7, min: 1 })),
      }), { max: 20 }),
      target: number({ min: 1, max: 20, integer: true, def: 8 }),
      custom: boolean(),
    }))),
    state: optional(object({
      pausedUntil: nullable(EPOCH_MS),
      snoozed: record(EPOCH_MS, { max: 20 }),
      notBefore: record(EPOCH_MS, { max: 20 }),
      lastCheck: nullable(EPOCH_MS),
    })),
    log: optional(list(object({
      date: DATE,
      type: ID,
      action: oneOf(Object.keys(DEVICE.action_titles)),
      at: INSTANT,
      id: optional(text({ max: 100 })),
    }), { max: 5000 })),
    synced: optional(nullable(text({ max: 20000 }))),
  })),
  player: nullable(object({
    routine: RUN_ID,
    index: number({ min: 0, max: 1000, integer: true }),
  }, { extra: json(2) })),
  // Worked out again on every page (emergency.js). One rule for its shape: the one the
  // inline first-paint copy of number-fill.js applies before filling anything in.
  localHelp: schema(null, (v, path, problems) => {
    if (v === null) return null;
    const help = storedHelp(v);
    if (!help) problems.push(`${path}: expected an emergency number and its source, found ${describe(v)}.`);
    return help;
  }),
};

/** Check `value` against the schema of section `name` (a KEYS name). Returns the
 * repaired value and every problem; strict callers refuse when there are problems. */
export function check(name, value) {
  const problems = [];
  const s = SCHEMAS[name];
  const clean = s ? s.parse(value, name, problems) : clone(value);
  return { value: clean, problems };
}

// --- Reading and writing ------------------------------------------------------------

const NAMES = Object.fromEntries(Object.entries(KEYS).map(([name, key]) => [key, name]));
const warned = new Set();

function warnOnce(key, problems) {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(`Stored ${key} was not as expected; using what could be read (nothing was changed).`, problems.slice(0, 5));
}

/** The stored value of `key`, checked against its schema. With no stored value, or one
 * that cannot be read at all, `fallback` (when given) or the schema's default. */
export function read(key, fallback) {
  const name = NAMES[key];
  const empty = () => (fallback !== undefined ? fallback : (name ? SCHEMAS[name].default() : null));
  let raw;
  try {
    raw = localStorage.getItem(key);
  } catch (err) {
    warnOnce(key, [`storage is not available: ${err.message}`]);
    return empty();
  }
  if (raw === null) return empty();
  let value;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    warnOnce(key, ['not JSON']);
    return empty();
  }
  if (!name) return value;
  const { value: clean, problems } = check(name, value);
  if (!problems.length) return clean;
  warnOnce(key, problems);
  // Nothing usable left (wrong type at the top): the caller's idea of "nothing".
  return clean === null && fallback !== undefined ? fallback : clean;
}

/** Store `value` under `key`. Returns false (and warns) when the browser refuses, for
 * example when storage is full; callers that must know use writeAll(). */
export function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch (err) {
    console.warn(`Could not save ${key}:`, err);
    return false;
  }
}

export function remove(key) {
  try {
    localStorage.removeItem(key);
  } catch (err) {
    console.warn(`Could not remove ${key}:`, err);
  }
}

/** The raw stored text of each key (null when absent): what writeAll() restores. */
export function snapshot(keys) {
  const out = {};
  for (const key of keys) {
    try {
      out[key] = localStorage.getItem(key);
    } catch (err) {
      out[key] = null;
    }
  }
  return out;
}

/** Write every { key: value } (undefined removes the key), all or nothing: if any write
 * throws, every key is put back as it was and the error is rethrown. */
export function writeAll(values) {
  const keys = Object.keys(values);
  const before = snapshot(keys);
  try {
    for (const key of keys) {
      if (values[key] === undefined) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(values[key]));
    }
  } catch (err) {
    restore(before);
    throw err;
  }
}

export function restore(saved) {
  // Removing first frees the space the failed write took, so the old values fit again.
  for (const key of Object.keys(saved)) {
    try {
      localStorage.removeItem(key);
    } catch (err) {
      // keep going: every key gets its chance
    }
  }
  for (const [key, raw] of Object.entries(saved)) {
    if (raw === null) continue;
    try {
      localStorage.setItem(key, raw);
    } catch (err) {
      console.warn(`Could not restore ${key}:`, err);
    }
  }
}

/** How much this app keeps in localStorage, in bytes (UTF-16, as browsers count). */
export function storedBytes() {
  let total = 0;
  for (const key of Object.values(KEYS)) {
    try {
      const raw = localStorage.getItem(key);
      if (raw !== null) total += 2 * (key.length + raw.length);
    } catch (err) {
      return total;
    }
  }
  return total;
}

/** The content slice the plan, settings, progress and reminder screens work from:
 * choices, causes and routines from the generated app-data.js (server/pages.py
 * app_data), with each choice's reminders and the reminder types (titles, intervals)
 * from reminder-data.js, which holds them once for the pages and the reminder code.
 * The same object on every page. */
const APP = {
  ...APP_DATA,
  choices: APP_DATA.choices.map((c) => ({ ...c, reminders: DEVICE.choices[c.id] || [] })),
  reminders: DEVICE.types,
};

export function appData() {
  return APP;
}
