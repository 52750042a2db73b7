// Settings: "My back" choices, the emergency number, export/import/erase, history.
import { KEYS, appData, read, write } from './storage.js';
import { savedPlan, savePlan } from './plan.js';
import { eraseAll, exportData, importData } from './transfer.js';

const data = appData();
const planForm = document.getElementById('settings-plan');
const planStatus = document.getElementById('plan-status');
const emergencyForm = document.getElementById('settings-emergency');
const emergencyInput = document.getElementById('emergency-number');
const dataStatus = document.getElementById('data-status');
const historyList = document.getElementById('history');

function loadPlan() {
  const plan = savedPlan();
  const chosen = new Set(plan ? plan.choices : []);
  for (const box of planForm.querySelectorAll('input[name="choice"]')) box.checked = chosen.has(box.value);
}

function loadPreferences() {
  emergencyInput.value = read(KEYS.preferences, {}).emergencyNumber || '';
}

function renderHistory() {
  const history = read(KEYS.history, []);
  if (!history.length) {
    const li = document.createElement('li');
    li.textContent = 'Nothing yet.';
    historyList.replaceChildren(li);
    return;
  }
  historyList.replaceChildren(...history.slice(-20).reverse().map((h) => {
    const li = document.createElement('li');
    li.textContent = `${h.date}: ${h.title || h.routine}, ${h.minutes} min`;
    return li;
  }));
}

function refresh() {
  loadPlan();
  loadPreferences();
  renderHistory();
}

planForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const choices = [...planForm.querySelectorAll('input[name="choice"]:checked')].map((i) => i.value);
  savePlan(choices);
  planStatus.textContent = choices.length ? 'Saved. Your home screen shows your new plan.' : 'Saved with no choices: home shows a general plan.';
});

emergencyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const value = emergencyInput.value.trim();
  const status = document.getElementById('emergency-status');
  if (value && !/^\d{2,6}$/.test(value)) {
    status.textContent = 'Please enter 2 to 6 digits, or leave it empty.';
    emergencyInput.setAttribute('aria-invalid', 'true');
    return;
  }
  emergencyInput.removeAttribute('aria-invalid');
  write(KEYS.preferences, { ...read(KEYS.preferences, {}), emergencyNumber: value });
  status.textContent = value ? `Saved: the safety check will offer to call ${value}.` : 'Saved: your region\'s number will be used.';
});

document.getElementById('export').addEventListener('click', () => {
  const blob = new Blob([JSON.stringify(exportData(), null, 2)], { type: 'application/json' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `mid-back-relief-${new Date().toISOString().slice(0, 10)}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  dataStatus.textContent = 'Exported. Keep the file somewhere private: it holds your health notes.';
});

document.getElementById('import-file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) return;
  let doc;
  try {
    doc = JSON.parse(await file.text());
  } catch (err) {
    dataStatus.textContent = 'That file could not be read as an export. Nothing was changed.';
    return;
  }
  const known = { choices: new Set(data.choices.map((c) => c.id)) };
  const problems = importData(doc, known);
  dataStatus.textContent = problems.length
    ? `Nothing was changed: ${problems.slice(0, 3).join(' ')}`
    : 'Imported. Your plan, history and settings are now on this phone.';
  refresh();
});

document.getElementById('erase').addEventListener('click', async () => {
  // eslint-disable-next-line no-alert
  if (!window.confirm('Erase your plan, history, safety checks, reminders and settings from this phone?')) return;
  await eraseAll();
  refresh();
  dataStatus.textContent = 'Everything was erased from this phone.';
});

refresh();
