// The progress page: today's check-in, the plan that follows it, the trend charts (with
// the numbers as a table), what goes with less pain, the safety-check offer when the
// diary says so, and a printable summary for a clinician. Everything is read from this
// device (the diary in IndexedDB, the rest in localStorage) and nothing is sent.
// Notes and anything imported are shown with textContent, never as HTML.
import { KEYS, appData, localDate, read } from './storage.js';
import {
  checkinBefore, checkinOn, checkinsSince, latestNotes, promptWanted, ratings, saveCheckin, setPromptWanted,
} from './diary.js';
import { currentHold, HOLD_EVENT } from './safety.js';
import {
  adaptPlan, addDays, beforeAfter, dailyFacts, dateRange, historyRun, insights, safetyOffer, stretchTitles, trend,
} from './progress-rules.js';
import { laneChart, lineChart, pairChart, shortDate } from './charts.js';
import rules from './progress-data.js';
import { $, el } from './dom.js';

const data = appData();
const FIELDS = ['pain', 'interference', 'stiffness', 'stress'];
const routineTitles = Object.fromEntries(Object.entries(data.routines).map(([id, r]) => [id, r.title]));
const reminderTitles = Object.fromEntries(Object.entries(data.reminders).map(([id, r]) => [id, r.title]));
const INSIGHT_DAYS = 90;
// The longest period any chart, insight or rule looks at; older check-ins stay stored
// (and exported) but are not read here, so a year of diary costs what 90 days do.
const READ_DAYS = 90;

const fmt = (x) => (x === null || x === undefined ? '–' : String(Math.round(x * 10) / 10));

let state = null;

async function load() {
  const today = localDate();
  const [c, r, notes] = await Promise.all([checkinsSince(addDays(today, -(READ_DAYS - 1))), ratings(), latestNotes(10)]);
  const reminders = read(KEYS.reminders, null);
  return {
    today,
    checkins: c,
    notes,
    ratings: r,
    history: read(KEYS.history, []),
    log: reminders && Array.isArray(reminders.log) ? reminders.log : [],
    screenings: read(KEYS.screenings, []),
    plan: read(KEYS.plan, null),
  };
}

// --- The check-in form ---------------------------------------------------------------

function setForm(entry) {
  const form = $('checkin-form');
  for (const f of FIELDS) {
    const value = entry && Number.isInteger(entry[f]) ? entry[f] : 0;
    form.elements[f].value = String(value);
    $(`ci-${f}-value`).textContent = String(value);
  }
  form.elements.sleep.value = entry && entry.sleep ? 'yes' : 'no';
}

async function initCheckin(today) {
  const form = $('checkin-form');
  const existing = await checkinOn(today);
  const yesterday = existing ? null : await checkinBefore(today);
  setForm(existing || yesterday);
  if (existing) {
    $('ci-note').value = existing.note;
    $('ci-new-sign').checked = existing.newSign;
    $('checkin-intro').textContent = 'You checked in today. Change anything and save again.';
    $('checkin-save').textContent = 'Update check-in';
  } else if (yesterday) {
    $('checkin-intro').textContent = `Set to your last answers (${shortDate(yesterday.date)}). Change what is different, then save.`;
  }
  const card = $('checkin-card');
  card.checked = await promptWanted();
  card.addEventListener('change', async () => {
    await setPromptWanted(card.checked);
    $('checkin-status').textContent = card.checked ? 'The home screen will ask once a day.' : 'The home screen will not ask.';
  });
  for (const f of FIELDS) {
    form.elements[f].addEventListener('input', () => { $(`ci-${f}-value`).textContent = form.elements[f].value; });
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const entry = { date: localDate(), sleep: form.elements.sleep.value === 'yes', note: $('ci-note').value.trim(), newSign: $('ci-new-sign').checked };
    for (const f of FIELDS) entry[f] = Number(form.elements[f].value);
    try {
      await saveCheckin(entry);
    } catch (err) {
      $('checkin-status').textContent = 'Could not save on this device. Is storage full or blocked?';
      console.warn('Check-in not saved:', err);
      return;
    }
    $('checkin-status').textContent = `Saved for ${shortDate(entry.date)}. Thank you.`;
    $('checkin-save').textContent = 'Update check-in';
    state = await load();
    render();
    // A new warning sign: the offer is the next thing to read.
    if (entry.newSign) $('safety-offer-title').focus();
  });
}

