// The progress diary's rules, pure: no DOM, no storage, no clock (today is passed in).
// Every number comes from content/progress.yaml (`rules`), passed to the page as data;
// tests/test_progress_rules.py runs this module in Node against dated fixtures.
//
// Dates are local calendar dates as 'YYYY-MM-DD' strings (storage.js localDate()).
// A check-in: { date, at, pain, interference, stiffness, stress, sleep: bool, note, newSign: bool }.

const DAY_MS = 24 * 3600 * 1000;

export function addDays(date, n) {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d) + n * DAY_MS);
  return t.toISOString().slice(0, 10);
}

export function daysBetween(from, to) {
  const ms = (s) => { const [y, m, d] = s.split('-').map(Number); return Date.UTC(y, m - 1, d); };
  return Math.round((ms(to) - ms(from)) / DAY_MS);
}

/** The n dates ending at `end`, oldest first. */
export function dateRange(end, n) {
  const out = [];
  for (let i = n - 1; i >= 0; i -= 1) out.push(addDays(end, -i));
  return out;
}

const isScore = (v) => Number.isFinite(v) && v >= 0 && v <= 10;

function byDate(checkins) {
  const map = new Map();
  for (const c of checkins || []) if (c && typeof c.date === 'string') map.set(c.date, c);
  return map;
}

