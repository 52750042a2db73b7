/* Mid-Back Relief service worker. Generated per release by the server: VERSION is a
   hash of every file the app needs offline, so any change installs a new cache.
   PRECACHE is the precache manifest (as Workbox's): each file's cache key, the hash of
   its bytes (revision) and, for pages, the address of the variant to store (it links
   the precached stylesheet instead of carrying it inline). A new release copies every
   file whose revision is unchanged from the previous cache and downloads only the rest;
   a first install downloads every page in one request (PACK_URL). */
const VERSION = {{ version|tojson }};
const CACHE = `mbr-${VERSION}`;
// Sent as [url, revision, how]: `how` 1 fetches the page variant linking the stylesheet,
// 2 the script's unversioned address; a static file's revision is the hash in its URL.
const PRECACHE = {{ precache|tojson }}.map(([url, revision, how]) => ({
  url,
  revision: revision || new URL(url, 'http://x').searchParams.get('v'),
  fetch: how === 1 ? `${url}?{{ linked }}` : how === 2 ? url.split('?')[0] : undefined,
}));
const PACK_URL = {{ pack_url|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};
// Stored last in every complete cache: {url: revision}. A cache without it (an install
// cut short) is never copied from.
const REVISIONS_KEY = '/__precache/revisions';

// Past this many changed pages, the pack costs fewer bytes than the pages one by one.
const PACK_WORTH = {{ pack_worth|tojson }};

// Pages skip the HTTP cache (cache: 'reload') so a new version never stores old bytes;
// static files carry their hash in the URL, so a copy the page already loaded is the
// right one. Each request gets a few tries: on a poor connection one dropped request
// should not throw away the whole install.
async function fetchWithRetries(url) {
  const cache = url.startsWith('/static/') ? 'default' : 'reload';
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await fetch(new Request(url, { cache }));
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      return response;
    } catch (err) {
      if (attempt >= 3) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

// Unchanged files in earlier complete caches: url -> the cache holding that revision.
async function reusable() {
  const found = new Map();
  for (const name of await caches.keys()) {
    if (!name.startsWith('mbr-') || name === CACHE) continue;
    const cache = await caches.open(name);
    const stored = await cache.match(REVISIONS_KEY);
    if (!stored) continue;
    let revisions;
    try { revisions = await stored.json(); } catch (err) { continue; }
    for (const entry of PRECACHE) {
      if (!found.has(entry.url) && revisions[entry.url] === entry.revision) found.set(entry.url, cache);
    }
  }
  return found;
}

// The pack holds every page and, for a first install, the static files the page the
// worker was installed from has not loaded (?from=): one line of JSON ({headers: [header
// sets], files: [[url, length, header set]]}), then the files' bytes one after another.
// Returns the urls it stored.
async function installPack(cache, firstPage) {
  const url = firstPage ? `${PACK_URL}&from=${encodeURIComponent(firstPage)}` : PACK_URL;
  const bytes = new Uint8Array(await (await fetchWithRetries(url)).arrayBuffer());
  const newline = bytes.indexOf(10);
  const index = JSON.parse(new TextDecoder().decode(bytes.subarray(0, newline)));
  let offset = newline + 1;
  await Promise.all(index.files.map(([key, length, headers]) => {
    const body = bytes.slice(offset, offset + length);
    offset += length;
    return cache.put(key, new Response(body, { headers: index.headers[headers] }));
  }));
  return new Set(index.files.map(([key]) => key));
}

// The page this worker is being installed from, if any: its HTTP cache already holds
// the scripts it loaded, so the pack leaves those out.
async function installingFrom() {
  const [page] = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return page ? new URL(page.url).pathname : null;
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const previous = await reusable();
    const copies = new Map();
    for (const entry of PRECACHE) {
      const old = previous.get(entry.url);
      const hit = old && (await old.match(entry.url));
      if (hit) copies.set(entry.url, hit);
    }
    const changedPages = PRECACHE.filter((e) => !copies.has(e.url) && !e.url.startsWith('/static/'));
    // A first install takes the static files in the pack too; an update keeps the ones
    // that did not change, so it fetches the changed ones one by one.
    const packed = changedPages.length > PACK_WORTH
      ? await installPack(cache, copies.size ? null : await installingFrom())
      : new Set();
    await Promise.all(PRECACHE.map(async (entry) => {
      if (copies.has(entry.url)) return cache.put(entry.url, copies.get(entry.url));
      if (packed.has(entry.url)) return null;
      return cache.put(entry.url, await fetchWithRetries(entry.fetch || entry.url));
    }));
    const revisions = Object.fromEntries(PRECACHE.map((e) => [e.url, e.revision]));
    await cache.put(REVISIONS_KEY, new Response(JSON.stringify(revisions), { headers: { 'Content-Type': 'application/json' } }));
    // The very first install has nothing to replace, so there is nothing to mix up.
    if (!self.registration.active) await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('mbr-') && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type === 'SKIP_WAITING') self.skipWaiting();
  if (data.type === 'GET_VERSION' && event.ports[0]) event.ports[0].postMessage({ version: VERSION });
  if (data.type === 'SHOW_NOTIFICATION') {
    // From an open page: {type, due} with due in UTC milliseconds, as in a push payload.
    // claimed: the page has already recorded the id as shown (it checks and records in
    // one transaction, so a push for the same id finds it taken and stays quiet).
    const reminder = data.reminder || {};
    event.waitUntil(showReminder(reminderFrom({ type: reminder.type }, Number(reminder.due)), data.claimed === true));
  }
});

