// Export, import and erase: the way to move to a new phone without an account.
//
// The file is { format, version, exported, data: { <section>: value } }. Import checks
// the whole file before touching anything (size, envelope, every section to its full
// shape, no keys such as __proto__), shows what it would change, then replaces or merges
// and writes all sections or none: if any write fails (storage full, say), every
// section already written is put back as it was.
//
// Sections are a registry. Each stored concern registers itself once:
//
//   registerSection(name, {
//     validate(value, context) -> { value, problems: [text] }  // strict: any problem refuses the file
//     read()             -> value, or undefined when nothing is stored (may return a Promise)
//     write(value)       -> stores value; undefined removes it; throws (or rejects) on failure
//     merge(mine, theirs) -> the value keeping both (histories joined without duplicates)
//     count(value)       -> how many entries, for the preview (optional)
//     describe(value)    -> those entries in words, e.g. "3 check-ins and 1 pain rating" (optional)
//     label              -> what the person calls it, e.g. "Diary entries"
//     erase()            -> for "erase everything" when that clears more than write(undefined) (optional)
//   })
//
// read/write may be async. Sections are written in the order they are registered: the
// diary (IndexedDB, one transaction, issue 13) first, so a diary that cannot be written
// leaves everything untouched, and a later localStorage failure puts the diary back with
// the rest. `context.known` carries what the page knows (the "My back" choice ids). The
// localStorage sections below are registered from storage.js's KEYS and schemas, so a
// key added there is exported, imported and erased too.
import { KEYS, TRANSIENT_KEYS, EXPORT_FORMAT, EXPORT_VERSION, check, read, snapshot, restore } from './storage.js';
import { eraseDevice } from './push-device.js';
import { diarySection } from './diary.js';

// The largest file import reads. A year of heavy use, a year of daily diary check-ins
// with full notes included, exports to about 1.7 MB (tests/test_browser_storage.py
// measures it and keeps it under a quarter of the cap); localStorage itself holds about
// 5 MB, so 8 MB admits anything the app can produce and refuses a runaway file before
// it is parsed.
export const MAX_IMPORT_BYTES = 8 * 1024 * 1024;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const sections = new Map();

export function registerSection(name, section) {
  if (FORBIDDEN_KEYS.has(name) || !/^[a-z][a-z0-9-]{0,31}$/.test(name)) throw new Error(`bad section name ${name}`);
  for (const fn of ['validate', 'read', 'write', 'merge']) {
    if (typeof section[fn] !== 'function') throw new Error(`section ${name} needs ${fn}()`);
  }
  sections.set(name, { label: name, count: defaultCount, ...section });
}

export function sectionNames() {
  return [...sections.keys()];
}

function defaultCount(value) {
  if (value === undefined || value === null) return 0;
  return Array.isArray(value) ? value.length : 1;
}

// --- The diary (IndexedDB) -----------------------------------------------------------

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
const EMPTY_DIARY = { version: 1, checkins: [], ratings: [] };

// diary.js keeps its own small interface (validate -> [problems], read -> null when
// empty); this adapts it to the registry's once, here, where the registry lives.
registerSection(diarySection.name, {
  label: 'Back diary',
  validate: (value) => ({ value, problems: diarySection.validate(value) }),
  read: async () => (await diarySection.read()) || undefined,
  // Replace with a file that has no diary empties it, but keeps this phone's prompt
  // settings (the meta store); "erase everything" clears those too, through erase().
  write: (value) => diarySection.write(value === undefined || value === null ? EMPTY_DIARY : value),
  erase: () => diarySection.erase(),
  merge: (mine, theirs) => diarySection.merge(mine, theirs),
  count: (v) => (v ? (v.checkins || []).length + (v.ratings || []).length : 0),
  describe(v) {
    const c = v ? (v.checkins || []).length : 0;
    const r = v ? (v.ratings || []).length : 0;
    return `${plural(c, 'check-in', 'check-ins')} and ${plural(r, 'pain rating', 'pain ratings')}`;
  },
});

// --- Merging -----------------------------------------------------------------------

