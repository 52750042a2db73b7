// The back diary: daily check-ins and pain ratings around routines, in IndexedDB on this
// device (months of daily entries would crowd localStorage, and IndexedDB writes many
// records in one all-or-nothing transaction). Nothing here is sent anywhere.
//
// Database `mbr-diary`, version 1:
//   checkins  keyPath 'date'  one per local date (checking in again that day replaces it)
//   ratings   keyPath 'id'    { id, date, at, routine, before, after } around one routine run
//   meta      out-of-line keys  small things about this device only ('promptDismissed':
//                               the date the home check-in card was waved away; 'promptOff':
//                               the card turned off); erased, never exported
//
// `diarySection` plugs into export / import / "erase everything" (transfer.js).

const DB_NAME = 'mbr-diary';
const DB_VERSION = 1;
const STORES = ['checkins', 'ratings'];
const ALL_STORES = [...STORES, 'meta'];
export const NOTE_MAX = 500;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// A rating "after" belongs to the "before" of the same routine given this recently.
const RUN_WINDOW_MS = 2 * 3600 * 1000;

// --- A tiny promise wrapper over IndexedDB ---------------------------------------------

let opening = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('Diary transaction aborted'));
  });
}

export function openDiary() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains('checkins')) db.createObjectStore('checkins', { keyPath: 'date' });
        if (!db.objectStoreNames.contains('ratings')) db.createObjectStore('ratings', { keyPath: 'id' });
        if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
      };
      req.onsuccess = () => {
        const db = req.result;
        // Another tab upgrading or deleting the database: let it, reopen next time.
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      req.onerror = () => { opening = null; reject(req.error); };
      req.onblocked = () => { /* another tab holds it open; onsuccess follows when it closes */ };
    });
  }
  return opening;
}

async function getAll(store) {
  const db = await openDiary();
  return request(db.transaction(store).objectStore(store).getAll());
}

async function put(store, value) {
  const db = await openDiary();
  const tx = db.transaction(store, 'readwrite');
  tx.objectStore(store).put(value);
  await done(tx);
  return value;
}

// --- Reading, with defaults (a damaged record never breaks a page) -----------------------

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const score = (v) => (Number.isInteger(v) && v >= 0 && v <= 10 ? v : null);

/** A stored or imported check-in as the app uses it, or null when it is not one. */
export function cleanCheckin(raw) {
  if (!isObject(raw) || !DATE.test(raw.date)) return null;
  return {
    date: raw.date,
    at: typeof raw.at === 'string' ? raw.at : `${raw.date}T12:00:00.000Z`,
    pain: score(raw.pain),
    interference: score(raw.interference),
    stiffness: score(raw.stiffness),
    stress: score(raw.stress),
    sleep: raw.sleep === true,
    newSign: raw.newSign === true,
    note: typeof raw.note === 'string' ? raw.note.slice(0, NOTE_MAX) : '',
  };
}

function cleanRating(raw) {
  if (!isObject(raw) || typeof raw.id !== 'string' || !DATE.test(raw.date) || typeof raw.routine !== 'string') return null;
  return {
    id: raw.id, date: raw.date, at: typeof raw.at === 'string' ? raw.at : '',
    routine: raw.routine, before: score(raw.before), after: score(raw.after),
  };
}

export async function checkins() {
  return (await getAll('checkins')).map(cleanCheckin).filter(Boolean).sort((a, b) => (a.date < b.date ? -1 : 1));
}

/** Check-ins on or after `date`, oldest first: a page reads only the months it shows. */
export async function checkinsSince(date) {
  const db = await openDiary();
  const store = db.transaction('checkins').objectStore('checkins');
  return (await request(store.getAll(IDBKeyRange.lowerBound(date)))).map(cleanCheckin).filter(Boolean);
}

