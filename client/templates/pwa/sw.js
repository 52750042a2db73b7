/* Mid-Back Relief service worker. Generated per release by the server: VERSION is a
   hash of every file the app needs offline, so any change installs a new cache. */
const VERSION = {{ version|tojson }};
const CACHE = `mbr-${VERSION}`;
const PRECACHE = {{ precache|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'reload' skips the HTTP cache so a new version never stores old bytes. Each
    // file gets a few tries: on a poor connection one dropped request should not throw
    // away the whole install.
    await Promise.all(PRECACHE.map(async (url) => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          const response = await fetch(new Request(url, { cache: 'reload' }));
          if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
          await cache.put(url, response);
          return;
        } catch (err) {
          if (attempt >= 3) throw err;
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        }
      }
    }));
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
  if (data.type === 'SHOW_NOTIFICATION') event.waitUntil(showReminder(data.reminder || {}));
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

/* Reminders: the payload names the reminder type; the text is built into this worker
   from content/, so a push that carries only the type still makes sense offline. */
const REMINDERS = {{ reminders|tojson }};
// The device token (for snooze/done from a notification) and actions taken while no
// page was open live in their own cache: "mbr-" caches are replaced on every update.
const REMINDER_CACHE = 'reminder-device';
const DEVICE_KEY = '/__reminders/device';
const QUEUE_KEY = '/__reminders/queue';
const SNOOZE_MINUTES = 10;

function reminderActions() {
  const all = [
    { action: 'start', title: 'Start' },
    { action: 'snooze', title: `Snooze ${SNOOZE_MINUTES} min` },
    { action: 'done', title: 'Done' },
  ];
  const max = (self.Notification && Notification.maxActions) || all.length;
  // Chrome shows two buttons. Tapping the notification itself starts the routine, so
  // the two buttons are the things a tap cannot do.
  return max >= all.length ? all : all.slice(1, 1 + max);
}

function startUrl(url) {
  const target = new URL(url || '/', self.location.origin);
  if (target.origin !== self.location.origin) return '/'; // only ever open this app
  if (target.pathname.startsWith('/routines/')) target.searchParams.set('start', '1');
  return target.pathname + target.search;
}

async function windowClients() {
  return self.clients.matchAll({ type: 'window', includeUncontrolled: true });
}

async function showReminder(payload) {
  const known = REMINDERS[payload.type] || null;
  const title = payload.title || (known && known.title) || 'Mid-Back Relief';
  const body = payload.body || (known && known.message) || 'Time for a short break.';
  const url = payload.url || (known && known.url) || '/';
  const tag = `reminder-${payload.type || 'general'}`;
  await self.registration.showNotification(title, {
    body,
    tag,
    renotify: true,
    icon: {{ icon|default('/static/icons/icon-192.png')|tojson }},
    badge: {{ badge|default('/static/icons/icon-192.png')|tojson }},
    data: { url, type: payload.type || null, due: payload.due || Math.floor(Date.now() / 1000) },
    actions: reminderActions(),
  });
  // Open pages learn that the notification is up (getNotifications() only lists it
  // once showNotification has settled).
  for (const client of await windowClients()) client.postMessage({ type: 'REMINDER_SHOWN', reminder: payload.type || null, tag });
}

async function readJson(key, fallback) {
  const cache = await caches.open(REMINDER_CACHE);
  const hit = await cache.match(key);
  if (!hit) return fallback;
  try { return await hit.json(); } catch (err) { return fallback; }
}

async function recordAction(action, type, due) {
  // Queued here and picked up by the reminders page, which keeps the history; any page
  // open now is told at once.
  const queue = await readJson(QUEUE_KEY, []);
  queue.push({ action, type, due: due || null, at: new Date().toISOString() });
  const cache = await caches.open(REMINDER_CACHE);
  await cache.put(QUEUE_KEY, new Response(JSON.stringify(queue.slice(-200)), { headers: { 'Content-Type': 'application/json' } }));
  for (const client of await windowClients()) client.postMessage({ type: 'REMINDER_ACTION', action, reminder: type });
}

async function tellServer(action, type) {
  const device = await readJson(DEVICE_KEY, null);
  if (!device || !device.token || !type) return null;
  const body = action === 'snooze' ? { type, minutes: SNOOZE_MINUTES } : { type };
  try {
    const response = await fetch(`/api/v1/push/device/${action}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${device.token}` },
      body: JSON.stringify(body),
    });
    return response.status;
  } catch (err) {
    return null; // offline: the page applies the action locally from the queue
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
  if (action === 'snooze' || action === 'done') {
    await recordAction(action, data.type, data.due);
    await tellServer(action, data.type);
    return null;
  }
  await recordAction('start', data.type, data.due);
  return openApp(startUrl(data.url));
}

self.addEventListener('push', (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch (err) {
    payload = { body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(showReminder(payload));
});

self.addEventListener('notificationclick', (event) => {
  event.waitUntil(handleNotificationClick(event.notification, event.action || 'start'));
});
