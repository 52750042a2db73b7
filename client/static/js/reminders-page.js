// The reminders screen: the plan editor, today's view, how reminders reach this phone
// and the calendar file. Renders and wires events; the rules are in reminder-rules.js,
// the stored plan in reminder-store.js, the server calls in push-device.js, and the
// reminders themselves (on this and every other page) in reminder-watch.js.
import { $, el, setStatus, timeLabel, withTimeout, nextTask } from './dom.js';
import { dateWords } from './format.js';
import {
  CHANGED_EVENT, MAX_WINDOWS, TYPES, deviceTimeZone, glassesToday, isDaily, loadStore, overTarget, pausedBySafetyHold,
  saveStore, serverPlan, togglePause, upcoming, validateSettings,
} from './reminder-store.js';
import {
  deviceToken, forgetDevice, setDeviceToken, setServerPause, subscribe, syncPlan,
} from './push-device.js';
import { act } from './reminder-watch.js';

// Re-exported for tests and for older callers of reminders.js.
export { registerDevice } from './push-device.js';

const form = $('reminder-plan');
const typeIds = Object.keys(TYPES);

function showTargetWarning(id, target) {
  const box = $(id);
  if (box) box.hidden = !overTarget(target, Number(box.dataset.above));
}

class RemindersPage {
  constructor() {
    this.store = loadStore();
  }

  reload() {
    this.store = loadStore();
  }

  // Form <-> settings
  fillForm() {
    const s = this.store.settings;
    for (const type of typeIds) {
      const t = s.types[type];
      $(`on-${type}`).checked = Boolean(t.on);
      if (isDaily(type)) {
        $(`time-${type}`).value = t.time;
        for (const box of form.querySelectorAll(`input[name="days-${type}"]`)) box.checked = t.days.includes(box.value);
      } else {
        $(`interval-${type}`).value = t.interval;
      }
    }
    if ($('daily-target')) $('daily-target').value = s.target;
    showTargetWarning('target-warning-plan', s.target);
    for (const box of form.querySelectorAll('input[name="day"]')) box.checked = s.days.includes(box.value);
    this.renderWindows(s.windows);
    this.fillTimeZones(s.timezone);
  }

