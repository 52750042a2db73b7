// Home: a gentle "How is your back today?" card when there is no check-in today. Never
// nags: only for people already using the app (a plan, a routine or an earlier check-in),
// never twice on a day it was waved away, and no counts, streaks or guilt.
// Once checked in, the plan follows: a pain or stress level that changes today's plan
// (progress-rules.js) shows here too, never while the safety check holds stretches.
import { KEYS, appData, localDate, read } from './storage.js';
import { checkinOn, checkins, checkinsSince, promptDismissed, promptWanted, dismissPrompt } from './diary.js';
import { adaptPlan, addDays } from './progress-rules.js';
import { currentHold } from './safety.js';
import { el } from './dom.js';
import rules from './progress-data.js';

async function showPlanChange(today) {
  const data = appData();
  if (currentHold()) return;
  const plan = read(KEYS.plan, null);
  const chosen = new Set(plan && Array.isArray(plan.choices) ? plan.choices : []);
  const leaveOut = data.choices.filter((c) => chosen.has(c.id)).flatMap((c) => c.leave_out || []);
  const routineMovements = Object.fromEntries(Object.entries(data.routines).map(([id, r]) => [id, r.movements]));
  const { adaptations } = adaptPlan(rules, {
    checkins: await checkinsSince(addDays(today, -21)), today, leaveOut, routineMovements,
  });
  const first = adaptations[0];
  if (!first) return;
  const box = el('aside', { class: 'note note-ok', id: 'plan-today', 'aria-labelledby': 'plan-today-title', 'data-stretch': '' });
  box.append(el('h2', { id: 'plan-today-title' }, first.title), el('p', {}, first.text));
  const actions = el('div', { class: 'actions' });
  for (const id of first.routines.slice(0, 2)) {
    if (data.routines[id]) actions.append(el('a', { class: 'btn', href: `/routines/${id}` }, data.routines[id].title));
  }
  box.append(actions);
  const anchor = document.getElementById('get-help-now');
  if (anchor) anchor.after(box);
}

async function show() {
  const today = localDate();
  const inUse = read(KEYS.plan, null) || read(KEYS.history, []).length;
  if (await checkinOn(today)) { await showPlanChange(today); return; }
  if (await promptDismissed(today) || !(await promptWanted())) return;
  if (!inUse && !(await checkins()).length) return;
  const box = el('aside', { class: 'note note-ok checkin-prompt', id: 'checkin-prompt', 'aria-labelledby': 'checkin-prompt-title' });
  const text = el('p');
  text.append(el('strong', { id: 'checkin-prompt-title' }, 'How is your back today?'), document.createTextNode(' A few seconds, if you like.'));
  const go = el('a', { class: 'btn btn-primary btn-small', href: '/progress#checkin', id: 'checkin-prompt-go' }, 'Check in');
  const later = el('button', { type: 'button', class: 'btn btn-quiet btn-small', id: 'checkin-prompt-later' }, 'Not today');
  later.addEventListener('click', async () => {
    await dismissPrompt(today);
    box.remove();
    document.querySelector('main')?.focus();
  });
  box.append(text, go, later);
  // Below "Get help now": urgent advice keeps its place near the top.
  const anchor = document.getElementById('get-help-now') || document.querySelector('.hero');
  if (anchor) anchor.after(box);
}

if ('indexedDB' in window) {
  show()
    .catch((err) => console.warn('Check-in prompt unavailable:', err))
    // Done deciding (for tests: "nothing shown" is then a real answer).
    .finally(() => { document.body.dataset.checkinPrompt = 'done'; });
}