// --- Sections ------------------------------------------------------------------------

function selectedRange() {
  const checked = document.querySelector('input[name="range"]:checked');
  return checked ? Number(checked.value) : 30;
}

function renderOffer(offer) {
  const box = $('safety-offer');
  box.hidden = !offer.offer;
  if (!offer.offer) return;
  const t = offer.trend;
  const words = {
    'new-sign': 'You noted something new that worries you.',
    worse: `Your pain is getting worse: ${fmt(t.current)} on average this week, ${fmt(t.previous)} the week before.`,
    'not-improving': `Your pain has not come down over two weeks: ${fmt(t.current)} on average this week, ${fmt(t.earlier)} two weeks ago.`,
  };
  $('safety-offer-reasons').replaceChildren(...offer.reasons.map((r) => el('li', {}, words[r])));
  $('safety-offer-title').setAttribute('tabindex', '-1');
}

function routineLink(id) {
  const r = data.routines[id];
  const li = el('li', { class: 'card card-link' });
  const a = el('a', { href: `/routines/${id}` });
  const body = el('span', { class: 'card-body' });
  body.append(el('strong', {}, r.title), el('span', {}, r.summary));
  a.append(body);
  li.append(a);
  return li;
}

function leaveOut() {
  const chosen = new Set(state.plan && Array.isArray(state.plan.choices) ? state.plan.choices : []);
  return data.choices.filter((c) => chosen.has(c.id)).flatMap((c) => c.leave_out || []);
}

function renderPlan() {
  const section = $('plan-follow');
  const routineMovements = Object.fromEntries(Object.entries(data.routines).map(([id, r]) => [id, r.movements]));
  const plan = adaptPlan(rules, { checkins: state.checkins, today: state.today, held: Boolean(currentHold()), leaveOut: leaveOut(), routineMovements });
  const body = $('plan-follow-body');
  if (plan.held) {
    section.hidden = false;
    const p = el('p', {}, 'Stretches are on hold until a doctor, nurse or physiotherapist has checked you. ');
    p.append(el('a', { href: '/screening#result' }, 'See your safety-check result'));
    body.replaceChildren(p);
    return;
  }
  section.hidden = plan.adaptations.length === 0;
  body.replaceChildren(...plan.adaptations.map((a) => {
    const box = el('div', { class: `note note-ok adapt adapt-${a.id}`, id: `adapt-${a.id}` });
    box.append(el('h3', {}, a.title), el('p', {}, a.text));
    if (a.routines.length) {
      const list = el('ul', { class: 'cards' });
      list.append(...a.routines.map(routineLink));
      box.append(list);
    }
    return box;
  }));
}

