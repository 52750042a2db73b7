// Home: first-run "My back" step, then the person's plan. (While the safety check
// holds stretches, app.js hides the plan and shows why: see safety.js.)
import { appData } from './storage.js';
import { buildPlan, renderPlan, savedPlan, savePlan } from './plan.js';

const data = appData();
const form = document.getElementById('plan-form');
const view = document.getElementById('plan-view');

function showPlan(saved) {
  renderPlan(view, data, buildPlan(data, saved.choices));
  form.hidden = true;
  view.hidden = false;
}

if (form && view) {
  const saved = savedPlan();
  if (saved) showPlan(saved);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const choices = [...form.querySelectorAll('input[name="choice"]:checked')].map((i) => i.value);
    showPlan(savePlan(choices));
    view.querySelector('h3')?.setAttribute('tabindex', '-1');
    view.querySelector('h3')?.focus();
  });
  document.getElementById('plan-skip').addEventListener('click', () => showPlan(savePlan([], true)));
}
