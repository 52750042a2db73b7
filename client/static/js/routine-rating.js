// One optional tap before and after a routine: "How is your back right now?" 0-10.
// Stored in the diary (diary.js) and shown on /progress as pain before vs after. The
// player (player.js) only announces when a routine starts and finishes; this module
// owns the rest, so the two can change independently.
import { rateRoutine } from './diary.js';
import { el } from './dom.js';

const player = document.getElementById('player');

function build(routine) {
  // data-stretch: hidden with the rest of the routine while the safety check holds stretches.
  const box = el('section', { class: 'rating', id: 'pain-rating', 'aria-labelledby': 'pain-rating-title', 'data-stretch': '' });
  const title = el('p', { id: 'pain-rating-title' });
  const row = el('div', { class: 'rating-row', role: 'group', 'aria-labelledby': 'pain-rating-title' });
  const status = el('p', { class: 'small', id: 'pain-rating-status', role: 'status' });
  let when = 'before';
  const buttons = [];
  for (let n = 0; n <= 10; n += 1) {
    const b = el('button', { type: 'button', class: 'btn btn-small', 'data-pain': String(n), 'aria-pressed': 'false' }, String(n));
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
    buttons.push(b);
    row.append(b);
  }
  const set = (mode) => {
    when = mode;
    title.textContent = mode === 'before'
      ? 'How is your back right now? Tap 0 (no pain) to 10 (worst). Optional.'
      : 'And now, after the routine? Tap 0 (no pain) to 10 (worst). Optional.';
    for (const b of buttons) b.setAttribute('aria-pressed', 'false');
    status.textContent = '';
    box.hidden = false;
  };
  set('before');
  box.append(title, row, status);
  document.addEventListener('mbr:routine-started', () => { box.hidden = true; });
  document.addEventListener('mbr:routine-finished', () => set('after'));
  return box;
}

if (player && player.dataset.routine && 'indexedDB' in window) {
  player.after(build(player.dataset.routine));
}
