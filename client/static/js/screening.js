// Safety check: one question per screen, evaluated on this device by the same rule set
// the server uses (screening-rules.js). Answers are never sent anywhere; the result is
// kept in local history.
//
// - The check stops at the first emergency: after every answer the answers so far are
//   evaluated, and an emergency goes straight to the result with its call button.
// - "Not sure" is an answer and counts as yes.
// - Profile facts (age, pregnancy, thin bones, ...) are asked once, remembered on this
//   phone (KEYS.profile, editable in settings) and used again without asking; the age
//   is asked as a number and answers every age band.
// - Follow-ups are asked only when one of their `ask_if` questions was yes or not sure.
import { UNSURE, evaluate, unanswered } from './screening-rules.js';
import rules from './screening-data.js';
import { KEYS, read, write, localDate } from './storage.js';
import { fillNumbers, localHelp } from './emergency.js';
import { HOLD_LEVELS, assessedButton, callButtons, currentHold, holdChanged, urgentAction } from './safety.js';
import { el } from './dom.js';
import { PROPOSED_QUESTION, diaryProposal } from './diary-proposal.js';

const app = document.getElementById('screening-app');
const staticView = document.getElementById('screening-static');
const historySection = document.getElementById('screening-history-section');
const historyList = document.getElementById('screening-history');

// Each outcome's words (title, summary, next steps) are in the page, in the static lists
// the server renders from the same rules (#screening-static), so the module does not
// carry them twice. They are copied as nodes, not text: the first paint may already
// have filled in the emergency number, and fillNumbers fills the copies again.
function levelWords(id) {
  const section = staticView.querySelector(`section.outcome-${id}`);
  const part = (selector) => {
    const node = section.querySelector(selector);
    if (!node) throw new Error(`The safety check's ${id} outcome has no ${selector} in the page`);
    return node;
  };
  return {
    id,
    title: part('h2').textContent,
    summary: () => [...part('[data-summary]').childNodes].map((n) => n.cloneNode(true)),
    nextSteps: () => [...part('[data-steps]').children].map((li) => li.cloneNode(true)),
  };
}
const levelById = staticView ? Object.fromEntries(rules.levels.map((l) => [l.id, levelWords(l.id)])) : {};
const ageQuestions = rules.questions.filter((q) => q.age);
const AGE_STEP = 'age';
const LABELS = { true: 'Yes', false: 'No', [UNSURE]: 'Not sure' };

let answers = {}; // this check's answers, question id -> true | false | "unsure"
let trail = []; // the steps shown so far, for Back: a question id or AGE_STEP
let seen = new Set(); // every step shown in this check (remembered facts shown again stay in)
// The diary's suggested answer to "not improving" (diary-proposal.js), or null.
let proposal = null;
diaryProposal().then((p) => { proposal = p; }).catch((err) => console.warn('No diary proposal:', err));

// --- Profile facts, remembered on this phone -----------------------------------------

export function loadProfile() {
  const stored = read(KEYS.profile, null);
  const profile = stored && typeof stored === 'object' ? stored : {};
  return {
    answers: profile.answers && typeof profile.answers === 'object' ? { ...profile.answers } : {},
    age: Number.isInteger(profile.age) ? profile.age : null,
    ageAsOf: typeof profile.ageAsOf === 'string' ? profile.ageAsOf : null,
  };
}

export function saveProfile(profile) {
  write(KEYS.profile, { ...profile, updated: new Date().toISOString() });
}

/** Age today from an age given on a date (whole years since then are added). */
export function currentAge(profile, today = new Date()) {
  if (profile.age === null) return null;
  const asOf = profile.ageAsOf ? new Date(`${profile.ageAsOf}T00:00:00`) : today;
  const years = Math.floor((today - asOf) / (365.25 * 24 * 3600 * 1000));
  return profile.age + Math.max(0, years);
}

export function ageAnswers(age) {
  const out = {};
  for (const q of ageQuestions) {
    if (age === null) out[q.id] = UNSURE;
    else out[q.id] = (q.age.min === undefined || age >= q.age.min) && (q.age.max === undefined || age <= q.age.max);
  }
  return out;
}

/** Remembered profile answers, the age bands worked out from the age. */
export function profileAnswers(profile = loadProfile()) {
  const out = {};
  for (const q of rules.questions) {
    if (q.profile && !q.age && Object.prototype.hasOwnProperty.call(profile.answers, q.id)) out[q.id] = profile.answers[q.id];
  }
  if (profile.age !== null) Object.assign(out, ageAnswers(currentAge(profile)));
  else if (ageQuestions.every((q) => profile.answers[q.id] === UNSURE)) Object.assign(out, ageAnswers(null));
  return out;
}

