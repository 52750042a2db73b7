// Holding stretches until the person has been assessed.
//
// After an emergency or same-day safety-check result, home, the library, routines and
// the player stop offering stretches and say why, with the call (or "get help today")
// action first, until the person says a clinician has checked them, or a new check
// gives a calmer result. The hold is worked out from what is stored (the checks and the
// "I have been checked" record), never from the date: it survives reloads and midnight.
//
// Once checked, the same answers (a remembered past cancer or osteoporosis, say) do not
// hold stretches again; only an answer that is new, or that went away and came back.
//
// Whenever the hold changes, this module emits `mbr:hold-changed` on `document`
// ({detail: {held, level}}) and asks the server, through push-device.js
// applySafetyHold(), to pause posture-break and movement reminders (no reason sent).
import { KEYS, read, write } from './storage.js';
import { fillNumbers, localHelp } from './emergency.js';
import { el } from './dom.js';
// The pure rule lives in hold-rule.js: every page's head runs the same text inline.
import { HOLD_LEVELS, holdFrom, positives } from './hold-rule.js';

export { HOLD_LEVELS, holdFrom, positives };
export const HOLD_EVENT = 'mbr:hold-changed';

// --- Stored state -------------------------------------------------------------------

export function currentHold() {
  return holdFrom(read(KEYS.screenings, []), read(KEYS.assessed, null));
}

let lastKey;
function holdKey(hold) {
  return hold ? `${hold.at}|${hold.level}` : '';
}

async function pauseReminders() {
  try {
    const reminders = await import('./push-device.js');
    await reminders.applySafetyHold();
  } catch (err) {
    // Offline or no push device: the reminders page syncs the plan on its next visit.
    console.warn('Could not update reminders for the safety hold:', err);
  }
}

/** Call after anything that can change the hold: a new check, "I have been checked", an import. */
export function holdChanged() {
  const hold = applyHold();
  const key = holdKey(hold);
  if (key === lastKey) return hold;
  lastKey = key;
  document.dispatchEvent(new CustomEvent(HOLD_EVENT, { detail: { held: Boolean(hold), level: hold ? hold.level : null } }));
  pauseReminders();
  return hold;
}

/** The person says a doctor, nurse or physiotherapist has checked them since the result. */
export function markAssessed() {
  const hold = currentHold();
  if (!hold) return;
  write(KEYS.assessed, { at: new Date().toISOString(), covered: [...positives(hold.answers)] });
  holdChanged();
}

// --- The page -----------------------------------------------------------------------

/** The emergency call button and its "Not your number?" link, filled for this person. */
export function callButtons(help = localHelp(), { big = false, id = 'call-emergency' } = {}) {
  const call = el('a', { class: `btn btn-urgent${big ? ' btn-big' : ''}`, href: `tel:${help.number}`, 'data-call': 'now', id }, `Call ${help.number} now`);
  const hint = el('p', { class: 'small number-hint' });
  hint.append(el('a', { href: '/settings#emergency-title' }, 'Not your number?'));
  return [call, hint];
}

/** "Get help today": the region's urgent service as a call, or what to do where we know none. */
export function urgentAction(help = localHelp()) {
  if (help.urgent) {
    return [el('a', { class: 'btn btn-urgent', href: `tel:${help.urgent.number}`, id: 'call-urgent' }, `Call ${help.urgent.name}`)];
  }
  return [el('p', { class: 'get-help-today' }, "Call your doctor's surgery (GP) and ask to be seen today. If they are closed, contact your doctor's urgent line or out-of-hours service.")];
}

export function assessedButton(id = 'hold-assessed') {
  const button = el('button', { type: 'button', class: 'btn', id }, 'A clinician has checked me');
  button.addEventListener('click', () => {
    markAssessed();
    // The notice holding this button is gone: keep focus in the page, not on <body>.
    document.querySelector('main')?.focus();
    const status = document.getElementById('hold-status');
    if (status) status.textContent = 'Thank you. Stretches are back. Take the safety check again if anything changes.';
  });
  return button;
}

function holdNotice(hold) {
  const help = localHelp();
  const emergency = hold.level === 'emergency';
  const note = el('aside', { class: 'note note-urgent hold-notice', id: 'stretch-hold', 'aria-labelledby': 'hold-title' });
  note.append(el('h2', { id: 'hold-title' }, 'Stretches are on hold'));
  note.append(el('p', {}, emergency
    ? 'Your safety check said to call your emergency number. Please get that help first: stretching could hide or worsen the problem.'
    : 'Your safety check said to get medical help today. Please do that first: stretching could hide or worsen the problem.'));
  const actions = el('div', { class: 'actions' });
  if (emergency) {
    const [call, hint] = callButtons(help, { id: 'hold-call' });
    actions.append(call);
    note.append(actions, hint);
  } else {
    actions.append(...urgentAction(help));
    note.append(actions);
  }
  note.append(el('p', {}, 'Once a doctor, nurse or physiotherapist has checked you, tell the app and stretches come back.'));
  const more = el('div', { class: 'actions' });
  more.append(assessedButton(), el('a', { class: 'btn btn-quiet', href: '/screening#result' }, 'See your result'));
  note.append(more);
  fillNumbers(note, help);
  return note;
}

// Home, the library, exercises and routines offer stretches; the notice goes there.
function offersStretches(path = window.location.pathname) {
  return path === '/' || path === '/stretches' || path.startsWith('/stretches/') || path.startsWith('/routines/');
}

/**
 * Show the hold on this page: `html.stretch-hold` hides everything marked
 * `data-stretch` (see app.css), and pages that offer stretches get the notice first.
 */
export function applyHold() {
  const hold = currentHold();
  document.documentElement.classList.toggle('stretch-hold', Boolean(hold));
  const existing = document.getElementById('stretch-hold');
  const main = document.querySelector('main');
  if (existing && (!hold || existing.dataset.key !== holdKey(hold))) existing.remove();
  if (hold && main && offersStretches() && !document.getElementById('stretch-hold')) {
    const notice = holdNotice(hold);
    notice.dataset.key = holdKey(hold);
    main.prepend(notice);
  }
  if (main && !document.getElementById('hold-status')) {
    main.prepend(el('p', { class: 'visually-hidden', id: 'hold-status', role: 'status' }));
  }
  return hold;
}

/** Every page: apply the hold now, and again when another tab changes it. */
export function watchHold() {
  const hold = applyHold();
  lastKey = holdKey(hold);
  // A phone with push reminders whose last word to the server failed (offline when the
  // result came, say) tries again on every page, not only on the reminders page: the
  // server must stop posture and movement reminders while the hold lasts. Cheap when
  // nothing changed: applySafetyHold() sends only a plan that differs from the last one
  // the server accepted.
  const reminders = read(KEYS.reminders, null);
  if (reminders && typeof reminders.synced === 'string') pauseReminders();
  window.addEventListener('storage', (event) => {
    if (event.key === KEYS.screenings || event.key === KEYS.assessed || event.key === null) holdChanged();
  });
  return hold;
}
