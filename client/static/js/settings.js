// Settings: "My back" choices, the safety check's remembered facts, the emergency
// number and region (with a warning for a number that is not the region's emergency
// number), export/import/erase, history.
import { KEYS, appData, localDate, read, storedBytes, write } from './storage.js';
import { savedPlan, savePlan } from './plan.js';
import { MAX_IMPORT_BYTES, applyImport, checkImport, eraseAll, exportText, preview } from './transfer.js';
import { el, formatBytes, setStatus } from './dom.js';
import { dateWords, durationWords } from './format.js';
import { fillNumbers, localHelp, regionData } from './emergency.js';
import { numberWarning } from './screening-rules.js';
import { holdChanged } from './safety.js';

const data = appData();
const planForm = document.getElementById('settings-plan');
const planStatus = document.getElementById('plan-status');
const emergencyForm = document.getElementById('settings-emergency');
const emergencyInput = document.getElementById('emergency-number');
const regionSelect = document.getElementById('emergency-region');
const profileForm = document.getElementById('settings-profile');
const profileAge = document.getElementById('profile-age');
const UNSURE = 'unsure';
const RADIO = { yes: true, no: false, unsure: UNSURE };
const dataStatus = document.getElementById('data-status');
const historyList = document.getElementById('history');

function loadPlan() {
  const plan = savedPlan();
  const chosen = new Set(plan ? plan.choices : []);
  for (const box of planForm.querySelectorAll('input[name="choice"]')) box.checked = chosen.has(box.value);
}

function regionName(code) {
  const option = [...regionSelect.options].find((o) => o.value === code);
  if (option) return option.textContent;
  try {
    return new Intl.DisplayNames(['en'], { type: 'region' }).of(code) || code;
  } catch (err) {
    return code;
  }
}

const SOURCES = { setting: 'your setting', 'time-zone': "this phone's time zone", language: "this phone's language" };

function describeNumber() {
  const help = localHelp();
  const line = document.getElementById('emergency-current');
  const place = help.region ? `${regionName(help.region)}, from ${SOURCES[help.source]}` : null;
  if (help.numberSource === 'setting') {
    line.textContent = `The app offers to call ${help.number}, the number you saved${place ? ` (you are in ${place})` : ''}.`;
  } else if (help.numberSource === 'region') {
    line.textContent = `The app offers to call ${help.number}, the emergency number for ${place}.`;
  } else {
    line.textContent = `We do not know the emergency number where you are${place ? ` (${place})` : ''}, so the app offers ${help.number}, which works from most mobile phones. Set your own number below if it is different.`;
  }
  showWarning(help);
  fillNumbers(document.body, help);
}

function showWarning(help) {
  const box = document.getElementById('emergency-warning');
  const saved = read(KEYS.preferences, {}).emergencyNumber || '';
  const warning = numberWarning(regionData(), help.region, saved);
  box.hidden = !warning;
  if (!warning) {
    box.textContent = '';
    emergencyInput.removeAttribute('aria-invalid');
    return;
  }
  const where = regionName(help.region);
  box.textContent = warning.service
    ? `${saved} is ${warning.service} in ${where}: it is for urgent help that is not an emergency. The emergency number there is ${warning.expected}. Check the number, or change where you are.`
    : `${saved} is not the emergency number for ${where}: that is ${warning.expected}. Check the number, or change where you are.`;
}

function loadPreferences() {
  const prefs = read(KEYS.preferences, {});
  emergencyInput.value = prefs.emergencyNumber || '';
  regionSelect.value = prefs.region || '';
  describeNumber();
}

function loadProfile() {
  const stored = read(KEYS.profile, null) || {};
  const answers = stored.answers || {};
  profileAge.value = Number.isInteger(stored.age) ? String(stored.age) : '';
  for (const box of profileForm.querySelectorAll('input[type="radio"]')) box.checked = answers[box.name] === RADIO[box.value];
}

