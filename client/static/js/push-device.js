// This device and the server: the push subscription, the device token (kept in Cache
// Storage so the service worker can use it for snooze and done from a notification),
// and the calls that tell the server about the plan, snooze, done and pause.
import DEVICE from './reminder-data.js';
import { withTimeout } from './dom.js';
import { loadStore, saveStore, serverPlan } from './reminder-store.js';

const { device_cache: DEVICE_CACHE, device_key: DEVICE_KEY, queue_key: QUEUE_KEY, queue_lock: QUEUE_LOCK } = DEVICE.storage;

async function deviceCache() {
  if (!('caches' in window)) return null;
  try {
    return await caches.open(DEVICE_CACHE);
  } catch (err) {
    return null; // storage blocked (private mode in some browsers): no push, local reminders only
  }
}

// Reading never creates the cache: every page asks, most phones never subscribe.
async function stored(key) {
  if (!('caches' in window)) return null;
  try {
    return (await caches.match(key, { cacheName: DEVICE_CACHE })) || null;
  } catch (err) {
    return null;
  }
}

export async function deviceToken() {
  const hit = await stored(DEVICE_KEY);
  if (!hit) return null;
  try {
    const token = (await hit.json()).token;
    return typeof token === 'string' && token ? token : null;
  } catch (err) {
    return null;
  }
}

export async function setDeviceToken(token) {
  if (!token && !(await stored(DEVICE_KEY))) return;
  const cache = await deviceCache();
  if (!cache) return;
  if (token) await cache.put(DEVICE_KEY, new Response(JSON.stringify({ token }), { headers: { 'Content-Type': 'application/json' } }));
  else await cache.delete(DEVICE_KEY);
}

// --- The queue of reminder actions ---------------------------------------------------
// Actions taken on notifications (sw.js queues them) and actions the page could not
// send: {key, action, type, id, due, at, minutes, told, applied}. `applied`: the local
// history has it; `told`: the server has it (or never needs it). An item goes once both
// are true. The service worker and every page hold one Web Lock while they change the
// queue or send from it, so two tabs (or a tab and the worker) never send one twice.

function withQueueLock(work) {
  return navigator.locks ? navigator.locks.request(QUEUE_LOCK, work) : work();
}

async function readQueue() {
  const hit = await stored(QUEUE_KEY);
  if (!hit) return [];
  try {
    const items = await hit.json();
    return Array.isArray(items) ? items.filter((item) => item && typeof item === 'object') : [];
  } catch (err) {
    return [];
  }
}

async function writeQueue(items) {
  const left = items.filter((item) => !(item.told && item.applied));
  const cache = await deviceCache();
  if (!cache) return;
  if (left.length) await cache.put(QUEUE_KEY, new Response(JSON.stringify(left.slice(-200)), { headers: { 'Content-Type': 'application/json' } }));
  else await cache.delete(QUEUE_KEY);
}

/** Change the queue under its lock: `change(items)` may edit items in place; what is
 * both applied and told is then dropped. Resolves to what `change` returned. */
export async function updateQueue(change) {
  return withQueueLock(async () => {
    const items = await readQueue();
    if (!items.length) return change(items);
    const result = await change(items);
    await writeQueue(items);
    return result;
  });
}

/** Queue an action this page applied but could not send (offline). */
export async function queueUntold(type, action, { minutes = null, id = null, at = new Date() } = {}) {
  await withQueueLock(async () => {
    const items = await readQueue();
    const key = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    items.push({ key, action, type, id, due: null, at: at.toISOString(), minutes, told: false, applied: true });
    await writeQueue(items);
  });
}

// A glass drunk and "not today" are "done" for the schedule; a start or check-in is
// nothing the server needs (server/reminders/schemas.py SERVER_ACTIONS).
function serverAction(action) {
  return Object.hasOwn(DEVICE.server_actions, action) ? DEVICE.server_actions[action] : null;
}

// Whether an answer means "do not send this again": a success, or a refusal that a
// retry cannot change (a snooze that has run out, a type no longer in the plan, a
// device the server no longer knows). Busy (429) and server errors are tried again.
function settled(status) {
  return (status >= 200 && status < 300) || (status >= 400 && status < 500 && status !== 408 && status !== 429);
}

/** Send every queued action the server has not had, oldest first, each with how long
 * ago it was taken (the server counts a snooze from the tap and refuses one that has run
 * out). Stops at the first that cannot get through (offline): the rest stay queued.
 * Resolves to true when something is still waiting to be sent. */
export async function sendQueued() {
  return withQueueLock(async () => {
    const items = await readQueue();
    if (!items.some((item) => !item.told)) return false;
    const token = await deviceToken();
    for (const item of items) {
      if (item.told) continue;
      const kind = serverAction(item.action);
      const tapped = Date.parse(item.at);
      if (!token || !kind || typeof item.type !== 'string' || Number.isNaN(tapped)) {
        item.told = true; // nothing the server needs
        continue;
      }
      const minutes = Number.isInteger(item.minutes) ? item.minutes : DEVICE.snooze_minutes;
      const ageSeconds = Math.max(0, Math.round((Date.now() - tapped) / 1000));
      const body = kind === 'snooze' ? { type: item.type, minutes, age_seconds: ageSeconds } : { type: item.type, age_seconds: ageSeconds };
      let result;
      try {
        result = await api('POST', `/push/device/${kind}`, body, token);
      } catch (err) {
        return true; // unreachable: keep it and the rest for the next try
      }
      if (!settled(result.status)) return true;
      if (!result.ok) {
        const why = (result.body && result.body.message) || `HTTP ${result.status}`;
        console.warn(`The server refused a ${item.action} taken earlier, so it was dropped: ${why}`);
      }
      item.told = true;
      // Written at once: a page closed mid-loop must not send this one again.
      await writeQueue(items);
    }
    await writeQueue(items);
    return false;
  });
}