/** Join two lists, keeping the first of each key, sorted by `order`. */
function joinLists(mine = [], theirs = [], key, order) {
  const seen = new Map();
  for (const item of [...(mine || []), ...(theirs || [])]) {
    const k = key(item);
    if (!seen.has(k)) seen.set(k, item);
  }
  return [...seen.values()].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

const latest = (a, b) => (!a ? b : !b ? a : (a.at || '') >= (b.at || '') ? a : b);

// --- The localStorage sections -----------------------------------------------------

const MERGES = {
  // This phone's choices win; the file fills in when there are none here.
  plan: (mine, theirs) => mine || theirs,
  history: (mine, theirs) => joinLists(mine, theirs,
    (h) => `${h.date}|${h.at || ''}|${h.routine}|${h.minutes}`, (h) => h.at || h.date),
  screenings: (mine, theirs) => joinLists(mine, theirs, (s) => `${s.at}|${s.level}`, (s) => s.at),
  profile: (mine, theirs) => (!mine ? theirs : !theirs ? mine : {
    ...theirs, ...mine, answers: { ...theirs.answers, ...mine.answers },
  }),
  assessed: latest,
  preferences: (mine, theirs) => ({ ...(theirs || {}), ...(mine || {}) }),
  reminders: (mine, theirs) => {
    if (!mine || !theirs) return mine || theirs;
    const edited = (s) => Boolean(s.settings && s.settings.custom);
    return {
      ...mine,
      settings: edited(mine) || !edited(theirs) ? mine.settings : theirs.settings,
      log: joinLists(mine.log, theirs.log, (e) => `${e.at}|${e.type}|${e.action}`, (e) => e.at),
    };
  },
};

const LABELS = {
  plan: 'Your "My back" choices',
  history: 'Routines done',
  screenings: 'Safety checks',
  profile: 'Facts for the safety check',
  assessed: '"A clinician has checked me"',
  preferences: 'Settings (emergency number, sound)',
  reminders: 'Reminder plan and history',
};

const COUNTS = {
  reminders: (v) => (v ? (v.log || []).length : 0),
};

for (const name of Object.keys(KEYS).filter((k) => !TRANSIENT_KEYS.includes(k))) {
  const key = KEYS[name];
  registerSection(name, {
    label: LABELS[name] || name,
    validate(value, context) {
      const result = check(name, value);
      if (name === 'reminders' && result.value) {
        // Another phone's sync state and last look mean nothing here: this phone sends
        // its plan to the server itself and starts looking for reminders from now.
        result.value.synced = null;
        if (result.value.state) result.value.state.lastCheck = null;
      }
      if (name === 'plan' && result.value && context.known && context.known.choices) {
        for (const id of result.value.choices) {
          if (!context.known.choices.has(id)) result.problems.push(`plan: unknown choice "${id}".`);
        }
      }
      return result;
    },
    read() {
      const raw = snapshot([key])[key];
      return raw === null ? undefined : read(key);
    },
    write(value) {
      // Throws when the browser refuses (quota): the importer restores what was there.
      if (value === undefined) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    },
    merge: MERGES[name],
    count: COUNTS[name] || defaultCount,
    // The raw text, so a restore gives back exactly what was there.
    save: () => snapshot([key]),
    restore: (saved) => restore(saved),
  });
}

// --- Export ------------------------------------------------------------------------

export async function exportData() {
  const data = {};
  for (const [name, section] of sections) {
    const value = await section.read();
    if (value !== undefined && value !== null) data[name] = value;
  }
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exported: new Date().toISOString(), data };
}

export async function exportText() {
  return JSON.stringify(await exportData(), null, 1);
}

// --- Import ------------------------------------------------------------------------

// What each part is called in an import error: "This file's plan section is not…".
const PLAIN_PARTS = {
  plan: 'plan', history: 'routine history', screenings: 'safety check', profile: 'safety check facts',
  assessed: 'clinician check', preferences: 'settings', reminders: 'reminders',
};

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Check a whole file. Resolves to { ok: true, data } with each section's checked value,
 * or { ok: false, problems }. Nothing is written. */
