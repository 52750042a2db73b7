// The reminder plan, its state (snooze, done, pause) and what the person did, kept on
// this device under one storage key (read through storage.js's schema), and the rules
// for changing them. No DOM. The page (reminders-page.js) and the in-app reminders on
// every page (reminder-watch.js) both work through this module.
import DEVICE from './reminder-data.js';
import { KEYS, read, write } from './storage.js';
import { TEMPORAL, deviceTimeZone as deviceZone, localDate } from './dom.js';
import { configure, dailyEntry, doneNotBefore, endOfLocalDay, latestWithinGrace, nextDue, parseHHMM, snoozeUntil } from './reminder-rules.js';
import { currentHold } from './safety.js';

export const RULES = configure(DEVICE.rules);
export const TYPES = DEVICE.types;
export const MAX_WINDOWS = DEVICE.max_windows;
export const CHANGED_EVENT = 'mbr:reminders-changed';
const DAY = 86_400_000;
const LOG_DAYS = 400; // a year of history, for the export and the progress page
const LOG_MAX = 5000;

/** The device's time zone, UTC when the browser cannot say (a plan always has a zone). */
export function deviceTimeZone() {
  return deviceZone() || 'UTC';
}

function knownZone(tz) {
  try {
    if (TEMPORAL) TEMPORAL.Now.zonedDateTimeISO(tz);
    else new Intl.DateTimeFormat('en-US', { timeZone: tz }).format(0);
    return true;
  } catch (err) {
    return false;
  }
}

/** The types that fit the person's "My back" choices (a posture break when none do). */
export function fittingTypes(choices) {
  const fitting = new Set((choices || []).flatMap((id) => DEVICE.choices[id] || []).filter((t) => TYPES[t]));
  return fitting.size ? [...fitting] : ['posture-break'].filter((t) => TYPES[t]);
}

// One type's settings as content/ suggests them: an interval, or for a daily reminder
// its time on every day. Daily reminders (the check-in) are never on by themselves.
function typeDefaults(r, on) {
  return r.daily ? { on: false, time: r.time, days: [...RULES.dayNames] } : { on, interval: r.interval };
}

// Defaults: the fitting types, intervals from content/, 09:00-17:30 on weekdays.
export function defaultSettings(choices) {
  const fitting = fittingTypes(choices);
  const types = {};
  let target = 8;
  for (const [id, r] of Object.entries(TYPES)) {
    types[id] = typeDefaults(r, fitting.includes(id));
    if (r.daily_target) target = r.daily_target;
  }
  return {
    timezone: deviceTimeZone(),
    windows: [{ start: '09:00', end: '17:30' }],
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    types,
    target,
    custom: false,
  };
}

export function isDaily(type) {
  return Boolean(TYPES[type] && TYPES[type].daily);
}

export function entryFor(settings, type) {
  const t = settings.types[type];
  if (isDaily(type)) return dailyEntry(type, t.time, t.days);
  return { type, interval: t.interval, windows: settings.windows, days: settings.days };
}

function emptyStore() {
  // synced: the plan the server last accepted for this device (JSON), to notice changes.
  return { v: 1, settings: null, state: { pausedUntil: null, snoozed: {}, notBefore: {}, lastCheck: null }, log: [], synced: null };
}

/** The stored reminders, completed: a plan that follows "My back" until edited, every
 * reminder type in content/ (new ones off), none that content/ no longer has. */
export function loadStore() {
  const stored = read(KEYS.reminders, null) || {};
  const empty = emptyStore();
  const store = { ...empty, ...stored, state: { ...empty.state, ...(stored.state || {}) }, log: stored.log || [] };
  if (!store.settings || !store.settings.custom) {
    const plan = read(KEYS.plan, null);
    store.settings = defaultSettings(plan ? plan.choices : []);
  }
  if (!knownZone(store.settings.timezone)) store.settings.timezone = deviceTimeZone();
  for (const [id, r] of Object.entries(TYPES)) {
    const t = store.settings.types[id];
    // A type new to this phone starts off; one stored in another shape (a type that
    // changed between daily and every so often) gets its defaults, keeping on/off.
    if (!t) store.settings.types[id] = typeDefaults(r, false);
    else if (r.daily ? !(t.time && t.days) : !t.interval) store.settings.types[id] = typeDefaults(r, t.on);
  }
  for (const id of Object.keys(store.settings.types)) if (!TYPES[id]) delete store.settings.types[id];
  return store;
}

export function saveStore(store) {
  const since = localDate(new Date(Date.now() - LOG_DAYS * DAY));
  store.log = store.log.filter((e) => e.date >= since).slice(-LOG_MAX);
  const saved = write(KEYS.reminders, store);
  if (typeof document !== 'undefined') document.dispatchEvent(new CustomEvent(CHANGED_EVENT));
  return saved;
}

export function stateFor(store, type) {
  return {
    pausedUntil: store.state.pausedUntil,
    snoozedUntil: store.state.snoozed[type] || null,
    notBefore: store.state.notBefore[type] || null,
  };
}

// --- Safety-check hold (issue 9) -----------------------------------------------------
// While the safety check holds stretches (safety.js), the reminders that ask the person
// to move pause; hydration and breathing carry on. Worked out from the hold each time,
// so it ends by itself when the hold does.
export const PAUSED_DURING_SAFETY_HOLD = ['posture-break', 'movement-snack'];

