// Reminders: the plan editor, today's view, delivery (web push, notifications while the
// app is open, or an in-app banner) and the calendar file.
//
// The schedule rules are the server's (server/reminders.py), repeated in
// reminder-rules.js so the app can remind while it is open even without push, and
// offline; their constants come from the server in the page data.
import { KEYS, appData, localDate, read, write } from './storage.js';
import { buildPlan, savedPlan } from './plan.js';
import {
  configure, doneNotBefore, endOfLocalDay, latestWithinGrace, nextDue, parseHHMM, snoozeUntil, zonedParts,
} from './reminder-rules.js';
import { currentHold } from './safety.js';

// Only pages that carry the reminder data get the schedule rules. Others may still
// import this module: safety.js does, from any page, for applySafetyHold(), which
// needs no schedule.
const PAGE_DATA = appData();
const RULES = PAGE_DATA && PAGE_DATA.reminder_rules ? configure(PAGE_DATA.reminder_rules) : null;
export const MIN_INTERVAL = RULES ? RULES.minInterval : null;
export const MAX_INTERVAL = RULES ? RULES.maxInterval : null;
export const MAX_WINDOWS = 6;
const DAY = 86_400_000;
const TICK = 15_000;
// Shared with the service worker (client/templates/pwa/sw.js).
const DEVICE_CACHE = 'reminder-device';
const DEVICE_KEY = '/__reminders/device';
const QUEUE_KEY = '/__reminders/queue';
const LOG_DAYS = 60;

// --- The stored plan ---------------------------------------------------------------

export function deviceTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch (err) {
    return 'UTC';
  }
}

// Defaults: the types that fit the person's "My back" choices (a posture break when
// there are none), intervals from content/, 09:00-17:30 on weekdays.
export function defaultSettings(data, choices) {
  const fitting = choices && choices.length ? buildPlan(data, choices).reminders : ['posture-break'];
  const types = {};
  let target = 8;
  for (const [id, r] of Object.entries(data.reminders)) {
    types[id] = { on: fitting.includes(id), interval: r.interval };
    if (r.daily_target) target = r.daily_target;
  }
  return {
    timezone: deviceTimeZone(),
    windows: [{ start: '09:00', end: '17:30' }],
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    types,
    target,
    custom: false,
  };
}

export function entryFor(settings, type) {
  return { type, interval: settings.types[type].interval, windows: settings.windows, days: settings.days };
}

// --- Safety-check hold (issue 9) -----------------------------------------------------
// While the safety check holds stretches (safety.js: an emergency or same-day result
// nobody has checked yet), the reminders that ask the person to move pause; hydration
// and breathing carry on. Nothing here stores the pause: it is worked out from the hold
// each time, so it ends by itself when the hold does. The server is simply sent the
// plan without the paused types (never why): serverPlan() leaves them out, the in-app
// reminders skip them, and safety.js calls applySafetyHold() whenever the hold changes
// so a phone with push reminders tells the server at once.
export const PAUSED_DURING_SAFETY_HOLD = ['posture-break', 'movement-snack'];

export function pausedBySafetyHold() {
  return currentHold() ? PAUSED_DURING_SAFETY_HOLD : [];
}

/** Bring the server's copy of the plan in line with the hold. Resolves to true when the
 * server has the right plan (or there is no push device), false when it could not be told. */
export async function applySafetyHold() {
  const token = await deviceToken();
  const stored = read(KEYS.reminders, null);
  if (!token || !stored || !stored.settings) return true;
  const plan = serverPlan(stored.settings);
  if (JSON.stringify(plan) === stored.synced) return true;
  const result = await api('PUT', '/push/device', { plan }, token);
  if (result.ok) write(KEYS.reminders, { ...read(KEYS.reminders, stored), synced: JSON.stringify(plan) });
  return result.ok;
}

// What the server stores: times and types, nothing else (and not the types paused by
// a safety hold).
export function serverPlan(settings, paused = pausedBySafetyHold()) {
  const reminders = {};
  for (const [type, t] of Object.entries(settings.types)) {
    if (t.on && !paused.includes(type)) reminders[type] = { interval: t.interval, windows: settings.windows, days: settings.days };
  }
  return { timezone: settings.timezone, reminders };
}

