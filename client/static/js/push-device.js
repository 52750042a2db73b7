// This device and the server: the push subscription, the device token (kept in Cache
// Storage so the service worker can use it for snooze and done from a notification),
// and the calls that tell the server about the plan, snooze, done and pause.
import DEVICE from './reminder-data.js';
import { withTimeout } from './dom.js';
import { loadStore, saveStore, serverPlan } from './reminder-store.js';

const { device_cache: DEVICE_CACHE, device_key: DEVICE_KEY, queue_key: QUEUE_KEY } = DEVICE.storage;

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

/** Actions taken on notifications while no page could apply them (sw.js queues them);
 * read and cleared. */
export async function takeQueue() {
  const hit = await stored(QUEUE_KEY);
  if (!hit) return { items: [], clear: async () => {} };
  let items = [];
  try {
    items = await hit.json();
  } catch (err) {
    items = [];
  }
  return { items: Array.isArray(items) ? items : [], clear: async () => (await deviceCache()).delete(QUEUE_KEY) };
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
 * done). Offline or without push this does nothing: the next push carries the same
 * actions, and the local state already changed. */
export async function tellServer(type, action, minutes) {
  const token = await deviceToken();
  if (!token) return;
  const kind = action === 'drank' ? 'done' : action;
  if (kind !== 'snooze' && kind !== 'done') return;
  try {
    await api('POST', `/push/device/${kind}`, kind === 'snooze' ? { type, minutes } : { type }, token);
  } catch (err) {
    console.warn('Could not tell the server:', err);
  }
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