function renderHistory() {
  const history = read(KEYS.history, []);
  // Empty: a sentence beside the list, not "list, 1 item" to a screen reader.
  document.getElementById('history-empty').hidden = history.length > 0;
  historyList.hidden = !history.length;
  if (!history.length) {
    historyList.replaceChildren();
    return;
  }
  historyList.replaceChildren(...history.slice(-20).reverse().map((h) => {
    const li = el('li');
    const seconds = Number.isFinite(h.seconds) ? h.seconds : h.minutes * 60;
    li.append(el('strong', {}, dateWords(h.date)), document.createTextNode(`: ${h.title || h.routine}, ${durationWords(seconds)}`));
    return li;
  }));
}

// How much is stored, and whether the browser has promised to keep it.
async function renderStorage() {
  const info = document.getElementById('storage-info');
  const persist = document.getElementById('storage-persist');
  const mine = storedBytes();
  let text = `Your plan, history and settings take ${formatBytes(mine)}.`;
  if (navigator.storage && navigator.storage.estimate) {
    try {
      const { usage, quota } = await navigator.storage.estimate();
      if (Number.isFinite(usage)) text += ` With the offline copy of the app, this browser holds ${formatBytes(usage)} for it${Number.isFinite(quota) ? ` (it allows up to ${formatBytes(quota)})` : ''}.`;
    } catch (err) {
      // no estimate: the first sentence stands
    }
  }
  info.textContent = text;
  let persisted = null;
  if (navigator.storage && navigator.storage.persisted) {
    try {
      persisted = await navigator.storage.persisted();
    } catch (err) {
      persisted = null;
    }
  }
  persist.dataset.persisted = String(persisted);
  persist.textContent = persisted
    ? 'Kept safe: this browser has agreed not to clear it when space runs low.'
    : 'Not protected yet: the browser may clear it when the phone runs low on space. Installing the app (Add to Home Screen) asks for protection; exporting a file now and then keeps a copy.';
}

function refresh() {
  loadPlan();
  loadPreferences();
  loadProfile();
  renderHistory();
  renderStorage();
}

planForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const choices = [...planForm.querySelectorAll('input[name="choice"]:checked')].map((i) => i.value);
  savePlan(choices);
  setStatus(planStatus, choices.length ? 'Saved. Your home screen shows your new plan.' : 'Saved with no choices: home shows a general plan.', 'success');
});

emergencyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const value = emergencyInput.value.trim();
  const status = document.getElementById('emergency-status');
  if (value && !/^\d{2,6}$/.test(value)) {
    setStatus(status, 'Please enter 2 to 6 digits, or leave it empty.', 'error');
    emergencyInput.setAttribute('aria-invalid', 'true');
    return;
  }
  emergencyInput.removeAttribute('aria-invalid');
  write(KEYS.preferences, { ...read(KEYS.preferences, {}), emergencyNumber: value, region: regionSelect.value });
  describeNumber();
  const help = localHelp();
  setStatus(status, `Saved: the app will offer to call ${help.number}.`, 'success');
  // Saved, but a number that is not the region's emergency number is said out loud.
  if (!document.getElementById('emergency-warning').hidden) {
    emergencyInput.setAttribute('aria-invalid', 'true');
    setStatus(status, `${status.textContent} Please read the warning above.`, 'warning');
  }
});

profileForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const status = document.getElementById('profile-status');
  const text = profileAge.value.trim();
  const age = text === '' ? null : Number(text);
  if (age !== null && !(/^\d{1,3}$/.test(text) && age >= 1 && age <= 120)) {
    profileAge.setAttribute('aria-invalid', 'true');
    setStatus(status, 'Please enter your age in years, for example 45, or leave it empty.', 'error');
    return;
  }
  profileAge.removeAttribute('aria-invalid');
  const stored = read(KEYS.profile, null) || {};
  const answers = {};
  for (const box of profileForm.querySelectorAll('input[type="radio"]:checked')) answers[box.name] = RADIO[box.value];
  // Age bands come from the age; with no age the check asks again.
  const profile = { answers, age, ageAsOf: age === null ? null : (stored.age === age && stored.ageAsOf) || localDate(), updated: new Date().toISOString() };
  write(KEYS.profile, profile);
  setStatus(status, 'Saved. The safety check uses these next time. Take it again if something has changed.', 'success');
});

