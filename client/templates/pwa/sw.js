/* Mid-Back Relief service worker. Generated per release by the server: VERSION is a
   hash of every file the app needs offline, so any change installs a new cache. */
const VERSION = {{ version|tojson }};
const CACHE = `mbr-${VERSION}`;
const PRECACHE = {{ precache|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'reload' skips the HTTP cache so a new version never stores old bytes.
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })));
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

async function showReminder(payload) {
  const known = REMINDERS[payload.type] || null;
  const title = payload.title || (known && known.title) || 'Mid-Back Relief';
  const body = payload.body || (known && known.message) || 'Time for a short break.';
  const url = payload.url || (known && known.url) || '/';
  return self.registration.showNotification(title, {
    body,
    tag: `reminder-${payload.type || 'general'}`,
    renotify: true,
    icon: {{ icon|default('/static/icons/icon-192.png')|tojson }},
    badge: {{ badge|default('/static/icons/icon-192.png')|tojson }},
    data: { url, type: payload.type || null },
    actions: [
      { action: 'start', title: 'Start' },
      { action: 'snooze', title: 'Snooze 10 min' },
      { action: 'done', title: 'Done' },
    ],
  });
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
  const note = event.notification;
  const data = note.data || {};
  note.close();
  event.waitUntil((async () => {
    const action = event.action || 'start';
    const target = action === 'start' ? (data.url || '/') : `/reminders?action=${action}&type=${encodeURIComponent(data.type || '')}`;
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of windows) {
      if ('focus' in client) {
        await client.focus();
        if ('navigate' in client) return client.navigate(target);
        return undefined;
      }
    }
    return self.clients.openWindow(target);
  })());
});