async function fromCache(request, ignoreSearch) {
  const cache = await caches.open(CACHE);
  return cache.match(request, { ignoreSearch });
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  // Only GETs are cached: anything that changes state must reach the server or fail.
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) return;

  if (request.mode === 'navigate') {
    event.respondWith((async () => {
      // Query strings only tune a page (?start=1), they never change its content.
      const cached = await fromCache(url.pathname, true);
      if (cached) return cached;
      try {
        return await fetch(request);
      } catch (err) {
        return (await fromCache(OFFLINE_URL, false)) || Response.error();
      }
    })());
    return;
  }

  event.respondWith((async () => {
    // Static files are precached with their ?v= hash; an ES module imported by a relative
    // path asks without it, and within one cache version both are the same bytes.
    const cached = await fromCache(request, url.pathname.startsWith('/static/'));
    if (cached) return cached;
    return fetch(request);
  })());
});

/* Reminders. A push message is Declarative Web Push JSON ({web_push: 8030,
   notification: {...}}), built by the server's one payload schema: Safari shows it by
   itself, other browsers hand it to this worker, which shows the same notification.
   Every reminder has an id (its type and due instant in UTC milliseconds); an id
   already shown is not shown again, so a message repeated after a server crash never
   buzzes twice. Shown ids live in IndexedDB (database mbr-reminders, store shown,
   key = id, value {id, shownAt}), which the pages may read too. */
const REMINDER_PAYLOADS = {{ reminder_payloads|tojson }};
// The same names and texts the pages import from reminder-data.js (server/reminders/client.py).
const REMINDER_CLIENT = {{ reminder_client|tojson }};
// The device token (for snooze/done from a notification) and actions taken while no
// page was open live in their own cache: "mbr-" caches are replaced on every update.
const REMINDER_CACHE = REMINDER_CLIENT.storage.device_cache;
const DEVICE_KEY = REMINDER_CLIENT.storage.device_key;
const QUEUE_KEY = REMINDER_CLIENT.storage.queue_key;
const SNOOZE_MINUTES = REMINDER_CLIENT.snooze_minutes;
const SHOWN_DB = REMINDER_CLIENT.storage.shown_db;
const SHOWN_STORE = REMINDER_CLIENT.storage.shown_store;
const SHOWN_KEEP_MS = 3 * 24 * 3600 * 1000; // a repeat comes within minutes; keep days