/** Average of `field` over the 7 days ending `end`, or null with fewer than `minDays` check-ins. */
export function weekAverage(checkins, end, field, minDays) {
  const map = checkins instanceof Map ? checkins : byDate(checkins);
  const values = dateRange(end, 7).map((d) => map.get(d)).filter((c) => c && isScore(c[field])).map((c) => c[field]);
  if (values.length < minDays || values.length === 0) return null;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

const down = (before, now, points, fraction) => before - now >= points || (before > 0 && (before - now) / before >= fraction);

/**
 * This week against last week, and against the week two weeks earlier.
 * improving: down by improvement_points or improvement_fraction against last week.
 * worse: up by worse_points, or by worse_fraction and at least 1 point, against last week.
 * notImproving: pain still at least not_improving_min_pain and not down by
 * improvement_points or improvement_fraction against the week not_improving_days earlier.
 */
export function trend(rules, checkins, today) {
  const t = rules.trend;
  const map = byDate(checkins);
  const current = weekAverage(map, today, 'pain', t.min_days_per_week);
  const previous = weekAverage(map, addDays(today, -7), 'pain', t.min_days_per_week);
  const earlier = weekAverage(map, addDays(today, -t.not_improving_days), 'pain', t.min_days_per_week);
  const result = { current, previous, earlier, improving: false, worse: false, notImproving: false };
  if (current !== null && previous !== null) {
    result.improving = down(previous, current, t.improvement_points, t.improvement_fraction);
    const rise = current - previous;
    result.worse = rise >= t.worse_points || (previous > 0 && rise / previous >= t.worse_fraction && rise >= 1);
  }
  if (current !== null && earlier !== null) {
    result.notImproving = current >= t.not_improving_min_pain
      && !down(earlier, current, t.improvement_points, t.improvement_fraction);
  }
  return result;
}

/** The latest check-in if it is from today or yesterday (what "today's" plan follows). */
export function recentCheckin(checkins, today) {
  const list = [...(checkins || [])].filter((c) => c && typeof c.date === 'string' && c.date <= today)
    .sort((a, b) => (a.date < b.date ? -1 : 1));
  const last = list[list.length - 1];
  return last && daysBetween(last.date, today) <= 1 ? last : null;
}

/**
 * What the plan should offer now. `held`: the safety check holds stretches, so nothing
 * is offered (the page explains the hold instead). `leaveOut`: movements the person's
 * plan leaves out; `routineMovements`: routine id -> movements it makes.
 */
export function adaptPlan(rules, { checkins, today, held = false, leaveOut = [], routineMovements = {} }) {
  if (held) return { held: true, adaptations: [] };
  const latest = recentCheckin(checkins, today);
  const tr = trend(rules, checkins, today);
  const avoid = new Set(leaveOut);
  const out = [];
  for (const rule of rules.adaptations) {
    const w = rule.when;
    let applies = false;
    if (w.pain_at_least !== undefined) applies = Boolean(latest && isScore(latest.pain) && latest.pain >= w.pain_at_least);
    else if (w.stress_at_least !== undefined) applies = Boolean(latest && isScore(latest.stress) && latest.stress >= w.stress_at_least);
    else if (w.improving) applies = tr.improving;
    if (!applies) continue;
    const routines = rule.routines.filter((id) => (routineMovements[id] || []).every((m) => !avoid.has(m)));
    out.push({ id: rule.id, title: rule.title, text: rule.text, routines, holds: rule.holds || null });
  }
  // High pain and "next level" never go together: the gentler plan wins.
  const high = out.some((a) => a.id === 'high-pain');
  return { held: false, adaptations: high ? out.filter((a) => a.id !== 'improving') : out };
}

/** The shorter holds today's plan asks for ({ fraction, min_seconds, kinds } from the
 * adaptation that applies, e.g. high pain), or null for the usual holds. */
export function holdsFor(plan) {
  const rule = (plan && plan.adaptations ? plan.adaptations : []).find((a) => a.holds);
  return rule ? { ...rule.holds, adaptation: rule.id } : null;
}

/** A hold of `seconds` under `holds`: `fraction` of it, never below `min_seconds`, and
 * never longer than it was. Without holds, unchanged. */
export function holdSeconds(seconds, holds) {
  if (!holds) return seconds;
  return Math.min(seconds, Math.max(holds.min_seconds, Math.round(seconds * holds.fraction)));
}

/**
 * Should the app offer the safety check now, and why.
 * reasons: 'new-sign' (a check-in in the last 7 days said something new worries them,
 * and no check since), 'worse' and 'not-improving' (from trend(); answered by any check
 * taken in the last recent_check_days days).
 * proposeNotImproving: the safety check's "not improving after 2 weeks, or getting
 * worse" answer the diary suggests (true), whatever checks were taken.
 */
export function safetyOffer(rules, { checkins, screenings = [], today }) {
  const tr = trend(rules, checkins, today);
  const checks = (screenings || []).filter((s) => s && typeof s.date === 'string');
  const lastCheck = checks.length ? checks[checks.length - 1] : null;
  const recentCheck = lastCheck && daysBetween(lastCheck.date, today) <= rules.trend.recent_check_days;
  const reasons = [];
  const newSign = [...(checkins || [])].filter((c) => c && c.newSign === true && typeof c.date === 'string'
    && daysBetween(c.date, today) <= 7 && daysBetween(c.date, today) >= 0)
    .some((c) => !lastCheck || (typeof lastCheck.at === 'string' && typeof c.at === 'string' ? lastCheck.at < c.at : lastCheck.date < c.date));
  if (newSign) reasons.push('new-sign');
  if (!recentCheck) {
    if (tr.worse) reasons.push('worse');
    if (tr.notImproving) reasons.push('not-improving');
  }
  return { offer: reasons.length > 0, reasons, proposeNotImproving: tr.worse || tr.notImproving, trend: tr };
}

// --- What the diary shows -------------------------------------------------------------

const TAKEN = new Set(['done', 'start']);
const SKIPPED = new Set(['snooze', 'skip', 'dismiss']);
const WATER = new Set(['drank', 'done']);

// "Time this stretch" on a stretch page records its runs in the same history as the
// routines (player.js), as `stretch:<exercise id>` with the stretch's title: a timed
// stretch, never a routine.
const STRETCH_RUN = 'stretch:';

/**
 * What one history entry records: { kind: 'routine' | 'stretch', id, title } (title as
 * the run stored it, or null), or null for an entry without an id.
 */
export function historyRun(h) {
  if (!h || typeof h.routine !== 'string' || !h.routine) return null;
  const title = typeof h.title === 'string' && h.title.trim() ? h.title.trim() : null;
  if (!h.routine.startsWith(STRETCH_RUN)) return { kind: 'routine', id: h.routine, title };
  const id = h.routine.slice(STRETCH_RUN.length);
  return id ? { kind: 'stretch', id, title } : null;
}

/** Exercise id -> title for every stretch timed in `history` (the newest run's title). */
export function stretchTitles(history) {
  const out = {};
  for (const h of history || []) {
    const run = historyRun(h);
    if (run && run.kind === 'stretch' && run.title) out[run.id] = run.title;
  }
  return out;
}

/**
 * One row per date in `dates`: the check-in's scores and what else happened that day.
 * history: [{date, routine}] (routine runs and timed stretches, see historyRun);
 * log: reminders log [{date, type, action}].
 */
export function dailyFacts({ dates, checkins, history = [], log = [], breakTypes = [] }) {
  const map = byDate(checkins);
  const rows = new Map(dates.map((d) => [d, {
    date: d, checkin: map.get(d) || null, routines: 0, routineIds: new Set(), stretches: 0, stretchIds: new Set(),
    breaksTaken: 0, breaksSkipped: 0, breaksByType: {}, water: 0,
  }]));
  const breaks = new Set(breakTypes);
  for (const h of history || []) {
    const row = h && rows.get(h.date);
    const run = historyRun(h);
    if (!row || !run) continue;
    if (run.kind === 'stretch') {
      row.stretches += 1;
      row.stretchIds.add(run.id);
    } else {
      row.routines += 1;
      row.routineIds.add(run.id);
    }
  }
  for (const e of log || []) {
    const row = e && rows.get(e.date);
    if (!row) continue;
    if (e.type === 'hydration') {
      if (WATER.has(e.action)) row.water += 1;
    } else if (breaks.has(e.type)) {
      if (TAKEN.has(e.action)) {
        row.breaksTaken += 1;
        row.breaksByType[e.type] = (row.breaksByType[e.type] || 0) + 1;
      } else if (SKIPPED.has(e.action)) row.breaksSkipped += 1;
    }
  }
  return dates.map((d) => rows.get(d));
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round1 = (x) => Math.round(x * 10) / 10;

function pointsText(x) {
  const r = round1(Math.abs(x));
  return `${String(r)} ${r === 1 ? 'point' : 'points'}`;
}

const plural = (title) => `${title.charAt(0).toLowerCase()}${title.slice(1)}${title.endsWith('s') ? '' : 's'}`;

/**
 * Plain sentences about what went with lower (or higher) pain, each with the days behind
 * it, only when there are enough check-ins, enough days on each side and a big enough
 * difference. Never a claim of cause (the page says so beside them).
 * rows: dailyFacts(); reminderTitles: type -> title; routineTitles: id -> title;
 * stretchTitles: exercise id -> title (stretches timed on their own, see stretchTitles()).
 */
export function insights(rules, rows, { reminderTitles = {}, routineTitles = {}, stretchTitles: stretchNames = {} } = {}) {
  const r = rules.insights;
  const days = rows.filter((row) => row.checkin && isScore(row.checkin.pain));
  if (days.length < r.min_checkin_days) return [];
  const factors = [];
  for (const type of r.break_types) {
    const title = reminderTitles[type];
    if (!title) continue;
    factors.push({ id: `breaks-${type}`, label: `On days with ${r.break_threshold} or more ${plural(title)}`,
      test: (row) => (row.breaksByType[type] || 0) >= r.break_threshold });
  }
  // One factor per routine done (or stretch timed) on any day, by its title.
  const eachDone = (key, titles, prefix, verb) => {
    const ids = new Set();
    for (const row of days) for (const id of row[key]) ids.add(id);
    for (const id of [...ids].sort()) {
      const title = titles[id];
      if (!title) continue;
      factors.push({ id: `${prefix}-${id}`, label: `On days you ${verb} the ${title.charAt(0).toLowerCase()}${title.slice(1)}`,
        test: (row) => row[key].has(id) });
    }
  };
  eachDone('routineIds', routineTitles, 'routine', 'did');
  factors.push({ id: 'any-routine', label: 'On days you did any routine', test: (row) => row.routines > 0 });
  eachDone('stretchIds', stretchNames, 'stretch', 'timed');
  factors.push({ id: 'sleep', label: 'On days after disturbed sleep', test: (row) => row.checkin.sleep === true });
  const out = [];
  for (const f of factors) {
    const withF = days.filter(f.test).map((row) => row.checkin.pain);
    const without = days.filter((row) => !f.test(row)).map((row) => row.checkin.pain);
    if (withF.length < r.min_days_each_side || without.length < r.min_days_each_side) continue;
    const diff = mean(withF) - mean(without);
    if (Math.abs(diff) < r.min_difference) continue;
    out.push({
      id: f.id,
      difference: round1(diff),
      daysWith: withF.length,
      daysWithout: without.length,
      text: `${f.label} your average pain was ${pointsText(diff)} ${diff < 0 ? 'lower' : 'higher'} (${withF.length} days with, ${without.length} days without).`,
    });
  }
  return out.sort((a, b) => Math.abs(b.difference) - Math.abs(a.difference));
}

/**
 * Pain before and after routines. ratings: [{routine, before, after}] (either may be
 * missing). Returns per routine the runs with both, and the average change.
 */
export function beforeAfter(ratings, routineTitles = {}) {
  const groups = new Map();
  for (const r of ratings || []) {
    if (!r || !isScore(r.before) || !isScore(r.after)) continue;
    if (!groups.has(r.routine)) groups.set(r.routine, []);
    groups.get(r.routine).push(r);
  }
  return [...groups].map(([id, runs]) => ({
    routine: id,
    title: routineTitles[id] || id,
    runs: runs.length,
    before: round1(mean(runs.map((r) => r.before))),
    after: round1(mean(runs.map((r) => r.after))),
  })).sort((a, b) => b.runs - a.runs || (a.title < b.title ? -1 : 1));
}
