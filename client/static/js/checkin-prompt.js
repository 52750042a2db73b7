// Home: a gentle "How is your back today?" card when there is no check-in today. Never
// nags: only for people already using the app (a plan, a routine or an earlier check-in),
// never twice on a day it was waved away, and no counts, streaks or guilt.
import { KEYS, localDate, read } from './storage.js';
import { checkinOn, checkins, promptDismissed, dismissPrompt } from './diary.js';

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function show() {
  const today = localDate();
  const inUse = read(KEYS.plan, null) || read(KEYS.history, []).length;
  if (await checkinOn(today) || await promptDismissed(today)) return;
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

if ('indexedDB' in window) show().catch((err) => console.warn('Check-in prompt unavailable:', err));