/** The latest `n` check-ins with a note, newest first (walking back from today). */
export async function latestNotes(n) {
  const db = await openDiary();
  const out = [];
  return new Promise((resolve, reject) => {
    const req = db.transaction('checkins').objectStore('checkins').openCursor(null, 'prev');
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor || out.length >= n) { resolve(out); return; }
      const c = cleanCheckin(cursor.value);
      if (c && c.note) out.push(c);
      cursor.continue();
    };
  });
}

export async function ratings() {
  return (await getAll('ratings')).map(cleanRating).filter(Boolean).sort((a, b) => (a.at < b.at ? -1 : 1));
}

export async function checkinOn(date) {
  const db = await openDiary();
  return cleanCheckin(await request(db.transaction('checkins').objectStore('checkins').get(date)));
}

/** The check-in before `date` (for "defaults from yesterday"), or null. */
export async function checkinBefore(date) {
  const db = await openDiary();
  const range = IDBKeyRange.upperBound(date, true);
  const cursor = await request(db.transaction('checkins').objectStore('checkins').openCursor(range, 'prev'));
  return cursor ? cleanCheckin(cursor.value) : null;
}

export async function saveCheckin(entry) {
  const clean = cleanCheckin({ ...entry, at: new Date().toISOString() });
  if (!clean) throw new Error('A check-in needs a date.');
  return put('checkins', clean);
}

/** One tap before or after a routine. An "after" joins the latest "before" of the same routine. */
export async function rateRoutine(routine, when, pain, now = new Date(), date) {
  const value = score(pain);
  if (value === null || (when !== 'before' && when !== 'after')) throw new Error('A rating is 0 to 10, before or after.');
  const day = date || localDay(now);
  if (when === 'after') {
    const open = (await ratings()).filter((r) => r.routine === routine && r.after === null && r.before !== null
      && now - new Date(r.at) < RUN_WINDOW_MS && now - new Date(r.at) >= 0).pop();
    if (open) return put('ratings', { ...open, after: value });
  }
  const record = { id: `${now.getTime()}-${routine}`, date: day, at: now.toISOString(), routine, before: null, after: null };
  record[when] = value;
  return put('ratings', record);
}

/** Whether home shows the daily check-in card (on unless the person turned it off). */
export async function promptWanted() {
  const db = await openDiary();
  return (await request(db.transaction('meta').objectStore('meta').get('promptOff'))) !== true;
}

export async function setPromptWanted(on) {
  const db = await openDiary();
  const tx = db.transaction('meta', 'readwrite');
  tx.objectStore('meta').put(!on, 'promptOff');
  await done(tx);
}

/** The home prompt was waved away on `date`. */
export async function dismissPrompt(date) {
  const db = await openDiary();
  const tx = db.transaction('meta', 'readwrite');
  tx.objectStore('meta').put(date, 'promptDismissed');
  await done(tx);
}

export async function promptDismissed(date) {
  const db = await openDiary();
  return (await request(db.transaction('meta').objectStore('meta').get('promptDismissed'))) === date;
}