function renderTrends(range) {
  const dates = dateRange(state.today, range);
  const rows = dailyFacts({ dates, checkins: state.checkins, history: state.history, log: state.log, breakTypes: rules.insights.break_types });
  const pain = rows.map((r) => (r.checkin ? r.checkin.pain : null));
  const interference = rows.map((r) => (r.checkin ? r.checkin.interference : null));
  const count = pain.filter((v) => v !== null).length;
  const avg = (xs) => { const v = xs.filter((x) => x !== null); return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null; };
  const summary = count
    ? `Last ${range} days: ${count} check-ins. Average pain ${fmt(avg(pain))} of 10; pain got in the way ${fmt(avg(interference))} of 10 on average.`
    : `No check-ins in the last ${range} days yet. Check in above and your trend appears here.`;
  $('trend-summary').textContent = summary;
  const chart = $('chart-pain');
  const legend = el('figcaption', { class: 'legend' });
  legend.append(el('span', { class: 'key key-pain' }, 'Pain'), el('span', { class: 'key key-interference' }, 'Got in the way (dashed)'));
  chart.replaceChildren(lineChart({
    dates,
    label: `Chart of pain and how much it got in the way, 0 to 10, over the last ${range} days. ${summary}`,
    series: [{ cls: 'interference', values: interference }, { cls: 'pain', values: pain }],
  }), legend);

  const taken = rows.map((r) => r.breaksTaken);
  const skipped = rows.map((r) => r.breaksSkipped);
  const done = rows.map((r) => r.routines);
  const timed = rows.map((r) => r.stretches);
  const water = rows.map((r) => r.water);
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const many = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const activity = `Last ${range} days: ${many(sum(taken), 'break', 'breaks')} taken, ${sum(skipped)} snoozed or skipped, ${many(sum(done), 'routine', 'routines')} done, ${many(sum(timed), 'stretch', 'stretches')} timed on their own, ${many(sum(water), 'glass', 'glasses')} of water logged.`;
  const maxOf = (xs, floor) => Math.max(floor, ...xs);
  const act = $('chart-activity');
  const actLegend = el('figcaption', { class: 'legend' });
  actLegend.append(el('span', { class: 'key key-taken' }, 'Breaks taken'), el('span', { class: 'key key-skipped' }, 'Snoozed or skipped (outline)'), el('span', { class: 'key key-routines' }, 'Routines'), el('span', { class: 'key key-water' }, 'Water'));
  act.replaceChildren(laneChart({
    dates,
    label: `Chart of what you did each day. ${activity}`,
    lanes: [
      { title: 'Breaks taken and skipped', values: taken, second: skipped, max: maxOf(taken.map((t, i) => t + skipped[i]), 4), cls: 'taken', secondCls: 'skipped' },
      { title: 'Routines done', values: done, max: maxOf(done, 2), cls: 'routines' },
      { title: 'Stretches timed on their own', values: timed, max: maxOf(timed, 2), cls: 'stretches' },
      { title: 'Glasses of water', values: water, max: maxOf(water, 8), cls: 'water' },
    ],
  }), actLegend);

  renderTable(rows);
  return rows;
}

function renderTable(rows) {
  const table = el('table', { class: 'data-table' });
  table.append(el('caption', {}, 'Your diary, newest day first'));
  const head = el('tr');
  for (const h of ['Date', 'Pain', 'Got in the way', 'Stiffness', 'Stress', 'Sleep disturbed', 'Routines', 'Stretches timed', 'Breaks taken', 'Breaks skipped', 'Water']) head.append(el('th', { scope: 'col' }, h));
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const r of [...rows].reverse()) {
    const c = r.checkin;
    if (!c && !r.routines && !r.stretches && !r.breaksTaken && !r.breaksSkipped && !r.water) continue;
    const tr = el('tr');
    tr.append(el('th', { scope: 'row' }, shortDate(r.date)));
    for (const v of [c && c.pain, c && c.interference, c && c.stiffness, c && c.stress]) tr.append(el('td', {}, fmt(v)));
    tr.append(el('td', {}, c ? (c.sleep ? 'Yes' : 'No') : '–'));
    for (const v of [r.routines, r.stretches, r.breaksTaken, r.breaksSkipped, r.water]) tr.append(el('td', {}, String(v)));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  const wrap = $('trend-table');
  wrap.setAttribute('tabindex', '0');
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', 'Diary table');
  wrap.replaceChildren(tbody.children.length ? table : el('p', {}, 'Nothing recorded in this period yet.'));
}

function renderBeforeAfter() {
  const rows = beforeAfter(state.ratings, routineTitles).slice(0, 6);
  const fig = $('chart-before-after');
  if (!rows.length) {
    fig.replaceChildren(el('p', { class: 'small' }, 'Rate your pain before and after a routine (one tap on the routine page) and the difference shows here.'));
    return;
  }
  const text = rows.map((r) => `${r.title}: ${r.before} before, ${r.after} after, over ${r.runs} ${r.runs === 1 ? 'time' : 'times'}`).join('; ');
  const legend = el('figcaption', { class: 'legend' });
  legend.append(el('span', { class: 'key key-before' }, 'Before (outline)'), el('span', { class: 'key key-after' }, 'After'));
  const list = el('ul', { class: 'visually-hidden' });
  list.append(...rows.map((r) => el('li', {}, `${r.title}: pain ${r.before} before, ${r.after} after, average of ${r.runs}.`)));
  fig.replaceChildren(pairChart({ rows, label: `Average pain before and after routines. ${text}.` }), legend, list);
}