function rememberAnswer(id, value) {
  const profile = loadProfile();
  profile.answers[id] = value;
  saveProfile(profile);
}

function rememberAge(age) {
  const profile = loadProfile();
  profile.age = age;
  profile.ageAsOf = age === null ? null : localDate();
  for (const q of ageQuestions) {
    if (age === null) profile.answers[q.id] = UNSURE;
    else delete profile.answers[q.id];
  }
  saveProfile(profile);
}

// --- Which question comes next ---------------------------------------------------------

const positive = (value) => value === true || value === UNSURE;

// Remembered facts, then this check's answers, without follow-ups whose question no
// longer applies (answered, then Back and a changed answer above them).
function effectiveAnswers() {
  const given = { ...profileAnswers(), ...answers };
  for (const q of rules.questions) {
    if (q.ask_if && q.id in given && !q.ask_if.some((parent) => positive(given[parent]))) delete given[q.id];
  }
  return given;
}

// The steps still to ask after `after` (a step key, or null from the start).
function remainingSteps(after) {
  const known = profileAnswers();
  const current = effectiveAnswers();
  let started = after === null;
  let ageSeen = false;
  const steps = [];
  for (const q of rules.questions) {
    const key = q.age ? AGE_STEP : q.id;
    if (!started) {
      if (key === after) started = true;
      if (q.age) ageSeen = true;
      continue;
    }
    if (q.age) {
      if (ageSeen) continue;
      ageSeen = true;
      if (!(q.id in known) || seen.has(AGE_STEP)) steps.push(AGE_STEP);
      continue;
    }
    if (q.profile && q.id in known && !seen.has(q.id)) continue;
    if (q.ask_if && !q.ask_if.some((parent) => positive(current[parent]))) continue;
    steps.push(key);
  }
  return steps;
}

// --- Screens -------------------------------------------------------------------------

function focusHeading(node) {
  node.setAttribute('tabindex', '-1');
  node.focus();
}

function start() {
  answers = {};
  trail = [];
  seen = new Set();
  next(null);
}

function next(after) {
  const [step] = remainingSteps(after);
  if (step === undefined) finish(false);
  else show(step);
}

function show(step) {
  document.body.classList.remove('has-outcome');
  document.body.classList.add('is-checking');
  const position = trail.indexOf(step);
  if (position >= 0) trail = trail.slice(0, position);
  trail.push(step);
  seen.add(step);
  const count = trail.length;
  const total = count + remainingSteps(step).length;
  const nodes = [
    el('p', { class: 'progress-text', id: 'screening-progress' }, `Question ${count} of ${total}`),
    el('progress', { max: String(total), value: String(count - 1), 'aria-hidden': 'true' }),
  ];
  if (step === AGE_STEP) nodes.push(...ageScreen());
  else nodes.push(...questionScreen(rules.questions.find((q) => q.id === step)));
  // The call stays one tap away on every question, not only above the check.
  const now = el('p', { class: 'now-call', id: 'screening-now' }, 'Need help now? ');
  now.append(el('a', { class: 'btn', href: 'tel:112', 'data-call': 'now' }, 'Call your emergency number'));
  nodes.push(now);
  if (trail.length > 1) {
    const back = el('button', { type: 'button', class: 'btn btn-quiet', id: 'answer-back' }, 'Back');
    back.addEventListener('click', () => show(trail[trail.length - 2]));
    const row = el('p', { class: 'back-row' });
    row.append(back);
    nodes.push(row);
  }
  app.replaceChildren(...nodes);
  fillNumbers(document.getElementById('screening-now'));
  focusHeading(document.getElementById('screening-question'));
  // One-handed: the question and its answers on one screen, above the tab bar.
  app.scrollIntoView({ block: 'start' });
}

function profileNote() {
  return el('p', { class: 'small profile-note' }, 'About you: asked once and remembered on this phone. You can change it in My back.');
}

