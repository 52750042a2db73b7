// When is a reminder due? The device's copy of the server's schedule rules
// (server/reminders.py). Pure: no DOM, no storage, no imports, so the page, the service
// worker and Node (tests/test_reminder_rules_parity.py compares the two on tens of
// thousands of plans around clock changes in every zone) all run the same code.
// Change both together.
//
// Reminders fall on a fixed grid: one interval after each active window opens, then
// every interval until it closes (the close included). A window whose end is not after
// its start runs past midnight and belongs to the day it starts on; equal times make a
// whole day. An entry whose interval is the server's `once_interval` (0) rings once as
// each window opens instead: a daily reminder at a chosen time is one window from that
// time to midnight (dailyEntry). Slots are wall-clock times in the plan's IANA time zone: a time the clock
// skips never fires, a time it shows twice fires once, at its first occurrence.
//
// Instants are milliseconds since the epoch (UTC). An entry is the page's plan item:
// { type, interval, windows: [{ start: 'HH:MM', end: 'HH:MM' }], days: [day names] }.
// A state holds optional instants: { snoozedUntil, notBefore, pausedUntil }.

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const MINUTES_PER_DAY = 1440;

// --- Constants: defined once on the server, handed over in the page data -------------

let config = null;

const REQUIRED = ['day_names', 'min_interval', 'max_interval', 'once_interval', 'snooze_choices', 'search_days', 'grace_seconds'];

/** Take the server's constants (the page data's `reminder_rules`). Call once before
 * anything else; a missing or malformed value throws rather than guessing. */
export function configure(constants) {
  const missing = REQUIRED.filter((key) => !constants || constants[key] === undefined);
  if (missing.length) throw new Error(`reminder rules: constants missing ${missing.join(', ')}`);
  const { day_names: dayNames, snooze_choices: snoozeChoices } = constants;
  if (!Array.isArray(dayNames) || dayNames.length !== 7 || !Array.isArray(snoozeChoices)) {
    throw new Error('reminder rules: day_names must list 7 days and snooze_choices be a list');
  }
  for (const key of ['min_interval', 'max_interval', 'once_interval', 'search_days', 'grace_seconds']) {
    if (!Number.isInteger(constants[key]) || constants[key] < 0) throw new Error(`reminder rules: ${key} must be a whole number`);
  }
  config = Object.freeze({
    dayNames: Object.freeze([...dayNames]),
    minInterval: constants.min_interval,
    maxInterval: constants.max_interval,
    onceInterval: constants.once_interval,
    snoozeChoices: Object.freeze([...snoozeChoices]),
    searchDays: constants.search_days,
    graceMs: constants.grace_seconds * 1000,
  });
  return config;
}

/** The constants configure() was given: { dayNames, minInterval, maxInterval,
 * onceInterval, snoozeChoices, searchDays, graceMs }. */
export function constants() {
  if (config === null) throw new Error('reminder rules: call configure() with the server\'s constants first');
  return config;
}

// --- Time zones ---------------------------------------------------------------------
//
// Intl.DateTimeFormat is the only zone data a browser has. It maps an instant to a wall
// time; the other way (wall time -> instant) needs every offset in force nearby. Offsets
// are sampled every six hours and cached; where two neighbouring samples differ, the
// change is found to the second by bisection. This assumes a zone changes its offset at
// most once in six hours: in the tz database the closest two changes of any zone are a
// week apart. Nothing assumes a range of offsets beyond the TZif format's own limit
// (under 26 hours either way), so UTC+13:45 (Chatham) and UTC+14 (Kiritimati) work like
// any other zone.

const SAMPLE = 6 * HOUR;
const REACH = 26 * HOUR;
const zones = new Map();

function zoneOf(tz) {
  let zone = zones.get(tz);
  if (!zone) {
    // Throws a RangeError for a name the browser does not know: callers decide.
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', era: 'short', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    zone = { format, samples: new Map(), changes: new Map() };
    zones.set(tz, zone);
  }
  return zone;
}