function renderInsights() {
  const dates = dateRange(state.today, INSIGHT_DAYS);
  const rows = dailyFacts({ dates, checkins: state.checkins, history: state.history, log: state.log, breakTypes: rules.insights.break_types });
  const found = insights(rules, rows, { reminderTitles, routineTitles, stretchTitles: stretchTitles(state.history) });
  const days = rows.filter((r) => r.checkin && r.checkin.pain !== null).length;
  $('insight-list').replaceChildren(...found.map((i) => el('li', { 'data-insight': i.id }, i.text)));
  const need = rules.insights.min_checkin_days;
  $('insight-note').textContent = days < need
    ? `After ${need} days of check-ins this shows what goes with lower pain for you. You have ${days} so far in the last ${INSIGHT_DAYS} days.`
    : found.length
      ? `From your last ${INSIGHT_DAYS} days. These show what happened on the same days, not what caused what. Shown only with at least ${rules.insights.min_days_each_side} days on each side and a difference of at least ${rules.insights.min_difference} point.`
      : `No clear pattern in your last ${INSIGHT_DAYS} days yet (we show one only with at least ${rules.insights.min_days_each_side} days on each side and a difference of at least ${rules.insights.min_difference} point).`;
  return found;
}

// --- Summary for a clinician ---------------------------------------------------------

function summaryFacts(range) {
  const from = addDays(state.today, -(range - 1));
  const inRange = (d) => d >= from && d <= state.today;
  const tr = trend(rules, state.checkins, state.today);
  const list = state.checkins.filter((c) => inRange(c.date));
  const latestCheck = state.screenings.length ? state.screenings[state.screenings.length - 1] : null;
  // Title -> runs: routines by their current title, stretches timed on their own by the
  // title their runs recorded (a routine no longer in the app by its recorded title too).
  const routinesDone = new Map();
  const stretchesTimed = new Map();
  for (const h of state.history) {
    const run = h && inRange(h.date) ? historyRun(h) : null;
    if (!run) continue;
    const into = run.kind === 'stretch' ? stretchesTimed : routinesDone;
    const title = (run.kind === 'routine' && routineTitles[run.id]) || run.title || run.id;
    into.set(title, (into.get(title) || 0) + 1);
  }
  const rows = dailyFacts({ dates: dateRange(state.today, range), checkins: [], history: [], log: state.log, breakTypes: rules.insights.break_types });
  const taken = rows.reduce((a, r) => a + r.breaksTaken, 0);
  const skipped = rows.reduce((a, r) => a + r.breaksSkipped, 0);
  const water = rows.reduce((a, r) => a + r.water, 0);
  const { notes } = state;
  return { from, tr, list, latestCheck, routinesDone, stretchesTimed, taken, skipped, water, notes, range };
}

function renderSummary() {
  const s = summaryFacts(selectedRange());
  const body = $('summary-body');
  const nodes = [];
  nodes.push(el('p', { class: 'print-only summary-head' }, `Mid-Back Relief back diary, ${shortDate(s.from)} to ${shortDate(state.today)} ${state.today.slice(0, 4)}. Scores are 0 (none) to 10 (worst). Recorded by the person on their phone; not a diagnosis.`));
  const dl = el('dl', { class: 'summary-facts' });
  const add = (term, value) => { dl.append(el('dt', {}, term), el('dd', {}, value)); };
  add('Check-ins', `${s.list.length} in the last ${s.range} days`);
  add('Average pain, last 7 days', `${fmt(s.tr.current)} (the 7 days before: ${fmt(s.tr.previous)})`);
  if (s.latestCheck) {
    const title = rules.levels[s.latestCheck.level] || s.latestCheck.level;
    const reasons = Array.isArray(s.latestCheck.reasons) && s.latestCheck.reasons.length ? ` Because: ${s.latestCheck.reasons.join('; ')}.` : '';
    add('Latest safety check', `${s.latestCheck.date}: ${title}.${reasons}`);
  } else add('Latest safety check', 'Not taken yet.');
  const done = [...s.routinesDone].map(([title, n]) => `${title} ×${n}`).join(', ');
  add('Routines done', done || 'None recorded');
  if (s.stretchesTimed.size) add('Stretches timed on their own', [...s.stretchesTimed].map(([title, n]) => `${title} ×${n}`).join(', '));
  add('Breaks', `${s.taken} taken, ${s.skipped} snoozed or skipped`);
  add('Water', `${s.water} glasses logged`);
  nodes.push(dl);
  nodes.push(el('h3', {}, 'Latest notes'));
  if (s.notes.length) {
    const ul = el('ul', { class: 'summary-notes', id: 'summary-notes' });
    for (const c of s.notes) {
      const li = el('li');
      li.append(el('strong', {}, `${shortDate(c.date)}: `), document.createTextNode(c.note));
      ul.append(li);
    }
    nodes.push(ul);
  } else nodes.push(el('p', { class: 'small' }, 'No notes yet.'));
  body.replaceChildren(...nodes);
  return s;
}