function localDay(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// --- The export / import / erase section -------------------------------------------------

function checkinProblems(c, i) {
  const where = `diary check-in ${i + 1}`;
  if (!isObject(c)) return [`${where} must be an object.`];
  const problems = [];
  if (!DATE.test(c.date)) problems.push(`${where} needs a date like 2026-01-31.`);
  for (const field of ['pain', 'interference', 'stiffness', 'stress']) {
    if (c[field] !== undefined && c[field] !== null && score(c[field]) === null) problems.push(`${where}: ${field} must be a whole number from 0 to 10.`);
  }
  for (const field of ['sleep', 'newSign']) {
    if (c[field] !== undefined && typeof c[field] !== 'boolean') problems.push(`${where}: ${field} must be true or false.`);
  }
  if (c.note !== undefined && (typeof c.note !== 'string' || c.note.length > NOTE_MAX)) problems.push(`${where}: the note must be text of at most ${NOTE_MAX} characters.`);
  if (c.at !== undefined && typeof c.at !== 'string') problems.push(`${where}: the time must be text.`);
  return problems;
}

function ratingProblems(r, i) {
  const where = `diary rating ${i + 1}`;
  if (!isObject(r)) return [`${where} must be an object.`];
  const problems = [];
  if (typeof r.id !== 'string' || !r.id || r.id.length > 100) problems.push(`${where} needs an id.`);
  if (!DATE.test(r.date)) problems.push(`${where} needs a date like 2026-01-31.`);
  if (typeof r.routine !== 'string' || !r.routine) problems.push(`${where} needs a routine.`);
  for (const field of ['before', 'after']) {
    if (r[field] !== undefined && r[field] !== null && score(r[field]) === null) problems.push(`${where}: ${field} must be a whole number from 0 to 10.`);
  }
  return problems;
}

export const diarySection = {
  name: 'diary',

  /** Everything in the diary, or null when it is empty (nothing to export). */
  async read() {
    const [c, r] = await Promise.all([checkins(), ratings()]);
    return c.length || r.length ? { version: DB_VERSION, checkins: c, ratings: r } : null;
  },

  /** Problems with an imported value, in plain words; [] when it can be written. */
  validate(value) {
    if (!isObject(value)) return ['diary must be an object.'];
    const problems = [];
    if (value.version !== undefined && value.version !== DB_VERSION) problems.push(`diary is version ${value.version}; this app reads version ${DB_VERSION}.`);
    const c = value.checkins === undefined ? [] : value.checkins;
    const r = value.ratings === undefined ? [] : value.ratings;
    if (!Array.isArray(c)) problems.push('diary check-ins must be a list.');
    else if (c.length > 5000) problems.push('diary: more than 5000 check-ins.');
    else c.forEach((x, i) => problems.push(...checkinProblems(x, i)));
    if (!Array.isArray(r)) problems.push('diary ratings must be a list.');
    else if (r.length > 20000) problems.push('diary: more than 20000 ratings.');
    else r.forEach((x, i) => problems.push(...ratingProblems(x, i)));
    for (const key of Object.keys(value)) {
      if (!['version', 'checkins', 'ratings'].includes(key)) problems.push(`diary: unknown field "${key}".`);
    }
    return problems.slice(0, 50);
  },

  /**
   * current + incoming without duplicates: one check-in per date (the later-saved one
   * wins), one rating per id (the incoming one wins).
   */
  merge(current, incoming) {
    const checkinsByDate = new Map();
    for (const c of [...((current && current.checkins) || []), ...((incoming && incoming.checkins) || [])]) {
      const clean = cleanCheckin(c);
      if (!clean) continue;
      const have = checkinsByDate.get(clean.date);
      if (!have || !(have.at > clean.at)) checkinsByDate.set(clean.date, clean);
    }
    const ratingsById = new Map();
    for (const r of [...((current && current.ratings) || []), ...((incoming && incoming.ratings) || [])]) {
      const clean = cleanRating(r);
      if (clean) ratingsById.set(clean.id, clean);
    }
    return {
      version: DB_VERSION,
      checkins: [...checkinsByDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1)),
      ratings: [...ratingsById.values()].sort((a, b) => (a.at < b.at ? -1 : 1)),
    };
  },

  /** Replace the diary with `value` in one transaction: all of it is written, or none. */
  async write(value) {
    const problems = this.validate(value);
    if (problems.length) throw new Error(problems.join(' '));
    const db = await openDiary();
    const tx = db.transaction(STORES, 'readwrite');
    const finished = done(tx);
    try {
      for (const store of STORES) tx.objectStore(store).clear();
      for (const c of value.checkins || []) tx.objectStore('checkins').put(cleanCheckin(c));
      for (const r of value.ratings || []) tx.objectStore('ratings').put(cleanRating(r));
    } catch (err) {
      tx.abort();
      await finished.catch(() => {});
      throw err;
    }
    await finished;
  },

  /** Delete every check-in, rating and prompt record (one transaction). */
  async erase() {
    const db = await openDiary();
    const tx = db.transaction(ALL_STORES, 'readwrite');
    for (const store of ALL_STORES) tx.objectStore(store).clear();
    await done(tx);
  },
};