document.getElementById('export').addEventListener('click', async () => {
  const blob = new Blob([await exportText()], { type: 'application/json' });
  const link = el('a', { download: `mid-back-relief-${new Date().toISOString().slice(0, 10)}.json` });
  link.href = URL.createObjectURL(blob);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  setStatus(dataStatus, 'Exported. Keep the file somewhere private: it holds your health notes.', 'success');
});

// Import: the whole file is checked first, then the person sees what it would change
// and chooses Merge or Replace; nothing is written before that.
const previewBox = document.getElementById('import-preview');
let pending = null;

function closePreview() {
  pending = null;
  previewBox.hidden = true;
}

async function showPreview(data) {
  const rows = await preview(data);
  // A list rather than a table: four columns do not fit a 320 px phone.
  document.getElementById('import-rows').replaceChildren(...rows.map((r) => {
    const li = el('li', { 'data-section': r.name, 'data-counts': `${r.here} ${r.file} ${r.merge}` });
    const w = r.words || r;
    li.append(el('strong', {}, r.label), document.createTextNode(
      `: ${w.here} on this phone, ${w.file} in the file. Merge gives ${w.merge}; Replace gives ${w.replace}.`));
    return li;
  }));
  pending = data;
  previewBox.hidden = false;
  previewBox.focus();
}

document.getElementById('import-file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  event.target.value = '';
  closePreview();
  if (!file) return;
  const known = { choices: new Set(data.choices.map((c) => c.id)) };
  // Too big to be an export: refused before it is read.
  const result = file.size > MAX_IMPORT_BYTES
    ? { ok: false, problems: [`The file is ${(file.size / 1048576).toFixed(1)} MB; an export from this app is at most ${MAX_IMPORT_BYTES / 1048576} MB.`] }
    : checkImport(await file.text(), { known });
  if (!result.ok) {
    const more = result.problems.length > 3 ? ` (and ${result.problems.length - 3} more problems)` : '';
    setStatus(dataStatus, `Nothing was changed: ${result.problems.slice(0, 3).join(' ')}${more}`, 'error');
    return;
  }
  setStatus(dataStatus, 'The file is a valid export. Choose Merge or Replace below.', 'success');
  await showPreview(result.data);
});

async function runImport(mode) {
  if (!pending) return;
  const chosen = pending;
  closePreview();
  try {
    await applyImport(chosen, mode);
  } catch (err) {
    console.warn('Import failed; the previous data was put back.', err);
    setStatus(dataStatus, `Nothing was changed: this phone could not store the file (${err.name === 'QuotaExceededError' ? 'its storage is full' : 'it refused to save it'}). Your previous data is as it was.`, 'error');
    refresh();
    return;
  }
  setStatus(dataStatus, mode === 'merge'
    ? 'Merged. What was on this phone is still here, with the file\'s history added.'
    : 'Imported. Your plan, history, diary and settings are now the ones from the file.', 'success');
  refresh();
  holdChanged();
}

document.getElementById('import-merge').addEventListener('click', () => runImport('merge'));
document.getElementById('import-replace').addEventListener('click', () => runImport('replace'));
document.getElementById('import-cancel').addEventListener('click', () => {
  closePreview();
  setStatus(dataStatus, 'Import cancelled. Nothing was changed.');
});

document.getElementById('erase').addEventListener('click', async () => {
  // eslint-disable-next-line no-alert
  if (!window.confirm('Erase your plan, history, back diary, safety checks, reminders and settings from this phone?')) return;
  await eraseAll();
  refresh();
  holdChanged();
  setStatus(dataStatus, 'Everything was erased from this phone.', 'success');
});

refresh();
