// Everything the person tells the app lives here, in this browser only.
// One key per concern, JSON values, and one place that knows the keys, so export,
// import and erase can never miss one.

export const KEYS = {
  plan: 'mbr.plan',            // { choices: [ids], skipped: bool, updated: iso }
  history: 'mbr.history',      // [{ date, routine, minutes }]
  screenings: 'mbr.screenings', // [{ date, at, version, level, reasons, advice, answers, unanswered, stopped }]
  profile: 'mbr.profile',      // safety-check facts asked once: { answers: {id: true|false|'unsure'}, age, ageAsOf }
  assessed: 'mbr.assessed',    // "a clinician has checked me" after a hold: { at, covered: [question ids] }
  preferences: 'mbr.preferences', // { emergencyNumber, region, speech, sound, vibrate }
  reminders: 'mbr.reminders',  // reminder plan and logs (reminders screen)
  player: 'mbr.player',        // an unfinished routine, to resume after a reload
};

// Moved between phones by export and import; everything in KEYS except the one that
// only makes sense on this phone right now. Erase removes every key.
export const TRANSIENT_KEYS = ['player'];

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