// The offset at a whole second, straight from Intl.
function offsetFromIntl(zone, ms) {
  const p = {};
  for (const part of zone.format.formatToParts(new Date(ms))) p[part.type] = part.value;
  const year = p.era === 'BC' || p.era === 'B' ? 1 - Number(p.year) : Number(p.year);
  const wall = new Date(0);
  // setUTCFullYear, unlike Date.UTC, keeps years 0-99 as they are.
  wall.setUTCFullYear(year, Number(p.month) - 1, Number(p.day));
  wall.setUTCHours(Number(p.hour) % 24, Number(p.minute), Number(p.second), 0);
  return wall.getTime() - ms;
}

function sampleAt(zone, index) {
  let offset = zone.samples.get(index);
  if (offset === undefined) {
    offset = offsetFromIntl(zone, index * SAMPLE);
    zone.samples.set(index, offset);
  }
  return offset;
}

// The first whole second after sample `index` that has the next sample's offset.
function changeAfter(zone, index) {
  let change = zone.changes.get(index);
  if (change === undefined) {
    const before = sampleAt(zone, index);
    let [lo, hi] = [index * SAMPLE / 1000, (index + 1) * SAMPLE / 1000]; // seconds
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetFromIntl(zone, mid * 1000) === before) lo = mid;
      else hi = mid;
    }
    change = hi * 1000;
    zone.changes.set(index, change);
  }
  return change;
}

/** The zone's UTC offset at an instant, in milliseconds (local = UTC + offset). */
export function utcOffset(ms, tz) {
  const zone = zoneOf(tz);
  const index = Math.floor(ms / SAMPLE);
  const before = sampleAt(zone, index);
  const after = sampleAt(zone, index + 1);
  if (before === after) return before;
  return ms < changeAfter(zone, index) ? before : after;
}

/** The wall clock in `tz` at an instant: { y, m, d, h, mi, s, ms, weekday (Monday = 0) }. */
export function zonedParts(ms, tz) {
  const t = new Date(ms + utcOffset(ms, tz));
  return {
    y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate(),
    h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds(), ms: t.getUTCMilliseconds(),
    weekday: (t.getUTCDay() + 6) % 7,
  };
}

// Milliseconds of y-m-d 00:00 as if the wall clock were UTC.
function wallDay(y, m, d) {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return t.getTime();
}

/** The instant a clock in `tz` shows `minutes` after midnight on y-m-d; null when the
 * clock skips that time; the first of the two when it shows it twice. */
export function wallToInstant(tz, y, m, d, minutes) {
  const wall = wallDay(y, m, d) + minutes * MINUTE;
  const zone = zoneOf(tz);
  // Any instant showing `wall` lies within REACH of it; every offset in force over
  // that span is one of the samples there (a change happens between two samples).
  const offsets = new Set();
  const last = Math.ceil((wall + REACH) / SAMPLE);
  for (let i = Math.floor((wall - REACH) / SAMPLE); i <= last; i += 1) offsets.add(sampleAt(zone, i));
  let first = null;
  for (const offset of offsets) {
    const t = wall - offset;
    if (utcOffset(t, tz) === offset && (first === null || t < first)) first = t;
  }
  return first;
}

// --- Plans --------------------------------------------------------------------------

/** '09:30' -> 570; '24:00' is allowed as the end of a day; NaN when not a time. */
export function parseHHMM(text) {
  const match = /^([0-9]{2}):([0-9]{2})$/.exec(typeof text === 'string' ? text : '');
  if (!match) return NaN;
  const [h, mi] = [Number(match[1]), Number(match[2])];
  if (mi > 59 || h > 24 || (h === 24 && mi !== 0)) return NaN;
  return h * 60 + mi;
}

