// Install guidance. Chromium: keep its beforeinstallprompt event and offer an "Install
// app" button that shows the browser's own dialog. iPhone/iPad Safari (which has no such
// event): the Share → Add to Home Screen steps, since Web Push reaches iOS only from a
// Home Screen app. Installed (standalone) or dismissed: nothing. The slots are
// server-rendered (partials/install.html) and hidden until one of these applies.
import { KEYS, read, write } from './storage.js';

const DISMISSED = 'installDismissed';

export function isStandalone(nav = navigator, media = window.matchMedia.bind(window)) {
  return nav.standalone === true || media('(display-mode: standalone)').matches
    || media('(display-mode: window-controls-overlay)').matches || media('(display-mode: minimal-ui)').matches;
}

// Safari on iPhone, iPod or iPad (iPadOS reports itself as a Mac with a touch screen);
// not Chrome, Firefox, Edge or an in-app browser on iOS, whose menus differ.
export function isIosSafari(ua = navigator.userAgent, touchPoints = navigator.maxTouchPoints || 0) {
  const ios = /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && touchPoints > 1);
  return ios && /Safari\//.test(ua) && /Version\//.test(ua) && !/CriOS|FxiOS|EdgiOS|OPiOS|GSA\/|FBAN|Instagram/.test(ua);
}

function dismissed() {
  return read(KEYS.preferences, {})[DISMISSED] === true;
}

function slots() {
  return [...document.querySelectorAll('[data-install]')]
    .filter((slot) => !(slot.hasAttribute('data-dismissible') && dismissed()));
}

// A card that appears must move nothing the person is looking at (Chromium's event can
// come at any moment, often after they have scrolled). So a slot opens only while what
// follows it is below the screen (on home the card is the last content: only the
// footer follows); until then it waits and opens once that has scrolled out of view.
const waiting = new Map(); // slot -> its IntersectionObserver

function stopWaiting(slot) {
  waiting.get(slot)?.disconnect();
  waiting.delete(slot);
}

function reveal(slot) {
  if (!slot.hidden || waiting.has(slot)) return;
  const after = slot.nextElementSibling || slot.parentElement?.nextElementSibling;
  if (!after || typeof IntersectionObserver !== 'function') {
    slot.hidden = false;
    return;
  }
  const observer = new IntersectionObserver((entries) => {
    const entry = entries[entries.length - 1];
    const bottom = entry.rootBounds ? entry.rootBounds.bottom : window.innerHeight;
    if (entry.boundingClientRect.top < bottom) return; // on screen, or above it
    stopWaiting(slot);
    slot.hidden = false;
  });
  waiting.set(slot, observer);
  observer.observe(after);
}

function show(kind) {
  for (const slot of slots()) {
    slot.querySelector('[data-install-prompt]').hidden = kind !== 'prompt';
    slot.querySelector('[data-install-ios]').hidden = kind !== 'ios';
    reveal(slot);
  }
}

function hide(slot) {
  stopWaiting(slot);
  slot.hidden = true;
}

function hideAll() {
  for (const slot of document.querySelectorAll('[data-install]')) hide(slot);
}

export function watchInstall() {
  if (isStandalone()) return;
  let deferred = null;
  window.addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault(); // our button, at a moment the person chooses
    deferred = event;
    show('prompt');
  });
  window.addEventListener('appinstalled', () => { deferred = null; hideAll(); });
  document.addEventListener('click', async (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (target?.closest('[data-install-dismiss]')) {
      write(KEYS.preferences, { ...read(KEYS.preferences, {}), [DISMISSED]: true });
      hide(target.closest('[data-install]'));
      document.querySelector('#main')?.focus({ preventScroll: true });
      return;
    }
    if (!target?.closest('[data-install-button]') || !deferred) return;
    const prompt = deferred;
    deferred = null; // the event can be used once
    await prompt.prompt();
    const choice = await prompt.userChoice.catch(() => ({ outcome: 'dismissed' }));
    if (choice.outcome === 'accepted') hideAll();
    else for (const part of document.querySelectorAll('[data-install-prompt]')) hide(part.closest('[data-install]'));
  });
  if (isIosSafari()) show('ios');
}