export function validateSettings(settings, knownTypes) {
  const problems = [];
  for (const [type, t] of Object.entries(settings.types)) {
    if (!knownTypes.includes(type)) problems.push(`Unknown reminder type ${type}.`);
    if (!Number.isInteger(t.interval) || t.interval < MIN_INTERVAL || t.interval > MAX_INTERVAL) {
      problems.push({ field: `interval-${type}`, text: `Choose ${MIN_INTERVAL} to ${MAX_INTERVAL} minutes.` });
    }
  }
  if (!settings.windows.length || settings.windows.length > MAX_WINDOWS) problems.push(`Give 1 to ${MAX_WINDOWS} time ranges.`);
  settings.windows.forEach((w, i) => {
    // An end before the start is fine: the range runs past midnight (night shifts).
    if (Number.isNaN(parseHHMM(w.start))) problems.push({ field: `window-start-${i}`, text: `Give range ${i + 1} a start time.` });
    if (Number.isNaN(parseHHMM(w.end))) problems.push({ field: `window-end-${i}`, text: `Give range ${i + 1} an end time.` });
  });
  if (!settings.days.length) problems.push('Pick at least one day.');
  return problems.map((p) => (typeof p === 'string' ? { field: null, text: p } : p));
}

function emptyStore() {
  // synced: the plan the server last accepted for this device (JSON), to notice changes.
  return { v: 1, settings: null, state: { pausedUntil: null, snoozed: {}, notBefore: {}, lastCheck: null }, log: [], synced: null };
}

export function loadStore(data) {
  const stored = read(KEYS.reminders, null);
  const store = { ...emptyStore(), ...(stored && typeof stored === 'object' ? stored : {}) };
  store.state = { ...emptyStore().state, ...store.state };
  if (!store.settings || !store.settings.custom) {
    // Until the person edits the plan, it follows their "My back" choices.
    const plan = savedPlan();
    store.settings = defaultSettings(data, plan ? plan.choices : []);
  }
  // Reminder types added to content/ since the plan was saved start switched off.
  for (const [id, r] of Object.entries(data.reminders)) {
    if (!store.settings.types[id]) store.settings.types[id] = { on: false, interval: r.interval };
  }
  for (const id of Object.keys(store.settings.types)) if (!data.reminders[id]) delete store.settings.types[id];
  return store;
}

export function saveStore(store) {
  const since = localDate(new Date(Date.now() - LOG_DAYS * DAY));
  store.log = store.log.filter((e) => e.date >= since).slice(-2000);
  write(KEYS.reminders, store);
}

function stateFor(store, type) {
  return {
    pausedUntil: store.state.pausedUntil,
    snoozedUntil: store.state.snoozed[type] || null,
    notBefore: store.state.notBefore[type] || null,
  };
}

// Hydration safety: a glasses-a-day target above the number content/reminders.yaml calls
// sensible (the page carries it as data-above) shows a warning by the setting and the
// tracker.
export function overTarget(target, above) {
  return Number.isFinite(above) && Number(target) > above;
}

function showTargetWarning(id, target) {
  const box = document.getElementById(id);
  if (box) box.hidden = !overTarget(target, Number(box.dataset.above));
}

export function glassesToday(store, today = localDate()) {
  return store.log.filter((e) => e.date === today && e.type === 'hydration' && (e.action === 'drank' || e.action === 'done')).length;
}

// --- Device token and the worker's queue (Cache Storage, shared with sw.js) ----------

async function deviceCache() {
  if (!('caches' in window)) return null;
  try {
    return await caches.open(DEVICE_CACHE);
  } catch (err) {
    return null; // storage blocked (private mode in some browsers): no push, local reminders only
  }
}

export async function deviceToken() {
  const cache = await deviceCache();
  const hit = cache && await cache.match(DEVICE_KEY);
  if (!hit) return null;
  try {
    return (await hit.json()).token || null;
  } catch (err) {
    return null;
  }
}

