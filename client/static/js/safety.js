// After an emergency or same-day screening outcome, the app stops suggesting stretches
// for the rest of that day and says why.
import { KEYS, read, localDate } from './storage.js';

const HOLD_LEVELS = new Set(['emergency', 'same-day']);

export function stretchHold(today = localDate()) {
  const screenings = read(KEYS.screenings, []);
  const latest = screenings.filter((s) => s.date === today).pop();
  return latest && HOLD_LEVELS.has(latest.level) ? latest : null;
}

export function stretchHoldNotice(before) {
  const hold = stretchHold();
  if (!hold || !before) return null;
  const note = document.createElement('aside');
  note.className = 'note note-urgent';
  note.id = 'stretch-hold';
  const title = document.createElement('h2');
  title.textContent = 'No stretches today';
  const text = document.createElement('p');
  text.textContent = hold.level === 'emergency'
    ? 'Your safety check today said to call emergency services. Please get that help first. Stretching could hide or worsen the problem.'
    : 'Your safety check today said to get medical help today. Please do that before any stretching.';
  const link = document.createElement('a');
  link.href = '/screening';
  link.textContent = 'See your safety check result';
  const p = document.createElement('p');
  p.append(link);
  note.append(title, text, p);
  before.before(note);
  return note;
}
