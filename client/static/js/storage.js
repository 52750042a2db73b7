// Everything the person tells the app lives here, in this browser only.
// One key per concern, JSON values, and one place that knows the keys, so export,
// import and erase can never miss one.

export const KEYS = {
  plan: 'mbr.plan',            // { choices: [ids], skipped: bool, updated: iso }
  history: 'mbr.history',      // [{ date, routine, minutes }]
  screenings: 'mbr.screenings', // [{ date, version, level, reasons, answers }]
  preferences: 'mbr.preferences', // { emergencyNumber, speech, sound, vibrate }
  reminders: 'mbr.reminders',  // reminder plan and logs (reminders screen)
  player: 'mbr.player',        // an unfinished routine, to resume after a reload
};

export const EXPORT_FORMAT = 'mid-back-relief-export';
export const EXPORT_VERSION = 1;

export function read(key, fallback) {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch (err) {
    return fallback;
  }
}

export function write(key, value) {
  localStorage.setItem(key, JSON.stringify(value));
}

export function remove(key) {
  localStorage.removeItem(key);
}

export function localDate(d = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function appData() {
  const node = document.getElementById('app-data');
  return node ? JSON.parse(node.textContent) : null;
}
