// In-app reminders on every page. While any page of the app is open (installed or in a
// tab) this looks for due reminders every few seconds and whenever the page comes back
// into view, and shows each one once: as a notification through the service worker
// (so its buttons work like a push's) when notifications are allowed, otherwise as a
// banner at the top of the page. A reminder that fell due while the app was closed or
// asleep shows on the next open if it is still within the grace period.
//
// Exactly once, across pages, tabs and push: a reminder's id is its type and due
// instant in UTC ms (the server computes the same), and whoever shows it first records
// the id in IndexedDB (`mbr-reminders`/`shown`, where the service worker records what
// push delivered) in the same transaction that checks it. With a push subscription the
// page also waits a little (push_headstart_seconds) before showing a reminder itself:
// the push path wins, and a push that never comes is still covered.
//
// Also here, because any page may be the one open: actions the service worker queued
// from notifications, and "?action=...&reminder=..." links (Safari opens those from a
// push without our worker) are applied to the local history once; queued actions the
// server has not had (tapped offline) are sent to it on load and when the phone comes
// back online, once each (push-device.js sendQueued).
import DEVICE from './reminder-data.js';
import { el, localDate } from './dom.js';
import { reminderId } from './reminder-rules.js';
import { CHANGED_EVENT, TYPES, applyAction, dueSince, glassesToday, loadStore, saveStore } from './reminder-store.js';
import { deviceToken, sendQueued, tellServer, updateQueue } from './push-device.js';

const { shown_db: SHOWN_DB, shown_store: SHOWN_STORE } = DEVICE.storage;
const TITLES = DEVICE.action_titles;
const ACTIONS = new Set(Object.keys(TITLES));
// Seconds between attempts to send queued actions after the phone comes back online.
const ONLINE_RETRIES = [1, 3, 10, 30];

// --- Shown ids (shared with the service worker) --------------------------------------