  fillTimeZones(selected) {
    let zones = [];
    try {
      zones = Intl.supportedValuesOf('timeZone');
    } catch (err) {
      zones = [];
    }
    zones = [...new Set([...zones, deviceTimeZone(), selected, 'UTC'])].sort();
    $('timezone').replaceChildren(...zones.map((z) => {
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
        const p = el('p');
        p.append(el('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-remove': String(i) }, `Remove range ${i + 1}`));
        row.append(p);
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
    for (const type of typeIds) {
      types[type] = isDaily(type)
        ? { on: $(`on-${type}`).checked, time: $(`time-${type}`).value, days: [...form.querySelectorAll(`input[name="days-${type}"]:checked`)].map((b) => b.value) }
        : { on: $(`on-${type}`).checked, interval: Number($(`interval-${type}`).value) };
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
    const problems = validateSettings(settings);
    if (problems.length) {
      for (const p of problems) if (p.field && $(p.field)) $(p.field).setAttribute('aria-invalid', 'true');
      setStatus($('plan-status'), problems.map((p) => p.text).join(' '), 'error');
      return;
    }
    this.reload();
    this.store.settings = settings;
    if (!saveStore(this.store)) {
      setStatus($('plan-status'), 'This phone refused to save the plan (its storage may be full). Nothing was changed.', 'error');
      return;
    }
    let message = 'Saved on this phone.';
    let tone = 'success';
    if (await deviceToken()) {
      try {
        let result = await syncPlan({ force: true });
        if (result.status === 401) {
          // The server forgot this device (it was gone for a while): subscribe afresh.
          await setDeviceToken(null);
          await subscribe(settings);
          result = { ok: true };
        }
        if (!result.ok) {
          console.warn('The server refused the plan:', result.status, result.message);
          tone = 'warning';
        }
        message = result.ok ? 'Saved. Notifications follow the new plan.'
          : 'Saved on this phone, but our server could not take the new plan, so notifications still follow the old one. Try saving again later.';
      } catch (err) {
        tone = 'warning';
        message = 'Saved on this phone. Notifications follow the new plan once you are online and save again.';
      }
    }
    setStatus($('plan-status'), message, tone);
    this.reload();
    this.renderToday();
  }

  // Today
  renderToday() {
    const { settings, state } = this.store;
    const tz = settings.timezone;
    const now = Date.now();
    const held = pausedBySafetyHold().filter((type) => settings.types[type] && settings.types[type].on);
    const next = upcoming(this.store, now);
    const line = $('next-reminder');
    const paused = Boolean(state.pausedUntil && state.pausedUntil > now);
    if (paused) {
      line.textContent = `Paused until ${timeLabel(state.pausedUntil, tz, now)}.`;
    } else if (!next.length) {
      line.textContent = 'No reminders are switched on. Choose some in your reminder plan below.';
    } else {
      line.textContent = `Next: ${next.slice(0, 3).map(({ type, due }) => `${TYPES[type].title} at ${timeLabel(due, tz, now)}`).join('; ')}.`;
    }
    if (held.length) {
      line.textContent += ` ${held.map((type) => TYPES[type].title).join(' and ')} reminders are paused until a clinician has checked you (your safety check result).`;
    }
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
    // Empty: a sentence beside the list, not "list, 1 item" to a screen reader.
    $('reminder-history-empty').hidden = byDay.size > 0;
    list.hidden = !byDay.size;
    if (!byDay.size) {
      list.replaceChildren();
      return;
    }
    const words = { done: 'done', snooze: 'snoozed', start: 'started', checkin: 'opened', skip: 'not today' };
    const days = [...byDay.keys()].sort().reverse().slice(0, 14);
    list.replaceChildren(...days.map((date) => {
      const parts = [...byDay.get(date)].map(([key, n]) => {
        const [type, action] = key.split('|');
        if (action === 'drank') return `${n} ${n === 1 ? 'glass' : 'glasses'} of water`;
        const title = TYPES[type] ? TYPES[type].title : type;
        return `${title} ${words[action] || action} ×${n}`;
      });
      const li = el('li');
      li.append(el('strong', {}, dateWords(date)), document.createTextNode(`: ${parts.join(', ')}`));
      return li;
    }));
  }

  async togglePause() {
    this.reload();
    const pausing = togglePause(this.store);
    saveStore(this.store);
    this.renderToday();
    setStatus($('today-status'), pausing ? 'Paused until tomorrow.' : 'Reminders are back on.', 'success');
    if (!(await setServerPause(pausing))) {
      setStatus($('today-status'), `${$('today-status').textContent} This phone is offline, so notifications may still arrive today.`, 'warning');
    }
  }

  // Delivery
  async renderDelivery() {
    const status = $('delivery-status');
    setStatus(status, status.textContent);
    const supported = 'Notification' in window;
    const permission = supported ? Notification.permission : 'denied';
    const token = await deviceToken();
    $('permission-denied').hidden = !supported || permission !== 'denied';
    $('notify-off-row').hidden = !token;
    $('notify-on-row').hidden = Boolean(token) || !supported || permission === 'denied';
    if (!supported) {
      status.textContent = 'This browser cannot show notifications. Reminders appear as a banner while the app is open; the calendar file below works with the app closed.';
    } else if (token) {
      status.textContent = 'On: reminders reach this phone even when the app is closed.';
    } else if (permission === 'granted') {
      status.textContent = 'Notifications are on while the app is open.';
      $('notify-on').textContent = 'Also remind me when the app is closed';
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
    setStatus($('delivery-status'), 'Setting up…');
    try {
      await subscribe(this.store.settings);
    } catch (err) {
      // The technical reason is for developers; the person gets plain words.
      console.warn('Push subscription failed:', err);
      await this.renderDelivery();
      const reason = err && err.name === 'TimeoutError'
        ? "Your browser's push service did not answer in time. Check your connection and try again."
        : 'This phone or browser would not set them up.';
      setStatus($('delivery-status'), `Notifications are on while the app is open, but reminders with the app closed could not be set up. ${reason} The calendar file below works instead.`, 'warning');
      return;
    }
    this.reload();
    await this.renderDelivery();
  }

  async turnOff() {
    await forgetDevice();
    this.reload();
    this.store.synced = null;
    saveStore(this.store);
    await this.renderDelivery();
    setStatus($('delivery-status'), 'Stopped. Nothing about this phone is stored on our server any more.', 'success');
  }

  async downloadCalendar() {
    const status = $('ics-status');
    this.reload();
    const plan = serverPlan(this.store.settings);
    if (!Object.keys(plan.reminders).length) {
      setStatus(status, 'Switch on at least one reminder first.', 'error');
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
      setStatus(status, 'Downloaded. Open the file to add the reminders to your calendar.', 'success');
    } catch (err) {
      console.warn('Calendar file failed:', err);
      setStatus(status, 'The calendar file is made by our server: connect to the internet and try again.', 'error');
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
    const drinkType = typeIds.find((t) => TYPES[t].actions.includes('drank'));
    if ($('drank') && drinkType) {
      $('drank').addEventListener('click', async () => {
        const store = await act(drinkType, 'drank');
        setStatus($('today-status'), `Logged a glass: ${glassesToday(store)} of ${store.settings.target} today.`, 'success');
      });
    }
    $('notify-on').addEventListener('click', () => this.turnOn());
    $('notify-off').addEventListener('click', () => this.turnOff());
    $('ics-download').addEventListener('click', () => this.downloadCalendar());
    // The store changes from the banner, a notification's queued action, another tab.
    document.addEventListener(CHANGED_EVENT, () => {
      this.reload();
      this.renderToday();
    });
    window.addEventListener('storage', () => {
      this.reload();
      this.renderToday();
    });
  }

  // A task per part (nextTask), so a long form never makes one long task (issue 14).
  async start() {
    this.fillForm();
    this.bind();
    await nextTask();
    this.renderDelivery();
    await nextTask();
    // The first reckoning in the person's time zone sets up the browser's date formatting
    // (a long task on a slow phone): on its own here; renderToday reuses the offsets.
    upcoming(this.store, Date.now());
    await nextTask();
    this.renderToday();
    withTimeout(syncPlan(), 20_000, 'Sending the plan').catch(() => {
      // Offline: tried again on the next visit.
    });
    setInterval(() => this.renderToday(), 60_000);
  }
}

// Awaited, so <html data-enhanced> means the page is complete.
if (form) await new RemindersPage().start();
