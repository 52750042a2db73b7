// Safety check: one question at a time, evaluated on this device by the same rule set
// the server uses. Answers are never sent anywhere; the result is kept in local history.
import { evaluate, emergencyNumber } from './screening-rules.js';
import { KEYS, read, write, localDate } from './storage.js';

const app = document.getElementById('screening-app');
const staticView = document.getElementById('screening-static');
const rules = JSON.parse(document.getElementById('screening-rules').textContent);
const historySection = document.getElementById('screening-history-section');
const historyList = document.getElementById('screening-history');

const levelById = Object.fromEntries(rules.levels.map((l) => [l.id, l]));
let answers = {};
let index = 0;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function focusHeading(node) {
  node.setAttribute('tabindex', '-1');
  node.focus();
}

function number() {
  const prefs = read(KEYS.preferences, {});
  return emergencyNumber(rules, navigator.languages || [navigator.language], prefs.emergencyNumber);
}

function enhanceIntro() {
  // The server-rendered link jumps to the static lists without JavaScript; with it, the
  // same button starts the one-question-at-a-time check in place (no layout shift).
  document.getElementById('screening-start').addEventListener('click', (event) => {
    event.preventDefault();
    answers = {};
    index = 0;
    renderQuestion();
  });
}

function renderQuestion() {
  document.body.classList.remove('has-outcome');
  const q = rules.questions[index];
  const heading = el('h2', { class: 'question', id: 'screening-question' }, q.text);
  const nodes = [el('p', { class: 'progress-text' }, `Question ${index + 1} of ${rules.questions.length}`)];
  const bar = el('progress', { max: String(rules.questions.length), value: String(index), 'aria-hidden': 'true' });
  nodes.push(bar, heading);
  if (q.hint) nodes.push(el('p', { class: 'small' }, q.hint));
  const row = el('div', { class: 'answer-row' });
  const yes = el('button', { type: 'button', class: 'btn btn-big', id: 'answer-yes', 'aria-describedby': 'screening-question' }, 'Yes');
  const no = el('button', { type: 'button', class: 'btn btn-big', id: 'answer-no', 'aria-describedby': 'screening-question' }, 'No');
  if (answers[q.id] === true) yes.classList.add('btn-primary');
  if (answers[q.id] === false) no.classList.add('btn-primary');
  yes.addEventListener('click', () => answer(q.id, true));
  no.addEventListener('click', () => answer(q.id, false));
  row.append(yes, no);
  nodes.push(row);
  if (index > 0) {
    const back = el('button', { type: 'button', class: 'btn btn-quiet', id: 'answer-back' }, 'Back');
    back.addEventListener('click', () => { index -= 1; renderQuestion(); });
    nodes.push(el('p'));
    nodes[nodes.length - 1].append(back);
  }
  app.replaceChildren(...nodes);
  focusHeading(heading);
  // One-handed: the question and both answers on one screen, above the tab bar.
  app.scrollIntoView({ block: 'start' });
}

function answer(id, value) {
  answers[id] = value;
  if (index + 1 < rules.questions.length) {
    index += 1;
    renderQuestion();
  } else {
    finish();
  }
}

function finish() {
  const full = Object.fromEntries(rules.questions.map((q) => [q.id, answers[q.id] === true]));
  const outcome = evaluate(rules, full);
  const record = { date: localDate(), at: new Date().toISOString(), version: rules.version, level: outcome.level, reasons: outcome.reasons, answers: full };
  const history = read(KEYS.screenings, []);
  history.push(record);
  write(KEYS.screenings, history.slice(-100));
  renderOutcome(record, true);
  renderHistory();
}

function renderOutcome(record, announce) {
  const level = levelById[record.level];
  const box = el('section', { class: `outcome outcome-${level.id}`, id: 'screening-outcome', 'aria-label': 'Your result' });
  const title = el('h2', { id: 'outcome-title' }, level.title);
  box.append(title);
  if (level.id === 'emergency') {
    const n = number();
    box.append(el('a', { class: 'btn btn-urgent btn-big', href: `tel:${n}`, id: 'call-emergency' }, `Call ${n} now`));
  }
  box.append(el('p', {}, level.summary));
  if (record.reasons.length) {
    box.append(el('h3', {}, 'Why'));
    const why = el('ul', { id: 'outcome-reasons' });
    for (const r of record.reasons) why.append(el('li', {}, r));
    box.append(why);
  } else {
    box.append(el('p', {}, 'You answered no to every warning sign.'));
  }
  box.append(el('h3', {}, 'What to do next'));
  const next = el('ul');
  for (const s of level.next_steps) next.append(el('li', {}, s));
  box.append(next);
  if (level.id === 'emergency' || level.id === 'same-day') {
    box.append(el('p', { class: 'small' }, 'The app will not suggest stretches for the rest of today.'));
  } else {
    const go = el('a', { class: 'btn', href: '/stretches' }, 'Go to stretches');
    box.append(go);
  }
  const actions = el('div', { class: 'actions no-print' });
  const share = el('button', { type: 'button', class: 'btn', id: 'screening-share' }, 'Share or print for a doctor');
  share.addEventListener('click', () => shareSummary(record));
  const again = el('button', { type: 'button', class: 'btn btn-quiet', id: 'screening-again' }, 'Check again');
  again.addEventListener('click', () => { answers = {}; index = 0; renderQuestion(); });
  actions.append(share, again);
  const live = el('p', { class: 'visually-hidden', 'aria-live': 'assertive', id: 'outcome-live' });
  app.replaceChildren(box, actions, live);
  document.body.classList.add('has-outcome');
  if (announce) {
    focusHeading(title);
    live.textContent = `Result: ${level.title}.`;
  }
}

function summaryText(record) {
  const level = levelById[record.level];
  const yes = rules.questions.filter((q) => record.answers && record.answers[q.id]).map((q) => `- ${q.text}`);
  return [
    `Mid-Back Relief safety check, ${record.date} (rules ${record.version})`,
    `Result: ${level.title}`,
    yes.length ? `Answered yes to:\n${yes.join('\n')}` : 'Answered no to every warning sign.',
    'This is not a diagnosis.',
  ].join('\n\n');
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
  historyList.replaceChildren(...history.slice(-10).reverse().map((h) => {
    const li = el('li');
    const button = el('button', { type: 'button', class: 'btn btn-quiet' }, `${h.date}: ${levelById[h.level] ? levelById[h.level].title : h.level}`);
    button.addEventListener('click', () => renderOutcome(h, true));
    li.append(button);
    return li;
  }));
}

if (app && staticView) {
  enhanceIntro();
  renderHistory();
}
