// Export, import and erase: the way to move to a new phone without an account.
// Import is all-or-nothing: a file is checked in full before anything is written.
import { KEYS, EXPORT_FORMAT, EXPORT_VERSION, TRANSIENT_KEYS, read, write, remove } from './storage.js';

// The KEYS map is the one list: a key added there is exported, imported and erased.
const DATA_KEYS = Object.keys(KEYS).filter((key) => !TRANSIENT_KEYS.includes(key));
const ANSWERS = new Set([true, false, 'unsure']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const LEVELS = new Set(['emergency', 'same-day', 'appointment', 'self-care']);

export function exportData() {
  const data = {};
  for (const key of DATA_KEYS) {
    const value = read(KEYS[key], null);
    if (value !== null) data[key] = value;
  }
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exported: new Date().toISOString(), data };
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

export function validateImport(doc, known) {
  const problems = [];
  if (!isObject(doc) || doc.format !== EXPORT_FORMAT) return ['This is not a Mid-Back Relief export file.'];
  if (doc.version !== EXPORT_VERSION) return [`This file is version ${doc.version}; this app reads version ${EXPORT_VERSION}.`];
  if (!isObject(doc.data)) return ['The file has no data section.'];
  for (const key of Object.keys(doc.data)) {
    if (!DATA_KEYS.includes(key)) problems.push(`Unknown section "${key}".`);
  }
  const { plan, history, screenings, preferences, reminders, profile, assessed } = doc.data;
  if (plan !== undefined) {
    if (!isObject(plan) || !Array.isArray(plan.choices)) problems.push('plan: choices must be a list.');
    else {
      for (const id of plan.choices) if (!known.choices.has(id)) problems.push(`plan: unknown choice "${id}".`);
      if (plan.skipped !== undefined && typeof plan.skipped !== 'boolean') problems.push('plan: skipped must be true or false.');
    }
  }
  if (history !== undefined) {
    if (!Array.isArray(history)) problems.push('history must be a list.');
    else history.forEach((h, i) => {
      if (!isObject(h) || !DATE.test(h.date) || typeof h.routine !== 'string' || typeof h.minutes !== 'number' || h.minutes < 0 || h.minutes > 600) {
        problems.push(`history item ${i + 1} needs a date, a routine and minutes.`);
      }
    });
  }
  if (screenings !== undefined) {
    if (!Array.isArray(screenings)) problems.push('screenings must be a list.');
    else screenings.forEach((s, i) => {
      if (!isObject(s) || !DATE.test(s.date) || !LEVELS.has(s.level) || !Array.isArray(s.reasons)) {
        problems.push(`screening ${i + 1} needs a date, a known outcome and reasons.`);
      }
    });
  }
  if (preferences !== undefined) {
    if (!isObject(preferences)) problems.push('preferences must be an object.');
    else {
      if (preferences.emergencyNumber !== undefined && preferences.emergencyNumber !== '' && !/^\d{2,6}$/.test(String(preferences.emergencyNumber))) {
        problems.push('preferences: the emergency number must be 2 to 6 digits.');
      }
      if (preferences.region !== undefined && preferences.region !== '' && !/^[A-Z]{2}$/.test(String(preferences.region))) {
        problems.push('preferences: the region must be a two-letter code such as GB.');
      }
    }
  }
  if (profile !== undefined) {
    if (!isObject(profile) || !isObject(profile.answers) || !Object.values(profile.answers).every((v) => ANSWERS.has(v))) {
      problems.push('profile: answers must be yes, no or not sure.');
    } else if (profile.age !== undefined && profile.age !== null && !(Number.isInteger(profile.age) && profile.age >= 1 && profile.age <= 120)) {
      problems.push('profile: the age must be a whole number from 1 to 120.');
    }
  }
  if (assessed !== undefined && assessed !== null) {
    if (!isObject(assessed) || typeof assessed.at !== 'string' || !Array.isArray(assessed.covered)) {
      problems.push('assessed: needs a time and a list of answers.');
    }
  }
  if (reminders !== undefined && !isObject(reminders)) problems.push('reminders must be an object.');
  return problems;
}

export function importData(doc, known) {
  const problems = validateImport(doc, known);
  if (problems.length) return problems;
  for (const key of DATA_KEYS) {
    if (doc.data[key] === undefined) remove(KEYS[key]);
    else write(KEYS[key], doc.data[key]);
  }
  return [];
}

// The push device token lives in Cache Storage (shared with the service worker, see
// reminders.js). Erasing everything must also make the server forget this phone.
const DEVICE_CACHE = 'reminder-device';
const DEVICE_KEY = '/__reminders/device';

async function forgetPushDevice() {
  if (!('caches' in window)) return;
  try {
    const cache = await caches.open(DEVICE_CACHE);
    const hit = await cache.match(DEVICE_KEY);
    const token = hit ? (await hit.json()).token : null;
    if (token) {
      await fetch('/api/v1/push/device', { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
    }
    if ('serviceWorker' in navigator) {
      const registration = await navigator.serviceWorker.getRegistration();
      const subscription = registration && registration.pushManager ? await registration.pushManager.getSubscription() : null;
      if (subscription) await subscription.unsubscribe();
    }
    await caches.delete(DEVICE_CACHE);
  } catch (err) {
    // Offline: the push service reports the unsubscribed endpoint gone, and the server
    // deletes it then.
  }
}

export async function eraseAll() {
  for (const key of Object.values(KEYS)) remove(key);
  await forgetPushDevice();
}