function questionScreen(q) {
  const nodes = [];
  if (q.profile) nodes.push(profileNote());
  const heading = el('h2', { class: 'question', id: 'screening-question' }, q.text);
  nodes.push(heading);
  if (q.hint) nodes.push(el('p', { class: 'small', id: 'screening-hint' }, q.hint));
  const proposed = q.id === PROPOSED_QUESTION && proposal ? proposal.answer : undefined;
  if (proposed !== undefined) nodes.push(el('p', { class: 'note note-caution', id: 'diary-proposal' }, proposal.text));
  const row = el('div', { class: 'answer-row', role: 'group', 'aria-labelledby': 'screening-question' });
  const current = q.id in answers ? answers[q.id] : profileAnswers()[q.id];
  for (const [id, value] of [['answer-yes', true], ['answer-no', false], ['answer-unsure', UNSURE]]) {
    const button = el('button', { type: 'button', class: 'btn btn-big', id }, LABELS[value]);
    if (current === value) {
      // Back to an answered question: show (and say) which answer was given.
      button.classList.add('btn-primary');
      button.append(el('span', { class: 'visually-hidden' }, ' (your answer)'));
    } else if (current === undefined && value === proposed) {
      button.classList.add('btn-proposed');
      button.append(el('span', { class: 'visually-hidden' }, ' (suggested by your diary)'));
    }
    button.addEventListener('click', () => answer(q, value));
    row.append(button);
  }
  nodes.push(row);
  return nodes;
}

function ageScreen() {
  const profile = loadProfile();
  const form = el('form', { class: 'age-form', id: 'age-form', novalidate: '' });
  const heading = el('h2', { class: 'question', id: 'screening-question' }, 'How old are you?');
  const input = el('input', {
    id: 'age-input', type: 'text', inputmode: 'numeric', autocomplete: 'off', maxlength: '3',
    'aria-labelledby': 'screening-question', 'aria-describedby': 'age-hint age-error',
  });
  if (profile.age !== null) input.value = String(currentAge(profile));
  const hint = el('p', { class: 'small', id: 'age-hint' }, 'In years. Some warning signs depend on age. Remembered on this phone.');
  const error = el('p', { class: 'field-error', id: 'age-error', 'aria-live': 'polite' });
  const go = el('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'age-continue' }, 'Continue');
  const skip = el('button', { type: 'button', class: 'btn btn-quiet', id: 'age-skip' }, "I'd rather not say");
  form.append(heading, hint, input, error, go);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    const age = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
    if (!(age >= 1 && age <= 120)) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = 'Please enter your age in years, for example 45.';
      input.focus();
      return;
    }
    rememberAge(age);
    afterAnswer(AGE_STEP);
  });
  skip.addEventListener('click', () => {
    rememberAge(null);
    afterAnswer(AGE_STEP);
  });
  const row = el('p', { class: 'skip-row' });
  row.append(skip);
  return [form, row];
}

function answer(q, value) {
  answers[q.id] = value;
  if (q.profile) rememberAnswer(q.id, value);
  afterAnswer(q.id);
}

function afterAnswer(step) {
  // Stop at the first emergency: nothing else asked can make it less urgent.
  if (evaluate(rules, effectiveAnswers()).level === 'emergency') finish(remainingSteps(step).length > 0);
  else next(step);
}

// --- The result ----------------------------------------------------------------------

function finish(stopped) {
  const given = effectiveAnswers();
  const outcome = evaluate(rules, given);
  const record = {
    date: localDate(),
    at: new Date().toISOString(),
    version: rules.version,
    level: outcome.level,
    reasons: outcome.reasons,
    advice: outcome.advice,
    answers: given,
    unanswered: unanswered(rules, given),
    stopped,
  };
  const history = read(KEYS.screenings, []);
  history.push(record);
  write(KEYS.screenings, history.slice(-100));
  const hold = holdChanged();
  renderOutcome(record, true, { held: Boolean(hold && hold.at === record.at) });
  renderHistory();
}

// Age not given: every age band counts as "not sure" (so as yes), and listing "under 20"
// next to "70 or over" would read as a mistake. Show one line that says what happened.
const AGE_REASONS = new Set(rules.signs.filter((s) => s.reason && ageQuestions.some((q) => q.signs.includes(s.id))).map((s) => s.reason));
export const AGE_NOT_GIVEN = 'You did not give your age. Some warning signs depend on age, so the check plays safe.';

function shownReasons(record) {
  const given = record.answers || {};
  if (!ageQuestions.length || !ageQuestions.every((q) => given[q.id] === UNSURE)) return record.reasons;
  const out = [];
  for (const r of record.reasons) {
    if (!AGE_REASONS.has(r)) out.push(r);
    else if (!out.includes(AGE_NOT_GIVEN)) out.push(AGE_NOT_GIVEN);
  }
  return out;
}