async function setDeviceToken(token) {
  const cache = await deviceCache();
  if (!cache) return;
  if (token) await cache.put(DEVICE_KEY, new Response(JSON.stringify({ token }), { headers: { 'Content-Type': 'application/json' } }));
  else await cache.delete(DEVICE_KEY);
}

async function api(method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const isJson = (response.headers.get('Content-Type') || '').includes('json');
  return { status: response.status, ok: response.ok, body: isJson ? await response.json() : null };
}

// Send a push subscription and the plan to the server; keeps the device token.
export async function registerDevice(subscription, settings = loadStore(appData()).settings) {
  const result = await api('POST', '/push/subscriptions', { subscription, plan: serverPlan(settings) });
  if (!result.ok) throw new Error((result.body && result.body.message) || `HTTP ${result.status}`);
  await setDeviceToken(result.body.device);
  const store = loadStore(appData());
  store.synced = JSON.stringify(serverPlan(settings));
  saveStore(store);
  return result.body;
}

function b64urlToBytes(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function withTimeout(promise, ms, what) {
  return Promise.race([promise, new Promise((resolve, reject) => setTimeout(() => reject(new Error(`${what} took too long`)), ms))]);
}

// --- The page ---------------------------------------------------------------------

const data = appData();
const $ = (id) => document.getElementById(id);
const form = $('reminder-plan');

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function timeLabel(ms, tz) {
  const now = Date.now();
  const sameDay = localDateIn(ms, tz) === localDateIn(now, tz);
  const options = { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  if (!sameDay) options.weekday = 'short';
  return new Intl.DateTimeFormat(undefined, options).format(new Date(ms));
}

function localDateIn(ms, tz) {
  const p = zonedParts(ms, tz);
  return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
}

function logAction(store, type, action, at = new Date()) {
  store.log.push({ date: localDate(at), type, action, at: at.toISOString() });
}

class RemindersPage {
  constructor() {
    this.store = loadStore(data);
    this.types = Object.keys(data.reminders);
    this.current = null; // the reminder shown in the banner
  }

  save() {
    saveStore(this.store);
  }

  reload() {
    this.store = loadStore(data);
  }

  // Form <-> settings
  fillForm() {
    const s = this.store.settings;
    for (const type of this.types) {
      $(`on-${type}`).checked = Boolean(s.types[type].on);
      $(`interval-${type}`).value = s.types[type].interval;
    }
    if ($('daily-target')) $('daily-target').value = s.target;
    showTargetWarning('target-warning-plan', s.target);
    for (const box of form.querySelectorAll('input[name="day"]')) box.checked = s.days.includes(box.value);
    this.renderWindows(s.windows);
    this.fillTimeZones(s.timezone);
  }

  fillTimeZones(selected) {
    const select = $('timezone');
    let zones = [];
    try {
      zones = Intl.supportedValuesOf('timeZone');
    } catch (err) {
      zones = [];
    }
    zones = [...new Set([...zones, deviceTimeZone(), selected, 'UTC'])].sort();
    select.replaceChildren(...zones.map((z) => {
      const option = el('option', { value: z }, z.replace(/_/g, ' '));
      if (z === selected) option.selected = true;
      return option;
    }));
  }

  renderWindows(windows) {
    const rows = windows.map((w, i) => {
      const row = el('div', { class: 'window-row', 'data-index': String(i) });
      row.append(
        el('label', { for: `window-start-${i}` }, `Range ${i + 1} from`),
        Object.assign(el('input', { id: `window-start-${i}`, type: 'time', inputmode: 'numeric' }), { value: w.start === '24:00' ? '23:59' : w.start }),
        el('label', { for: `window-end-${i}` }, `Range ${i + 1} to`),
        Object.assign(el('input', { id: `window-end-${i}`, type: 'time', inputmode: 'numeric' }), { value: w.end === '24:00' ? '23:59' : w.end }),
      );
      if (windows.length > 1) {
        const remove = el('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-remove': String(i) }, `Remove range ${i + 1}`);
        row.append(el('p'));
        row.lastChild.append(remove);
      }
      return row;
    });
    $('windows').replaceChildren(...rows);
    $('add-window-row').hidden = windows.length >= MAX_WINDOWS;
  }

  windowsFromForm() {
    return [...$('windows').querySelectorAll('.window-row')].map((row) => {
      const [start, end] = row.querySelectorAll('input[type="time"]');
      // A time input shows 23:59 at most; 23:59 as an end means "until midnight".
      return { start: start.value, end: end.value === '23:59' ? '24:00' : end.value };
    });
  }

  settingsFromForm() {
    const s = this.store.settings;
    const types = {};
    for (const type of this.types) {
      types[type] = { on: $(`on-${type}`).checked, interval: Number($(`interval-${type}`).value) };
    }
    const target = $('daily-target') ? Number($('daily-target').value) : s.target;
    return {
      timezone: $('timezone').value || deviceTimeZone(),
      windows: this.windowsFromForm(),
      days: [...form.querySelectorAll('input[name="day"]:checked')].map((b) => b.value),
      types,
      target: Number.isInteger(target) && target >= 1 && target <= 20 ? target : s.target,
      custom: true,
    };
  }

  async savePlan(event) {
    event.preventDefault();
    for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
    const settings = this.settingsFromForm();
    const problems = validateSettings(settings, this.types);
    if (problems.length) {
      for (const p of problems) if (p.field && $(p.field)) $(p.field).setAttribute('aria-invalid', 'true');
      $('plan-status').textContent = problems.map((p) => p.text).join(' ');
      return;
    }
    this.reload();
    this.store.settings = settings;
    this.save();
    let message = 'Saved on this phone.';
    const token = await deviceToken();
    if (token) {
      try {
        let result = await this.sync(token);
        if (result.status === 401) {
          // The server forgot this device (it was gone for a while): subscribe afresh.
          await this.resubscribe();
          result = { ok: true };
        }
        message = result.ok ? 'Saved. Notifications follow the new plan.'
          : `Saved on this phone, but the server refused it: ${result.body ? result.body.message : result.status}.`;
      } catch (err) {
        message = 'Saved on this phone. Notifications follow the new plan once you are online and save again.';
      }
    }
    $('plan-status').textContent = message;
    this.renderToday();
  }

  // Today
  renderToday() {
    const { settings, state } = this.store;
    const tz = settings.timezone;
    const now = Date.now();
    const next = [];
    const held = pausedBySafetyHold().filter((type) => settings.types[type] && settings.types[type].on);
    for (const type of this.types) {
      if (!settings.types[type].on || held.includes(type)) continue;
      const due = nextDue(entryFor(settings, type), tz, now, stateFor(this.store, type));
      if (due !== null) next.push([due, type]);
    }
    next.sort((a, b) => a[0] - b[0]);
    const line = $('next-reminder');
    if (state.pausedUntil && state.pausedUntil > now) {
      line.textContent = `Paused until ${timeLabel(state.pausedUntil, tz)}.`;
    } else if (!next.length) {
      line.textContent = 'No reminders are switched on. Choose some in your reminder plan below.';
    } else {
      line.textContent = 'Next: ' + next.slice(0, 3).map(([t, type]) => `${data.reminders[type].title} at ${timeLabel(t, tz)}`).join('; ') + '.';
    }
    if (held.length) {
      line.textContent += ` ${held.map((type) => data.reminders[type].title).join(' and ')} reminders are paused until a clinician has checked you (your safety check result).`;
    }
    const paused = Boolean(state.pausedUntil && state.pausedUntil > now);
    $('pause-today').textContent = paused ? 'Resume reminders' : 'Pause for today';
    if ($('glasses-text')) {
      const count = glassesToday(this.store);
      $('glasses-text').textContent = `${count} of ${settings.target} glasses`;
      $('glasses-progress').max = settings.target;
      $('glasses-progress').value = Math.min(count, settings.target);
      showTargetWarning('target-warning-today', settings.target);
    }
    this.renderHistory();
  }

  renderHistory() {
    const list = $('reminder-history');
    const byDay = new Map();
    for (const e of this.store.log) {
      if (!byDay.has(e.date)) byDay.set(e.date, new Map());
      const key = `${e.type}|${e.action}`;
      byDay.get(e.date).set(key, (byDay.get(e.date).get(key) || 0) + 1);
    }
    if (!byDay.size) {
      list.replaceChildren(el('li', {}, 'Nothing yet.'));
      return;
    }
    const words = { done: 'done', snooze: 'snoozed', start: 'started', drank: 'glasses of water' };
    const days = [...byDay.keys()].sort().reverse().slice(0, 14);
    list.replaceChildren(...days.map((date) => {
      const parts = [...byDay.get(date)].map(([key, n]) => {
        const [type, action] = key.split('|');
        if (action === 'drank') return `${n} ${n === 1 ? 'glass' : 'glasses'} of water`;
        const title = data.reminders[type] ? data.reminders[type].title : type;
        return `${title} ${words[action] || action} ×${n}`;
      });
      const li = el('li');
      li.append(el('strong', {}, date), document.createTextNode(`: ${parts.join(', ')}`));
      return li;
    }));
  }

  // What the person does (from the page or, through the worker's queue, a notification)
  async act(type, action, { minutes = 10, at = new Date(), tellServer = true } = {}) {
    this.reload();
    const { state, settings } = this.store;
    if (action === 'snooze') {
      state.snoozed[type] = snoozeUntil(at.getTime(), minutes);
    } else if (action === 'done') {
      delete state.snoozed[type];
      if (settings.types[type]) state.notBefore[type] = doneNotBefore(entryFor(settings, type), at.getTime());
    }
    logAction(this.store, type, action, at);
    this.save();
    this.renderToday();
    if (!tellServer || (action !== 'snooze' && action !== 'done')) return;
    const token = await deviceToken();
    if (!token) return;
    const body = action === 'snooze' ? { type, minutes } : { type };
    try {
      await api('POST', `/push/device/${action}`, body, token);
    } catch (err) {
      // Offline: the server may still send the next reminder; it carries the same actions.
    }
  }

  async togglePause() {
    this.reload();
    const { state, settings } = this.store;
    const now = Date.now();
    const pausing = !(state.pausedUntil && state.pausedUntil > now);
    state.pausedUntil = pausing ? endOfLocalDay(now, settings.timezone) : null;
    this.save();
    this.renderToday();
    $('today-status').textContent = pausing ? 'Paused until tomorrow.' : 'Reminders are back on.';
    const token = await deviceToken();
    if (token) {
      try {
        await api(pausing ? 'POST' : 'DELETE', '/push/device/pause', undefined, token);
      } catch (err) {
        $('today-status').textContent += ' (This phone is offline: notifications may still arrive today.)';
      }
    }
  }

  async drainQueue() {
    const cache = await deviceCache();
    const hit = cache && await cache.match(QUEUE_KEY);
    if (!hit) return;
    let queue = [];
    try {
      queue = await hit.json();
    } catch (err) {
      queue = [];
    }
    // Applied before the queue is cleared, and skipped when already in the history, so
    // a page that is navigated away mid-way (Start does that) loses and doubles nothing.
    for (const item of queue) {
      if (!item || !data.reminders[item.type]) continue;
      const known = this.store.log.some((e) => e.at === item.at && e.type === item.type && e.action === item.action);
      // The worker already told the server; only the local state and history change.
      if (!known) await this.act(item.type, item.action, { at: new Date(item.at), tellServer: false });
    }
    await cache.delete(QUEUE_KEY);
  }

  // Send the plan to the server; remember what it accepted.
  async sync(token) {
    const plan = serverPlan(this.store.settings);
    const result = await api('PUT', '/push/device', { plan }, token);
    if (result.ok) {
      this.reload();
      this.store.synced = JSON.stringify(plan);
      this.save();
    }
    return result;
  }

  // A plan that follows "My back" (or the device's time zone) may have changed since the
  // server last heard of it.
  async syncIfChanged() {
    const token = await deviceToken();
    if (!token || JSON.stringify(serverPlan(this.store.settings)) === this.store.synced) return;
    try {
      await this.sync(token);
    } catch (err) {
      // Offline: tried again on the next visit.
    }
  }

  // Showing reminders while the app is open. With a push subscription the server
  // sends them; the page stays quiet so nothing arrives twice.
  async tick() {
    const pushActive = Boolean(await deviceToken());
    this.reload();
    const { settings, state } = this.store;
    const now = Date.now();
    if (!pushActive) {
      const paused = pausedBySafetyHold();
      for (const type of this.types) {
        if (!settings.types[type].on || paused.includes(type)) continue;
        const due = latestWithinGrace(entryFor(settings, type), settings.timezone, state.lastCheck || now, now,
          stateFor(this.store, type));
        if (due !== null) this.remind(type, due);
      }
    }
    for (const [type, until] of Object.entries(state.snoozed)) if (until <= now) delete state.snoozed[type];
    state.lastCheck = now;
    this.save();
    this.renderToday();
  }

  remind(type, due) {
    const controller = navigator.serviceWorker && navigator.serviceWorker.controller;
    if ('Notification' in window && Notification.permission === 'granted' && controller) {
      controller.postMessage({ type: 'SHOW_NOTIFICATION', reminder: { type, due } }); // due: UTC ms, as the reminder id
      return;
    }
    this.showBanner(type);
  }

  showBanner(type) {
    const r = data.reminders[type];
    this.current = type;
    $('banner-title').textContent = r.title;
    $('banner-body').textContent = r.message;
    $('banner-start').href = `/routines/${r.routine}?start=1`;
    $('reminder-banner').hidden = false;
  }

  hideBanner() {
    $('reminder-banner').hidden = true;
    this.current = null;
  }

  // Delivery
  async renderDelivery() {
    const status = $('delivery-status');
    const on = $('notify-on');
    const denied = $('permission-denied');
    const supported = 'Notification' in window;
    const permission = supported ? Notification.permission : 'denied';
    const token = await deviceToken();
    denied.hidden = !supported || permission !== 'denied';
    $('notify-off-row').hidden = !token;
    $('notify-on-row').hidden = Boolean(token) || !supported || permission === 'denied';
    if (!supported) {
      status.textContent = 'This browser cannot show notifications. Reminders appear as a banner while the app is open; the calendar file below works with the app closed.';
    } else if (token) {
      status.textContent = 'On: reminders reach this phone even when the app is closed.';
    } else if (permission === 'granted') {
      status.textContent = 'Notifications are on while the app is open.';
      on.textContent = 'Also remind me when the app is closed';
    } else if (permission === 'denied') {
      status.textContent = 'Reminders show as a banner while the app is open.';
    }
    this.renderIosHint();
  }

  renderIosHint() {
    const hint = $('ios-hint');
    const ios = /iP(hone|ad|od)/.test(navigator.userAgent) || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
    if (!ios) return;
    const standalone = window.matchMedia('(display-mode: standalone)').matches || navigator.standalone === true;
    if (!standalone) hint.textContent = 'This iPhone or iPad can only get notifications from the app once it is on the Home Screen. Add it there (Share, then "Add to Home Screen"), open it from there and turn notifications on, or use the calendar file.';
    else if (!('PushManager' in window)) hint.textContent = 'This iOS version is older than 16.4, so the app cannot send notifications. Use the calendar file instead.';
    else return;
    hint.hidden = false;
  }

  async turnOn() {
    const status = $('delivery-status');
    if (!('Notification' in window)) {
      await this.renderDelivery();
      return;
    }
    let permission = Notification.permission;
    if (permission === 'default') permission = await Notification.requestPermission();
    if (permission !== 'granted') {
      await this.renderDelivery();
      return;
    }
    status.textContent = 'Setting up…';
    try {
      await this.subscribe();
    } catch (err) {
      await this.renderDelivery();
      status.textContent = `Notifications are on while the app is open. Reminders with the app closed could not be set up on this phone (${err.message}); the calendar file below works instead.`;
      return;
    }
    await this.renderDelivery();
  }

  async subscribe() {
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
    await registerDevice(subscription.toJSON(), this.store.settings);
    this.reload();
  }

  async resubscribe() {
    await setDeviceToken(null);
    await this.subscribe();
  }

  async turnOff() {
    const token = await deviceToken();
    if (token) {
      try {
        await api('DELETE', '/push/device', undefined, token);
      } catch (err) {
        // Offline: the server forgets the device when the push service reports it gone.
      }
    }
    try {
      const registration = await withTimeout(navigator.serviceWorker.ready, 5_000, 'Starting the app offline');
      const subscription = await registration.pushManager.getSubscription();
      if (subscription) await subscription.unsubscribe();
    } catch (err) {
      // Nothing subscribed here.
    }
    await setDeviceToken(null);
    this.reload();
    this.store.synced = null;
    this.save();
    await this.renderDelivery();
    $('delivery-status').textContent = 'Stopped. Nothing about this phone is stored on our server any more.';
  }

  async downloadCalendar() {
    const status = $('ics-status');
    this.reload();
    const plan = serverPlan(this.store.settings);
    if (!Object.keys(plan.reminders).length) {
      status.textContent = 'Switch on at least one reminder first.';
      return;
    }
    try {
      const response = await fetch('/api/v1/calendar/reminders.ics', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(plan),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const link = el('a', { download: 'mid-back-relief-reminders.ics' });
      link.href = URL.createObjectURL(await response.blob());
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
      status.textContent = 'Downloaded. Open the file to add the reminders to your calendar.';
    } catch (err) {
      status.textContent = 'The calendar file is made by our server: connect to the internet and try again.';
    }
  }

  bind() {
    form.addEventListener('submit', (e) => this.savePlan(e));
    $('add-window').addEventListener('click', () => {
      const windows = this.windowsFromForm();
      if (windows.length >= MAX_WINDOWS) return;
      const last = windows[windows.length - 1];
      windows.push(last && last.end < '22:00' ? { start: last.end === '24:00' ? '18:00' : last.end, end: '24:00' } : { start: '09:00', end: '17:30' });
      this.renderWindows(windows);
      $(`window-start-${windows.length - 1}`).focus();
    });
    $('windows').addEventListener('click', (e) => {
      const index = e.target.getAttribute && e.target.getAttribute('data-remove');
      if (index === null || index === undefined) return;
      const windows = this.windowsFromForm();
      windows.splice(Number(index), 1);
      this.renderWindows(windows);
      $('window-start-0').focus();
    });
    $('pause-today').addEventListener('click', () => this.togglePause());
    $('daily-target')?.addEventListener('input', () => showTargetWarning('target-warning-plan', $('daily-target').value));
    if ($('drank')) {
      $('drank').addEventListener('click', () => {
        this.act('hydration', 'drank');
        $('today-status').textContent = 'Logged a glass.';
      });
    }
    $('banner-start').addEventListener('click', () => {
      if (this.current) this.act(this.current, 'start');
    });
    for (const [id, action, minutes] of [['banner-snooze10', 'snooze', 10], ['banner-snooze30', 'snooze', 30], ['banner-done', 'done', 0]]) {
      $(id).addEventListener('click', () => {
        const type = this.current;
        this.hideBanner();
        if (type) this.act(type, action, { minutes });
        $('today-status').textContent = action === 'done' ? 'Done. Well moved.' : `Snoozed for ${minutes} minutes.`;
      });
    }
    $('notify-on').addEventListener('click', () => this.turnOn());
    $('notify-off').addEventListener('click', () => this.turnOff());
    $('ics-download').addEventListener('click', () => this.downloadCalendar());
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.addEventListener('message', (event) => {
        if (event.data && event.data.type === 'REMINDER_ACTION') this.drainQueue();
      });
    }
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.tick();
    });
  }

  start() {
    this.fillForm();
    this.bind();
    this.renderDelivery();
    this.drainQueue().finally(() => this.tick());
    this.syncIfChanged();
    setInterval(() => this.tick(), TICK);
  }
}

if (form && data) {
  const page = new RemindersPage();
  page.start();
}