export function pausedBySafetyHold() {
  return currentHold() ? PAUSED_DURING_SAFETY_HOLD : [];
}

// What the server stores: times and types, nothing else (and not the types paused by
// a safety hold).
export function serverPlan(settings, paused = pausedBySafetyHold()) {
  const reminders = {};
  for (const [type, t] of Object.entries(settings.types)) {
    if (!t.on || paused.includes(type)) continue;
    reminders[type] = isDaily(type) ? { time: t.time, days: t.days } : { interval: t.interval, windows: settings.windows, days: settings.days };
  }
  return { timezone: settings.timezone, reminders };
}

export function validateSettings(settings) {
  const problems = [];
  const { minInterval, maxInterval } = RULES;
  for (const [type, t] of Object.entries(settings.types)) {
    if (!TYPES[type]) problems.push(`Unknown reminder type ${type}.`);
    if (isDaily(type)) {
      // A time of day (24:00 is an end, not a time) and at least one day, when on.
      const minutes = parseHHMM(t.time);
      if (Number.isNaN(minutes) || minutes >= 1440) problems.push({ field: `time-${type}`, text: `Give the ${TYPES[type].title.toLowerCase()} a time.` });
      if (t.on && !(t.days || []).length) problems.push({ field: `days-${type}`, text: `Pick at least one day for the ${TYPES[type].title.toLowerCase()}.` });
      continue;
    }
    if (!Number.isInteger(t.interval) || t.interval < minInterval || t.interval > maxInterval) {
      problems.push({ field: `interval-${type}`, text: `Choose ${minInterval} to ${maxInterval} minutes.` });
    }
  }
  if (!settings.windows.length || settings.windows.length > MAX_WINDOWS) problems.push(`Give 1 to ${MAX_WINDOWS} time ranges.`);
  settings.windows.forEach((w, i) => {
    // An end before the start is fine: the range runs past midnight (night shifts).
    if (Number.isNaN(parseHHMM(w.start))) problems.push({ field: `window-start-${i}`, text: `Give range ${i + 1} a start time.` });
    if (Number.isNaN(parseHHMM(w.end))) problems.push({ field: `window-end-${i}`, text: `Give range ${i + 1} an end time.` });
  });
  if (!settings.days.length) problems.push('Pick at least one day.');
  return problems.map((p) => (typeof p === 'string' ? { field: null, text: p } : p));
}

// Hydration safety: a glasses-a-day target above the number content/reminders.yaml calls
// sensible shows a warning.
export function overTarget(target, above) {
  return Number.isFinite(above) && Number(target) > above;
}

export function glassesToday(store, today = localDate()) {
  // Older versions logged a glass as "done" on the drink reminder.
  return store.log.filter((e) => e.date === today
    && (e.action === 'drank' || (e.action === 'done' && TYPES[e.type] && TYPES[e.type].daily_target))).length;
}

/** The next reminder of each switched-on type: [{ type, due }], soonest first. */
export function upcoming(store, now = Date.now()) {
  const { settings } = store;
  const paused = pausedBySafetyHold();
  const out = [];
  for (const type of Object.keys(TYPES)) {
    if (!settings.types[type].on || paused.includes(type)) continue;
    const due = nextDue(entryFor(settings, type), settings.timezone, now, stateFor(store, type));
    if (due !== null) out.push({ type, due });
  }
  return out.sort((a, b) => a.due - b.due);
}

/** Reminders due since the last look (at most one per type, the latest within the
 * grace period): [{ type, due }]. Records the look. */
export function dueSince(store, now = Date.now()) {
  const { settings, state } = store;
  const paused = pausedBySafetyHold();
  const due = [];
  for (const type of Object.keys(TYPES)) {
    if (!settings.types[type].on || paused.includes(type)) continue;
    const at = latestWithinGrace(entryFor(settings, type), settings.timezone, state.lastCheck || now, now, stateFor(store, type));
    if (at !== null) due.push({ type, due: at });
  }
  for (const [type, until] of Object.entries(state.snoozed)) if (until <= now) delete state.snoozed[type];
  state.lastCheck = now;
  return due;
}

/** Apply what the person did with a reminder (start, snooze, done, drank; on the daily
 * check-in checkin, snooze and skip = "not today") to the store;
 * `id` is the reminder's id when it came from one. A glass drunk counts toward today
 * and, like "done", moves the next drink reminder on. */
export function applyAction(store, type, action, { minutes = DEVICE.snooze_minutes, at = new Date(), id = null } = {}) {
  const { state, settings } = store;
  if (action === 'snooze') {
    state.snoozed[type] = snoozeUntil(at.getTime(), minutes);
  } else if (action === 'done' || action === 'drank' || action === 'skip') {
    delete state.snoozed[type];
    if (settings.types[type]) state.notBefore[type] = doneNotBefore(entryFor(settings, type), at.getTime());
  }
  const item = { date: localDate(at), type, action, at: at.toISOString() };
  if (id) item.id = id;
  store.log.push(item);
}

export function togglePause(store, now = Date.now()) {
  const { state, settings } = store;
  const pausing = !(state.pausedUntil && state.pausedUntil > now);
  state.pausedUntil = pausing ? endOfLocalDay(now, settings.timezone) : null;
  return pausing;
}