function summaryText() {
  const s = summaryFacts(selectedRange());
  const lines = [
    `Mid-Back Relief back diary, ${s.from} to ${state.today} (scores 0 = none to 10 = worst; not a diagnosis)`,
    `Check-ins: ${s.list.length} in the last ${s.range} days`,
    `Average pain, last 7 days: ${fmt(s.tr.current)} (the 7 days before: ${fmt(s.tr.previous)})`,
    s.latestCheck ? `Latest safety check: ${s.latestCheck.date}: ${rules.levels[s.latestCheck.level] || s.latestCheck.level}` : 'Latest safety check: not taken',
    `Routines done: ${[...s.routinesDone].map(([title, n]) => `${title} x${n}`).join(', ') || 'none'}`,
    ...(s.stretchesTimed.size ? [`Stretches timed on their own: ${[...s.stretchesTimed].map(([title, n]) => `${title} x${n}`).join(', ')}`] : []),
    `Breaks: ${s.taken} taken, ${s.skipped} snoozed or skipped. Water: ${s.water} glasses`,
    '',
    'Day by day (pain / got in the way):',
    ...s.list.slice(-31).map((c) => `${c.date}: ${fmt(c.pain)} / ${fmt(c.interference)}${c.sleep ? ', sleep disturbed' : ''}`),
    '',
    'Latest notes:',
    ...(s.notes.length ? s.notes.map((c) => `${c.date}: ${c.note}`) : ['none']),
  ];
  return lines.join('\n');
}

function initSummary() {
  const share = $('summary-share');
  if (navigator.share) {
    share.hidden = false;
    share.addEventListener('click', async () => {
      const text = summaryText();
      // A file where the browser can share one (mail, messages, files), else the text.
      const file = typeof File === 'function' ? new File([text], `back-diary-${state.today}.txt`, { type: 'text/plain' }) : null;
      const data = file && navigator.canShare && navigator.canShare({ files: [file] })
        ? { title: 'Back diary summary', files: [file] }
        : { title: 'Back diary summary', text };
      try {
        await navigator.share(data);
      } catch (err) {
        if (err && err.name !== 'AbortError') window.print();
      }
    });
  }
  $('summary-print').addEventListener('click', () => window.print());
}

// --- The page --------------------------------------------------------------------------

function render() {
  const range = selectedRange();
  renderOffer(safetyOffer(rules, { checkins: state.checkins, screenings: state.screenings, today: state.today }));
  renderPlan();
  renderTrends(range);
  renderBeforeAfter();
  renderInsights();
  renderSummary();
  document.body.dataset.progressReady = 'true';
}

async function main() {
  // Marks for bench/progress_bench.py: the page with a year of diary against an empty one.
  performance.mark('mbr-progress-start');
  state = await load();
  await initCheckin(state.today);
  initSummary();
  for (const input of document.querySelectorAll('input[name="range"]')) input.addEventListener('change', render);
  document.addEventListener(HOLD_EVENT, render);
  render();
  performance.mark('mbr-progress-ready');
  // Opened from the check-in reminder or prompt (/progress#checkin): the first answer
  // has focus, so a keyboard or screen reader starts where a finger would.
  const focusCheckin = () => { if (window.location.hash === '#checkin') $('checkin-form').elements[FIELDS[0]].focus(); };
  focusCheckin();
  window.addEventListener('hashchange', focusCheckin);
}

if ($('checkin-form')) {
  main().catch((err) => {
    // IndexedDB unavailable (some private modes): say so instead of an empty page.
    console.warn('Progress diary unavailable:', err);
    $('checkin-status').textContent = 'This browser will not let the app keep a diary on this device (private browsing?).';
  });
}