export function formatHHMM(minutes) {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

// The entry's windows as minutes: { start, stop } with stop past 1440 when the window
// runs past midnight. Windows that are not HH:MM pairs are left out.
function windowsOf(entry) {
  const out = [];
  for (const w of entry.windows || []) {
    const [start, end] = [parseHHMM(w.start), parseHHMM(w.end)];
    if (Number.isNaN(start) || Number.isNaN(end)) continue;
    out.push({ start, stop: end > start ? end : end + MINUTES_PER_DAY });
  }
  return out;
}

function activeDays(entry) {
  const names = constants().dayNames;
  return new Set((entry.days || []).map((name) => names.indexOf(name)).filter((d) => d >= 0));
}

/** Minutes of every slot after the start day's midnight (1440 and more fall on the
 * next day), sorted, without repeats. An interval outside the server's limits throws,
 * as the server refuses it (and a zero or negative one would never end the loop). */
export function slotMinutes(entry) {
  const { minInterval, maxInterval, onceInterval } = constants();
  const once = entry.interval === onceInterval;
  if (!once && (!Number.isInteger(entry.interval) || entry.interval < minInterval || entry.interval > maxInterval)) {
    throw new RangeError(`interval must be ${minInterval}-${maxInterval} minutes`);
  }
  const minutes = new Set();
  for (const w of windowsOf(entry)) {
    if (once) minutes.add(w.start);
    else for (let m = w.start + entry.interval; m <= w.stop; m += entry.interval) minutes.add(m);
  }
  return [...minutes].sort((a, b) => a - b);
}

/** Wall-clock minutes of the slots on each weekday (Monday = 0): the day's own windows'
 * and the part of the day before's that ran past midnight. */
export function minutesByWeekday(entry) {
  const slots = slotMinutes(entry);
  const own = slots.filter((m) => m < MINUTES_PER_DAY);
  const spill = slots.filter((m) => m >= MINUTES_PER_DAY && m < 2 * MINUTES_PER_DAY).map((m) => m - MINUTES_PER_DAY);
  const days = activeDays(entry);
  return [0, 1, 2, 3, 4, 5, 6].map((d) => [...new Set([...(days.has(d) ? own : []), ...(days.has((d + 6) % 7) ? spill : [])])]
    .sort((a, b) => a - b));
}

/** A reminder once a day at `time` ('HH:MM', 00:00 to 23:59) on `days` (day names):
 * one window from that time to midnight, so a snooze can still ring that evening. */
export function dailyEntry(type, time, days) {
  return { type, interval: constants().onceInterval, windows: [{ start: time, end: '24:00' }], days };
}

/** Every slot with start <= t < end, in order (instants); at most `limit` of them. */
export function occurrences(entry, tz, start, end, limit = Infinity) {
  const out = [];
  const seen = new Set();
  if (!(entry.windows || []).length || !(entry.days || []).length || end <= start) return out;
  const byWeekday = minutesByWeekday(entry);
  const [from, to] = [zonedParts(start, tz), zonedParts(end, tz)];
  const last = wallDay(to.y, to.m, to.d) + DAY;
  for (let day = wallDay(from.y, from.m, from.d) - DAY; day <= last; day += DAY) {
    const date = new Date(day);
    for (const m of byWeekday[(date.getUTCDay() + 6) % 7]) {
      const wall = day + m * MINUTE;
      // No instant within REACH of `wall` shows it: nothing to look up.
      if (wall + REACH < start || wall - REACH >= end) continue;
      const t = wallToInstant(tz, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), m);
      if (t === null || seen.has(t) || !(start <= t && t < end)) continue;
      seen.add(t);
      out.push(t);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/** Whether an instant falls inside a window (ends included) of an active day, a window
 * that runs past midnight counting as part of the day it started. */
export function inActiveTime(entry, tz, ms) {
  const p = zonedParts(ms, tz);
  const sinceMidnight = ((p.h * 60 + p.mi) * 60 + p.s) * 1000 + p.ms;
  const days = activeDays(entry);
  const [today, yesterday] = [days.has(p.weekday), days.has((p.weekday + 6) % 7)];
  return windowsOf(entry).some(({ start, stop }) => (
    (today && start * MINUTE <= sinceMidnight && sinceMidnight <= stop * MINUTE)
    || (yesterday && start * MINUTE <= sinceMidnight + DAY && sinceMidnight + DAY <= stop * MINUTE)
  ));
}

// The earliest instant anything may fire at (strictly after `after`, not while paused),
// and the earliest a grid slot may (not before "done" either).
function limits(after, state) {
  let earliest = after + 1;
  if (state.pausedUntil != null) earliest = Math.max(earliest, state.pausedUntil);
  const gridEarliest = state.notBefore != null ? Math.max(earliest, state.notBefore) : earliest;
  return [earliest, gridEarliest];
}

/** The first reminder strictly after `sinceMs`, honouring snooze, done and pause; null
 * when the entry never fires. A snooze is a one-off slot; like every slot it fires only
 * in active time, so a snooze that would ring after hours is dropped, not moved. */
export function nextDue(entry, timeZone, sinceMs, state = {}) {
  const [earliest, gridEarliest] = limits(sinceMs, state || {});
  const candidates = occurrences(entry, timeZone, gridEarliest, gridEarliest + constants().searchDays * DAY, 1);
  const snooze = state && state.snoozedUntil;
  if (snooze != null && snooze >= earliest && inActiveTime(entry, timeZone, snooze)) candidates.push(snooze);
  return candidates.length ? Math.min(...candidates) : null;
}

/** The last reminder with sinceMs < t <= untilMs: what to show after the page slept
 * (one reminder, the most recent, never a burst of old ones). */
export function latestDue(entry, timeZone, sinceMs, untilMs, state = {}) {
  const [earliest, gridEarliest] = limits(sinceMs, state || {});
  const candidates = occurrences(entry, timeZone, gridEarliest, untilMs + 1).slice(-1);
  const snooze = state && state.snoozedUntil;
  if (snooze != null && earliest <= snooze && snooze <= untilMs && inActiveTime(entry, timeZone, snooze)) {
    candidates.push(snooze);
  }
  return candidates.length ? Math.max(...candidates) : null;
}

/** latestDue, but nothing older than the grace period: a reminder that late is skipped,
 * as the server's scheduler skips it. */
export function latestWithinGrace(entry, timeZone, sinceMs, nowMs, state = {}) {
  return latestDue(entry, timeZone, Math.max(sinceMs, nowMs - constants().graceMs), nowMs, state);
}

/** The next local midnight after an instant (what "pause for today" pauses until); the
 * first wall minute that exists, should a zone skip midnight. */
export function endOfLocalDay(ms, tz) {
  const p = zonedParts(ms, tz);
  const next = new Date(wallDay(p.y, p.m, p.d) + DAY);
  for (let minute = 0; minute < 120; minute += 1) {
    const t = wallToInstant(tz, next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), minute);
    if (t !== null) return t;
  }
  throw new Error(`no wall time near midnight on ${next.toISOString().slice(0, 10)} in ${tz}`);
}

/** When a snooze of `minutes` (one of the server's choices) rings. */
export function snoozeUntil(nowMs, minutes) {
  if (!constants().snoozeChoices.includes(minutes)) {
    throw new RangeError(`snooze is ${constants().snoozeChoices.join(' or ')} minutes`);
  }
  return nowMs + minutes * MINUTE;
}

/** After "done", a grid slot closer than half an interval is skipped. */
export function doneNotBefore(entry, nowMs) {
  return nowMs + (entry.interval * MINUTE) / 2;
}

/** A reminder's id: its type and due instant in UTC milliseconds. The server builds the
 * same string (reminders.reminder_id), so a reminder shown by one path is known to the other. */
export function reminderId(type, dueMs) {
  return `${type}:${dueMs}`;
}