function renderOutcome(record, announce, { held = false, current = true } = {}) {
  const level = levelById[record.level] || levelById['self-care'];
  const help = localHelp();
  const box = el('section', { class: `outcome outcome-${level.id}`, id: 'screening-outcome', 'aria-label': 'Your result' });
  const title = el('h2', { id: 'outcome-title' }, level.title);
  box.append(title);
  if (level.id === 'emergency') {
    const [call, hint] = callButtons(help, { big: true });
    box.append(call, hint);
  } else if (level.id === 'same-day') {
    const actions = el('div', { class: 'actions' });
    actions.append(...urgentAction(help));
    box.append(actions);
  }
  const summary = el('p', { id: 'outcome-summary' });
  summary.append(...level.summary());
  box.append(summary);
  if (record.stopped) box.append(el('p', { class: 'small', id: 'outcome-stopped' }, 'We stopped the questions here: this needs help now, and no other answer could change that.'));
  if (record.reasons && record.reasons.length) {
    box.append(el('h3', {}, 'Why'));
    const why = el('ul', { id: 'outcome-reasons' });
    for (const r of shownReasons(record)) why.append(el('li', {}, r));
    box.append(why);
  }
  box.append(el('h3', {}, 'What to do next'));
  const next = el('ul', { id: 'outcome-next' });
  for (const s of record.advice || []) next.append(el('li', {}, s));
  next.append(...level.nextSteps());
  box.append(next);
  if (HOLD_LEVELS.has(level.id) && current) {
    if (held) {
      box.append(el('p', { id: 'outcome-hold' }, 'Stretches in this app are on hold until a doctor, nurse or physiotherapist has checked you. When they have, tap the button below.'));
      box.append(assessedButton('screening-assessed'));
    } else {
      box.append(el('p', { id: 'outcome-hold' }, 'You told us a clinician has already checked you for these answers, so stretches are not on hold. If anything is new or worse, get checked again.'));
    }
  } else if (!HOLD_LEVELS.has(level.id)) {
    box.append(el('a', { class: 'btn', href: '/stretches' }, 'Go to stretches'));
  }
  const actions = el('div', { class: 'actions no-print' });
  const share = el('button', { type: 'button', class: 'btn', id: 'screening-share' }, 'Share or print for a doctor');
  share.addEventListener('click', () => shareSummary(record));
  const again = el('button', { type: 'button', class: 'btn btn-quiet', id: 'screening-again' }, 'Check again');
  again.addEventListener('click', start);
  actions.append(share, again);
  const live = el('p', { class: 'visually-hidden', 'aria-live': 'assertive', id: 'outcome-live' });
  app.replaceChildren(box, actions, live);
  fillNumbers(app, help);
  document.body.classList.remove('is-checking');
  document.body.classList.add('has-outcome');
  if (announce) {
    focusHeading(title);
    live.textContent = `Result: ${level.title}.`;
  }
}

function summaryText(record) {
  const level = levelById[record.level];
  const given = record.answers || {};
  const yes = rules.questions
    .filter((q) => positive(given[q.id]))
    .map((q) => `- ${q.text} ${given[q.id] === UNSURE ? '(not sure)' : '(yes)'}`);
  return [
    `Mid-Back Relief safety check, ${record.date} (rules ${record.version})`,
    `Result: ${level ? level.title : record.level}`,
    yes.length ? `Answered yes or not sure to:\n${yes.join('\n')}` : 'Answered no to every warning sign asked.',
    record.stopped ? 'The check stopped early because of an urgent answer.' : '',
    'This is not a diagnosis.',
  ].filter(Boolean).join('\n\n');
}

async function shareSummary(record) {
  const text = summaryText(record);
  if (navigator.share) {
    try { await navigator.share({ title: 'Safety check summary', text }); return; } catch (err) { /* cancelled: fall back to print */ }
  }
  window.print();
}

function renderHistory() {
  const history = read(KEYS.screenings, []);
  historySection.hidden = history.length === 0;
  const latest = history[history.length - 1];
  historyList.replaceChildren(...history.slice(-10).reverse().map((h) => {
    const li = el('li');
    const button = el('button', { type: 'button', class: 'btn btn-quiet' }, `${h.date}: ${levelById[h.level] ? levelById[h.level].title : h.level}`);
    button.addEventListener('click', () => {
      const hold = currentHold();
      renderOutcome(h, true, { held: Boolean(hold && hold.at === h.at), current: h === latest });
    });
    li.append(button);
    return li;
  }));
}

function showLatest() {
  const history = read(KEYS.screenings, []);
  const latest = history[history.length - 1];
  if (!latest) return;
  const hold = currentHold();
  renderOutcome(latest, true, { held: Boolean(hold && hold.at === latest.at) });
}

if (app && staticView) {
  // The server-rendered link jumps to the static lists without JavaScript; with it, the
  // same button starts the one-question-at-a-time check in place (no layout shift).
  document.getElementById('screening-start').addEventListener('click', (event) => {
    event.preventDefault();
    start();
  });
  renderHistory();
  if (window.location.hash === '#result') showLatest();
}