function openShown() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(SHOWN_DB, 1);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(SHOWN_STORE)) request.result.createObjectStore(SHOWN_STORE, { keyPath: 'id' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Record `id` as shown; false when it already was (by push, another tab or this one). */
export async function claim(id) {
  let db;
  try {
    db = await openShown();
  } catch (err) {
    console.warn('Reminder ids cannot be stored here; a reminder may show twice.', err);
    return true;
  }
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(SHOWN_STORE, 'readwrite');
      const store = tx.objectStore(SHOWN_STORE);
      let fresh = false;
      store.get(id).onsuccess = (event) => {
        if (event.target.result) return;
        fresh = true;
        store.put({ id, shownAt: Date.now(), by: 'page' });
      };
      tx.oncomplete = () => resolve(fresh);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } catch (err) {
    console.warn('Reminder id check failed; showing the reminder.', err);
    return true;
  } finally {
    db.close();
  }
}

/** Every id recorded as shown (for tests and the curious). */
export async function shownIds() {
  const db = await openShown();
  try {
    return await new Promise((resolve, reject) => {
      const request = db.transaction(SHOWN_STORE).objectStore(SHOWN_STORE).getAllKeys();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

// --- Acting on a reminder ------------------------------------------------------------

function say(text) {
  let status = document.getElementById('reminder-status');
  if (!status) {
    status = el('p', { id: 'reminder-status', class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    document.body.append(status);
  }
  status.textContent = text;
}

/** Apply an action to the local store and tell the server. Resolves to the store. */
export async function act(type, action, { minutes = DEVICE.snooze_minutes, id = null, at = new Date(), server = true } = {}) {
  const store = loadStore();
  applyAction(store, type, action, { minutes, id, at });
  saveStore(store);
  if (server) await tellServer(type, action, minutes, { id, at });
  return store;
}

function confirmation(type, action, minutes, store) {
  if (action === 'snooze') return `Snoozed for ${minutes} minutes.`;
  if (action === 'drank') return `Logged a glass: ${glassesToday(store)} of ${store.settings.target} today.`;
  if (action === 'done') return 'Done. Well moved.';
  if (action === 'skip') return 'Okay. No more check-in reminders today.';
  return '';
}

// --- The banner ----------------------------------------------------------------------

class Banner {
  constructor() {
    this.queue = [];
    this.node = null;
  }

  add(type, due) {
    if (this.queue.some((r) => r.type === type)) this.queue = this.queue.filter((r) => r.type !== type);
    this.queue.push({ type, due, id: reminderId(type, due) });
    if (this.queue.length === 1 || !this.node || this.node.hidden) this.render();
  }

  current() {
    return this.queue[0] || null;
  }

  build() {
    const node = el('div', { class: 'note note-ok banner reminder-banner', id: 'reminder-banner', role: 'alert', 'aria-labelledby': 'banner-title', tabindex: '-1' });
    node.hidden = true;
    const main = document.getElementById('main') || document.body;
    main.prepend(node);
    return node;
  }

  render() {
    const reminder = this.current();
    if (!this.node) this.node = document.getElementById('reminder-banner') || this.build();
    if (!reminder) {
      this.node.hidden = true;
      return;
    }
    const kind = TYPES[reminder.type];
    const actions = el('div', { class: 'actions' });
    for (const action of kind.actions) {
      if (action === 'start' || action === 'checkin') {
        const link = el('a', { class: 'btn btn-primary', id: `banner-${action}`, href: kind.opens }, TITLES[action]);
        link.addEventListener('click', () => this.done(action, 0));
        actions.append(link);
      } else if (action === 'snooze') {
        for (const minutes of DEVICE.rules.snooze_choices) {
          const button = el('button', { class: 'btn', type: 'button', id: `banner-snooze${minutes}` }, `Snooze ${minutes} min`);
          button.addEventListener('click', () => this.done('snooze', minutes));
          actions.append(button);
        }
      } else {
        const button = el('button', { class: action === 'drank' ? 'btn btn-primary' : 'btn', type: 'button', id: `banner-${action}` }, TITLES[action]);
        button.addEventListener('click', () => this.done(action, 0));
        actions.append(button);
      }
    }
    this.node.replaceChildren(el('h2', { id: 'banner-title' }, kind.title), el('p', { id: 'banner-body' }, kind.message), actions);
    this.node.dataset.reminder = reminder.id;
    this.node.hidden = false;
  }

  async done(action, minutes) {
    const reminder = this.queue.shift();
    this.render();
    if (!reminder) return;
    // "Start" navigates away: the local history is written before that, synchronously.
    const pending = act(reminder.type, action, { minutes: minutes || DEVICE.snooze_minutes, id: reminder.id });
    const store = await pending;
    const text = confirmation(reminder.type, action, minutes, store);
    if (text) say(text);
  }
}

// --- The watcher ---------------------------------------------------------------------

// The daily check-in reminder has nothing to ask once today's check-in is in the diary
// (on this device: the server never learns about check-ins). The diary module loads only
// when that reminder falls due.
async function alreadyCheckedIn(type) {
  if (!TYPES[type] || !TYPES[type].actions.includes('checkin') || !('indexedDB' in window)) return false;
  try {
    const { checkinOn } = await import('./diary.js');
    return Boolean(await checkinOn(localDate()));
  } catch (err) {
    console.warn('Could not read the diary; showing the check-in reminder.', err);
    return false;
  }
}

async function workerRegistration() {
  if (!('serviceWorker' in navigator)) return null;
  try {
    const registration = await navigator.serviceWorker.getRegistration();
    return registration && registration.active ? registration : null;
  } catch (err) {
    return null;
  }
}

export class Watcher {
  constructor() {
    this.banner = new Banner();
    this.busy = null;
  }

  async show(type, due) {
    if (await alreadyCheckedIn(type)) return false;
    const id = reminderId(type, due);
    if (!(await claim(id))) return false;
    const registration = 'Notification' in window && Notification.permission === 'granted' ? await workerRegistration() : null;
    if (registration) {
      registration.active.postMessage({ type: 'SHOW_NOTIFICATION', reminder: { type, due }, claimed: true });
    } else {
      this.banner.add(type, due);
    }
    return true;
  }

  /** Look for due reminders once (one look at a time). */
  tick() {
    if (!this.busy) this.busy = this.look().finally(() => { this.busy = null; });
    return this.busy;
  }

  async look() {
    const pushActive = Boolean(await deviceToken());
    const store = loadStore();
    const now = Date.now();
    const horizon = pushActive ? now - DEVICE.push_headstart_seconds * 1000 : now;
    if (store.state.lastCheck && store.state.lastCheck > now) {
      // The clock was put back (a wrong time corrected): start looking from now.
      store.state.lastCheck = horizon;
      saveStore(store);
      return;
    }
    if (store.state.lastCheck && store.state.lastCheck > horizon) return;
    const due = dueSince(store, horizon);
    saveStore(store);
    for (const item of due) await this.show(item.type, item.due);
  }

  // Actions the service worker queued from notifications: applied to the local history
  // once (skipped when already there), then the ones the server has not had are sent.
  async drainQueue() {
    await updateQueue((items) => {
      const fresh = items.filter((item) => !item.applied);
      if (!fresh.length) return;
      const store = loadStore();
      let changed = false;
      for (const item of fresh) {
        item.applied = true;
        if (!TYPES[item.type] || !ACTIONS.has(item.action) || typeof item.at !== 'string') continue;
        const at = new Date(item.at);
        if (Number.isNaN(at.getTime())) continue;
        if (store.log.some((e) => e.at === at.toISOString() && e.type === item.type && e.action === item.action)) continue;
        applyAction(store, item.type, item.action, {
          at,
          id: typeof item.id === 'string' ? item.id : null,
          minutes: Number.isInteger(item.minutes) ? item.minutes : DEVICE.snooze_minutes,
        });
        changed = true;
      }
      if (changed) saveStore(store);
    });
    await this.sendQueued();
  }

  // Sends what waits. Just after the `online` event the network is often not usable yet,
  // so an attempt that cannot get through is tried again after each of `retries`
  // seconds; the regular look (every tick) tries too.
  sendQueued(retries = []) {
    if (navigator.onLine === false) return Promise.resolve();
    return sendQueued()
      .then((waiting) => {
        if (waiting && retries.length) setTimeout(() => this.sendQueued(retries.slice(1)), retries[0] * 1000);
      })
      .catch((err) => console.warn('Could not send reminder actions taken offline:', err));
  }

  // /reminders?action=done&reminder=posture-break:1764072000000 - what a push's buttons
  // open on a phone where the browser handled the push without our worker.
  async applyLinkAction() {
    const params = new URLSearchParams(window.location.search);
    const action = params.get('action');
    const id = params.get('reminder') || '';
    const type = id.split(':')[0];
    if (!ACTIONS.has(action) || action === 'start' || action === 'checkin' || !TYPES[type] || !TYPES[type].actions.includes(action)) return;
    const store = loadStore();
    if (!store.log.some((e) => e.id === id && e.action === action)) {
      const updated = await act(type, action, { id });
      say(confirmation(type, action, DEVICE.snooze_minutes, updated));
    }
    params.delete('action');
    params.delete('reminder');
    const query = params.toString();
    window.history.replaceState(null, '', window.location.pathname + (query ? `?${query}` : '') + window.location.hash);
  }

  start() {
    this.applyLinkAction()
      .then(() => this.drainQueue())
      .catch((err) => console.warn('Could not apply a reminder action:', err))
      .finally(() => this.tick());
    setInterval(() => {
      this.tick();
      this.sendQueued();
    }, DEVICE.tick_seconds * 1000);
    window.addEventListener('online', () => this.sendQueued(ONLINE_RETRIES));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.tick();
    });
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.addEventListener('message', (event) => {
        if (event.data && event.data.type === 'REMINDER_ACTION') this.drainQueue();
      });
    }
    return this;
  }
}

export { CHANGED_EVENT };

let watcher = null;

/** Start watching (once per page); app.js calls this on every page. */
export function watch() {
  if (!watcher) watcher = new Watcher().start();
  return watcher;
}
