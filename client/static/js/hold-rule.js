// The safety hold's rule, in one place. safety.js imports it; the server also puts this
// very text (without the `export` keywords) in every page's head, so the first paint
// already hides stretches when a hold applies and nothing shifts when modules load.
// Keep it plain: no imports, nothing but these declarations.

export const HOLD_LEVELS = new Set(['emergency', 'same-day']);

/** Question ids answered yes or "not sure". Older checks stored plain true/false. */
export function positives(answers) {
  const out = new Set();
  if (!answers || typeof answers !== 'object') return out;
  for (const [id, value] of Object.entries(answers)) if (value === true || value === 'unsure') out.add(id);
  return out;
}

/**
 * The check that holds stretches now, or null.
 * The latest check holds when its level is emergency or same-day, unless the person
 * said they were checked after it, or every yes in it was already covered by that
 * assessment. Covered answers stay covered only while they stay yes: a later check
 * without one drops it, so it counts as new if it comes back.
 */
export function holdFrom(screenings, assessed) {
  const list = Array.isArray(screenings) ? screenings.filter((s) => s && typeof s === 'object') : [];
  const latest = list[list.length - 1];
  if (!latest || !HOLD_LEVELS.has(latest.level)) return null;
  if (!assessed || typeof assessed.at !== 'string') return latest;
  if (!(typeof latest.at === 'string' && latest.at > assessed.at)) return null;
  let covered = new Set(Array.isArray(assessed.covered) ? assessed.covered : []);
  for (const check of list) {
    if (!(typeof check.at === 'string' && check.at > assessed.at)) continue;
    const yes = positives(check.answers);
    if (check === latest) return [...yes].every((id) => covered.has(id)) ? null : latest;
    covered = new Set([...covered].filter((id) => yes.has(id)));
  }
  return null;
}