function openShown() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(SHOWN_DB, 1);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(SHOWN_STORE)) {
        request.result.createObjectStore(SHOWN_STORE, { keyPath: 'id' });
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Records `id` as shown; false when it already was. One readwrite transaction, so two
// deliveries of the same id at once cannot both see it as new.
async function firstShowing(id) {
  let db;
  try {
    db = await openShown();
  } catch (err) {
    console.warn('Reminder ids cannot be stored; repeats may show twice.', err);
    return true;
  }
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(SHOWN_STORE, 'readwrite');
      const store = tx.objectStore(SHOWN_STORE);
      let fresh = false;
      const now = Date.now();
      store.get(id).onsuccess = (event) => {
        if (event.target.result) return;
        fresh = true;
        store.put({ id, shownAt: now });
      };
      // Old ids go; a repeat arrives within minutes of the first message.
      store.openCursor().onsuccess = (event) => {
        const cursor = event.target.result;
        if (!cursor) return;
        if (!(cursor.value.shownAt > now - SHOWN_KEEP_MS)) cursor.delete();
        cursor.continue();
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

function reminderActions(actions) {
  const all = actions.map((a) => ({ action: a.action, title: a.title }));
  const max = (self.Notification && Notification.maxActions) || all.length;
  // Chrome shows two buttons. Tapping the notification itself starts the routine (or
  // opens the check-in), so the two buttons are the things a tap cannot do.
  return max >= all.length ? all : all.filter((a) => a.action !== 'start' && a.action !== 'checkin').slice(0, max);
}

// The reminder a message describes: a Declarative Web Push payload, or (from an older
// server) an object that names the type; what it lacks comes from this worker's copy.
function reminderFrom(message, due) {
  const declarative = message && message.web_push === 8030 && message.notification ? message.notification : null;
  const data = (declarative && declarative.data) || {};
  const type = data.type || (message && message.type) || null;
  const template = type && REMINDER_PAYLOADS[type] ? REMINDER_PAYLOADS[type].notification : null;
  const note = declarative || template || {};
  const when = Number.isFinite(data.due) ? data.due : (Number.isFinite(due) ? due : null);
  return {
    id: data.id || (type && when !== null ? `${type}:${when}` : null),
    type,
    due: when,
    title: note.title || 'Mid-Back Relief',
    body: note.body || 'Time for a short break.',
    tag: note.tag || `reminder-${type || 'general'}`,
    actions: note.actions || [],
  };
}

function startUrl(type) {
  const template = type && REMINDER_PAYLOADS[type];
  // Only ever this app: the path of the payload's link, on this origin.
  const target = new URL(template ? template.notification.navigate : '/', self.location.origin);
  return target.pathname + target.search + target.hash;
}

async function windowClients() {
  return self.clients.matchAll({ type: 'window', includeUncontrolled: true });
}

async function showReminder(reminder, claimed = false) {
  if (reminder.id && !claimed && !(await firstShowing(reminder.id))) {
    // The same reminder again: it was shown (and maybe already dismissed or acted on).
    for (const client of await windowClients()) client.postMessage({ type: 'REMINDER_REPEATED', id: reminder.id });
    return;
  }
  await self.registration.showNotification(reminder.title, {
    body: reminder.body,
    tag: reminder.tag,
    // A new reminder replacing an older one of the same type should still alert.
    renotify: true,
    icon: {{ icon|default('/static/icons/icon-192.png')|tojson }},
    badge: {{ badge|default('/static/icons/icon-192.png')|tojson }},
    timestamp: reminder.due || Date.now(),
    data: { id: reminder.id, type: reminder.type, due: reminder.due },
    actions: reminderActions(reminder.actions),
  });
  // Open pages learn that the notification is up (getNotifications() only lists it
  // once showNotification has settled).
  for (const client of await windowClients()) {
    client.postMessage({ type: 'REMINDER_SHOWN', reminder: reminder.type, id: reminder.id, tag: reminder.tag });
  }
}

async function readJson(key, fallback) {
  const cache = await caches.open(REMINDER_CACHE);
  const hit = await cache.match(key);
  if (!hit) return fallback;
  try { return await hit.json(); } catch (err) { return fallback; }
}

// The queue of actions taken on notifications: {key, action, type, id, due, at,
// minutes, told}. `told` says whether the server has it; the pages apply each action to
// the local history and send the untold ones once the phone is online again
// (push-device.js sendQueued). Everyone holds one Web Lock while changing or sending
// from the queue, so an action is never sent twice.
const QUEUE_LOCK = REMINDER_CLIENT.storage.queue_lock;
const SEND_TIMEOUT_MS = 10000;

function withQueueLock(work) {
  return self.navigator && self.navigator.locks ? self.navigator.locks.request(QUEUE_LOCK, work) : work();
}

async function writeQueue(queue) {
  const cache = await caches.open(REMINDER_CACHE);
  await cache.put(QUEUE_KEY, new Response(JSON.stringify(queue.slice(-200)), { headers: { 'Content-Type': 'application/json' } }));
}

// What the server hears for an action: a glass drunk and "not today" are "done" for the
// schedule; a start or a check-in changes nothing there.
function serverAction(action) {
  return Object.hasOwn(REMINDER_CLIENT.server_actions, action) ? REMINDER_CLIENT.server_actions[action] : null;
}

async function recordAction(action, data) {
  const kind = serverAction(action);
  const device = kind && data.type ? await readJson(DEVICE_KEY, null) : null;
  const token = device && typeof device.token === 'string' ? device.token : null;
  const item = {
    key: self.crypto && self.crypto.randomUUID ? self.crypto.randomUUID() : `${Date.now()}-${Math.random()}`,
    action,
    type: data.type || null,
    id: data.id || null,
    due: data.due || null,
    at: new Date().toISOString(),
    minutes: action === 'snooze' ? SNOOZE_MINUTES : null,
    told: !token, // nothing to tell without a push device
  };
  await withQueueLock(async () => {
    await writeQueue([...(await readJson(QUEUE_KEY, [])), item]);
    if (item.told) return;
    const status = await tellServer(kind, item, token);
    if (status === null || status >= 500 || status === 408 || status === 429) return; // a page sends it later
    if (status >= 400) console.warn(`The server refused a ${action} from a notification (HTTP ${status}); dropped.`);
    const queue = await readJson(QUEUE_KEY, []);
    for (const queued of queue) if (queued && queued.key === item.key) queued.told = true;
    await writeQueue(queue);
  });
  // Open pages apply it to the history now.
  for (const client of await windowClients()) client.postMessage({ type: 'REMINDER_ACTION', action, reminder: data.type || null });
}

// The HTTP status, or null when the server could not be reached (offline).
async function tellServer(kind, item, token) {
  const body = kind === 'snooze' ? { type: item.type, minutes: item.minutes } : { type: item.type };
  try {
    const response = await fetch(`/api/v1/push/device/${kind}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    return response.status;
  } catch (err) {
    return null;
  }
}

async function openApp(url) {
  const target = new URL(url, self.location.origin).href;
  const windows = await windowClients();
  const same = windows.find((c) => c.url === target);
  if (same) {
    try {
      return await same.focus();
    } catch (err) {
      return same;
    }
  }
  for (const client of windows) {
    try {
      await client.focus();
    } catch (err) {
      // Focusing needs the click's user activation; navigating does not.
    }
    try {
      const navigated = await client.navigate(target);
      if (navigated) return navigated;
    } catch (err) {
      // Only a page this worker controls can be navigated; open a window instead.
    }
  }
  return self.clients.openWindow(target);
}

async function handleNotificationClick(notification, action) {
  const data = notification.data || {};
  notification.close();
  if (action === 'snooze' || action === 'done' || action === 'drank' || action === 'skip') {
    // Queued (the page keeps the history and counts a glass toward today) and sent.
    await recordAction(action, data);
    return null;
  }
  // A tap on a reminder with a routine starts it (and is history), on the daily check-in
  // it opens the check-in; on one without either (a drink) it only opens the app where
  // the glasses are counted.
  const kind = data.type ? REMINDER_CLIENT.types[data.type] : null;
  if (kind && kind.actions.includes('start')) await recordAction('start', data);
  else if (kind && kind.actions.includes('checkin')) await recordAction('checkin', data);
  return openApp(startUrl(data.type));
}

self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (err) {
    message = {};
  }
  event.waitUntil(showReminder(reminderFrom(message, null)));
});

self.addEventListener('notificationclick', (event) => {
  event.waitUntil(handleNotificationClick(event.notification, event.action || 'start'));
});