export async function api(method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const isJson = (response.headers.get('Content-Type') || '').includes('json');
  return { status: response.status, ok: response.ok, body: isJson ? await response.json() : null };
}

/** Send a push subscription and the plan to the server; keeps the device token. */
export async function registerDevice(subscription, settings = loadStore().settings) {
  const result = await api('POST', '/push/subscriptions', { subscription, plan: serverPlan(settings) });
  if (!result.ok) throw new Error((result.body && result.body.message) || `HTTP ${result.status}`);
  await setDeviceToken(result.body.device);
  const store = loadStore();
  store.synced = JSON.stringify(serverPlan(settings));
  saveStore(store);
  return result.body;
}

/** Send the plan to the server when it differs from what the server last accepted (or
 * always, with force). Resolves to { ok, status }: ok when the server has the right plan
 * or there is no push device; status 401 when the server no longer knows this device. */
export async function syncPlan({ force = false } = {}) {
  const token = await deviceToken();
  if (!token) return { ok: true, status: null };
  const plan = serverPlan(loadStore().settings);
  if (!force && JSON.stringify(plan) === loadStore().synced) return { ok: true, status: null };
  const result = await api('PUT', '/push/device', { plan }, token);
  if (result.ok) {
    const store = loadStore();
    store.synced = JSON.stringify(plan);
    saveStore(store);
  }
  return { ok: result.ok, status: result.status, message: result.body && result.body.message };
}

/** Bring the server's copy of the plan in line with the safety hold (safety.js calls
 * this whenever the hold changes). Resolves to true when the server has the right plan. */
export async function applySafetyHold() {
  return (await syncPlan()).ok;
}

/** Tell the server what the person did with a reminder (snooze, done; a glass drunk is
 * done). Without push this does nothing. Offline (or with the server busy or failing)
 * the action is queued and sent when the phone is online again (sendQueued); the local
 * state has already changed. */
export async function tellServer(type, action, minutes, { id = null, at = new Date() } = {}) {
  const token = await deviceToken();
  const kind = serverAction(action);
  if (!token || !kind) return;
  let result = null;
  try {
    result = await api('POST', `/push/device/${kind}`, kind === 'snooze' ? { type, minutes } : { type }, token);
  } catch (err) {
    result = null;
  }
  if (result && settled(result.status)) {
    if (!result.ok) console.warn(`The server refused this ${action}: ${(result.body && result.body.message) || `HTTP ${result.status}`}`);
    return;
  }
  await queueUntold(type, action, { minutes: kind === 'snooze' ? minutes : null, id, at });
}

export async function setServerPause(pausing) {
  const token = await deviceToken();
  if (!token) return true;
  try {
    return (await api(pausing ? 'POST' : 'DELETE', '/push/device/pause', undefined, token)).ok;
  } catch (err) {
    return false;
  }
}

function b64urlToBytes(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

export async function subscribe(settings) {
  if (!('serviceWorker' in navigator)) throw new Error('no service worker');
  const registration = await withTimeout(navigator.serviceWorker.ready, 10_000, 'Starting the app offline');
  if (!registration.pushManager) throw new Error('push is not supported here');
  const key = await api('GET', '/push/key');
  if (!key.ok) throw new Error('the server has no push key');
  const serverKey = b64urlToBytes(key.body.public_key);
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && subscription.options && subscription.options.applicationServerKey) {
    const current = new Uint8Array(subscription.options.applicationServerKey);
    if (current.length !== serverKey.length || current.some((b, i) => b !== serverKey[i])) {
      await subscription.unsubscribe(); // made for another server key: it would be refused
      subscription = null;
    }
  }
  if (!subscription) {
    subscription = await withTimeout(registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: serverKey }), 20_000, 'Subscribing');
  }
  return registerDevice(subscription.toJSON(), settings);
}

/** Stop push on this device: the server forgets it, the subscription and token go. */
export async function forgetDevice() {
  const token = await deviceToken();
  if (token) {
    try {
      await api('DELETE', '/push/device', undefined, token);
    } catch (err) {
      // Offline: the server forgets the device when the push service reports it gone.
    }
  }
  try {
    if ('serviceWorker' in navigator) {
      const registration = await navigator.serviceWorker.getRegistration();
      const subscription = registration && registration.pushManager ? await registration.pushManager.getSubscription() : null;
      if (subscription) await subscription.unsubscribe();
    }
  } catch (err) {
    // Nothing subscribed here.
  }
  await setDeviceToken(null);
}

/** Erase: the server forgets the device and the device cache goes entirely. */
export async function eraseDevice() {
  await forgetDevice();
  try {
    if ('caches' in window) await caches.delete(DEVICE_CACHE);
  } catch (err) {
    // nothing stored
  }
}
