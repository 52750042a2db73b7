// Small DOM and formatting helpers every page module uses. No side effects at import.

/** A new element with attributes and, optionally, its text. */
export function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export const $ = (id) => document.getElementById(id);

const TONES = ['success', 'error', 'warning'];

/** Put `text` in a status line with its tone ("success", "error", "warning" or none):
 * app.css gives each tone a colour and an icon-word, so an error is never green.
 * A `.status` line takes is-<tone>; any other paragraph the stand-alone status-<tone>. */
export function setStatus(node, text, tone) {
  if (!node) return;
  node.classList.remove(...TONES.flatMap((t) => [`is-${t}`, `status-${t}`]));
  if (tone) node.classList.add(node.classList.contains('status') ? `is-${tone}` : `status-${tone}`);
  node.textContent = text;
}

const pad = (n) => String(n).padStart(2, '0');

/** The device's local date, YYYY-MM-DD. */
export function localDate(d = new Date()) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The date in `timeZone` at instant `ms`, YYYY-MM-DD. */
export function dateIn(ms, timeZone) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date(ms));
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** "09:30" for an instant today in `timeZone`, "Tue 09:30" on another day. */
export function timeLabel(ms, timeZone, now = Date.now()) {
  const options = { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  if (dateIn(ms, timeZone) !== dateIn(now, timeZone)) options.weekday = 'short';
  return new Intl.DateTimeFormat(undefined, options).format(new Date(ms));
}

/** Resolves in a new task: the browser may paint and answer input before the caller goes
 * on, so start-up work cut at these points makes no long task (issue 14: Total Blocking
 * Time). Not a timer, so a test's fake clock does not hold it up. */
// Temporal where the browser has it: the first Intl.DateTimeFormat of a page sets up the
// browser's date formatting, a long task on a slow phone (issue 14). Both name and accept
// the same zones.
export const TEMPORAL = globalThis.Temporal && Temporal.Now && Temporal.Now.timeZoneId ? Temporal : null;

/** This device's IANA time zone, or null when the browser cannot say. */
export function deviceTimeZone() {
  try {
    if (TEMPORAL) return TEMPORAL.Now.timeZoneId() || null;
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch (err) {
    return null;
  }
}

export function nextTask() {
  if (globalThis.scheduler && scheduler.yield) return scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  });
}

/** A byte count in words: "312 KB", "4.2 MB". */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

/** Resolve or reject with `promise`, or reject after `ms` saying what took too long. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((resolve, reject) => {
      timer = setTimeout(() => {
        // Named, so a page can say it in plain words; the message is for developers.
        const err = new Error(`${what} took too long`);
        err.name = 'TimeoutError';
        reject(err);
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