export function checkImport(text, context = {}) {
  const size = typeof text === 'string' ? new Blob([text]).size : Infinity;
  if (size > MAX_IMPORT_BYTES) {
    return { ok: false, problems: [`The file is ${(size / 1048576).toFixed(1)} MB; an export from this app is at most ${MAX_IMPORT_BYTES / 1048576} MB.`] };
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: ['That file could not be read as an export.'] };
  }
  if (!isObject(doc) || doc.format !== EXPORT_FORMAT) return { ok: false, problems: ['This is not a Mid-Back Relief export file.'] };
  if (doc.version !== EXPORT_VERSION) return { ok: false, problems: [`This file is version ${doc.version}; this app reads version ${EXPORT_VERSION}.`] };
  if (!isObject(doc.data)) return { ok: false, problems: ['The file has no data section.'] };
  const problems = [];
  for (const key of Object.keys(doc)) {
    if (FORBIDDEN_KEYS.has(key)) problems.push(`This file has a part this app does not know ("${key}").`);
  }
  const data = {};
  for (const name of Object.keys(doc.data)) {
    const section = sections.get(name);
    if (FORBIDDEN_KEYS.has(name) || !section) {
      problems.push(`This file has a part this app does not know ("${name}").`);
      continue;
    }
    const result = section.validate(doc.data[name], context);
    if (result.problems.length) {
      // The exact field paths are for developers; the person gets one plain sentence per part.
      console.warn(`Import: the "${name}" section is not as expected:`, result.problems);
      problems.push(`This file's ${PLAIN_PARTS[name] || name} section is not in the expected form.`);
    }
    data[name] = result.value;
  }
  return problems.length ? { ok: false, problems } : { ok: true, data };
}

/** What import would do, section by section, in both modes:
 * [{ name, label, here, file, replace, merge, words? }] (entry counts, and the same in
 * words for sections that describe themselves). */
export async function preview(data) {
  const rows = [];
  for (const [name, section] of sections) {
    const mine = await section.read();
    const theirs = data[name];
    if (theirs === undefined && mine === undefined) continue;
    const merged = theirs === undefined ? mine : section.merge(mine, theirs);
    const row = {
      name,
      label: section.label,
      here: section.count(mine),
      file: section.count(theirs),
      replace: section.count(theirs),
      merge: section.count(merged),
    };
    if (section.describe) {
      row.words = {
        here: section.describe(mine), file: section.describe(theirs),
        replace: section.describe(theirs), merge: section.describe(merged),
      };
    }
    rows.push(row);
  }
  return rows;
}

/** Write a checked import: mode "replace" (the file's data, nothing else) or "merge".
 * All or nothing: on any failure every section is put back and the error rethrown. */
export async function applyImport(data, mode) {
  const saved = [];
  const targets = [];
  for (const [name, section] of sections) {
    const mine = await section.read();
    const theirs = data[name];
    const value = mode === 'merge' ? (theirs === undefined ? mine : section.merge(mine, theirs)) : theirs;
    targets.push([section, value]);
    saved.push([section, section.save ? await section.save() : mine]);
  }
  try {
    for (const [section, value] of targets) await section.write(value);
  } catch (err) {
    // Back to what was there, last written first. Removing first frees the space the
    // failed write took.
    for (const [section, before] of saved.reverse()) {
      try {
        if (section.restore) await section.restore(before);
        else await section.write(before);
      } catch (restoreError) {
        console.warn(`Could not restore ${section.label}:`, restoreError);
      }
    }
    throw err;
  }
}

export async function eraseAll() {
  for (const section of sections.values()) {
    try {
      if (section.erase) await section.erase();
      else await section.write(undefined);
    } catch (err) {
      console.warn(`Could not erase ${section.label}:`, err);
    }
  }
  for (const key of Object.values(KEYS)) {
    try {
      localStorage.removeItem(key);
    } catch (err) {
      // gone or unavailable
    }
  }
  // The push device token lives in Cache Storage; erasing must also make the server forget this phone.
  await eraseDevice();
}
