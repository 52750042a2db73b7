// One optional tap before and after a routine: "How is your back right now?" 0-10.
// Stored in the diary (diary.js) and shown on /progress as pain before vs after. The
// player (player.js) only announces when a routine starts and finishes; this module
// owns the rest, so the two can change independently.
import { rateRoutine } from './diary.js';

const player = document.getElementById('player');
const box = document.getElementById('pain-rating');

// The rating is in the page (partials/pain_rating.html); this wires it up.
function wire(routine) {
  const title = document.getElementById('pain-rating-title');
  const status = document.getElementById('pain-rating-status');
  const buttons = [...box.querySelectorAll('button[data-pain]')];
  let when = 'before';
  for (const b of buttons) {
    const n = Number(b.dataset.pain);
    b.addEventListener('click', async () => {
      try {
        await rateRoutine(routine, when, n);
      } catch (err) {
        status.textContent = 'Could not save that on this device.';
        console.warn('Rating not saved:', err);
        return;
      }
      for (const other of buttons) other.setAttribute('aria-pressed', String(other === b));
      status.textContent = `Noted: pain ${n} of 10 ${when} this routine. See it in My back.`;
    });
  }
  const set = (mode) => {
    when = mode;
    title.textContent = title.dataset[mode];
    for (const b of buttons) b.setAttribute('aria-pressed', 'false');
    status.textContent = '';
    box.hidden = false;
  };
  document.addEventListener('mbr:routine-started', () => { box.hidden = true; });
  document.addEventListener('mbr:routine-finished', () => set('after'));
}

if (box && player && player.dataset.routine) {
  // Without a diary to keep it in, the question would be a promise the app cannot keep.
  if ('indexedDB' in window) wire(player.dataset.routine);
  else box.hidden = true;
}
