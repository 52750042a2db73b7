// "My back": turn the person's choices into their plan. Pure functions first, so the
// rules are easy to read; rendering at the end.
import { KEYS, read, write } from './storage.js';
import { el } from './dom.js';

export const DEFAULT_ROUTINE = 'desk-reset';

export function savedPlan() {
  return read(KEYS.plan, null);
}

export function savePlan(choices, skipped = false) {
  const plan = { choices: [...new Set(choices)], skipped, updated: new Date().toISOString() };
  write(KEYS.plan, plan);
  return plan;
}

function unique(items) {
  return [...new Set(items)];
}

export function buildPlan(data, choiceIds) {
  const chosen = choiceIds.map((id) => data.choices.find((c) => c.id === id)).filter(Boolean);
  const checkFirst = chosen.some((c) => c.check_first);
  // A diagnosed spine problem limits the plan to gentle routines until a clinician says
  // more; a choice that includes, say, spinal stenosis takes every routine that bends
  // backwards out of the whole plan, not just out of its own suggestions.
  const leaveOut = new Set(chosen.flatMap((c) => c.leave_out || []));
  const allowed = (id) => Boolean(data.routines[id])
    && (!checkFirst || data.routines[id].gentle)
    && !(data.routines[id].movements || []).some((m) => leaveOut.has(m));
  let routines = unique(chosen.flatMap((c) => c.routines)).filter(allowed);
  if (routines.length === 0) routines = [DEFAULT_ROUTINE, ...Object.keys(data.routines)].filter(allowed).slice(0, 1);
  const reminders = unique(chosen.flatMap((c) => c.reminders)).filter((id) => data.reminders[id]);
  const causes = unique(chosen.flatMap((c) => c.causes)).filter((id) => data.causes[id]);
  return { routines, reminders, causes, checkFirst, personalised: chosen.length > 0 };
}

export function renderPlan(container, data, plan) {
  const nodes = [];
  if (plan.checkFirst) {
    const note = el('div', { class: 'note note-caution' });
    note.append(el('p', {}, 'You told us a clinician found a disc, nerve, narrowing or arthritis problem. Only do gentle movement they have said is safe, and take the safety check if anything changes.'));
    nodes.push(note);
  }
  const lead = plan.personalised ? 'Recommended for you' : 'A good place to start';
  nodes.push(el('h3', {}, lead));
  const [first, ...rest] = plan.routines;
  const main = data.routines[first];
  const start = el('a', { class: 'btn btn-primary', href: `/routines/${first}?start=1`, id: 'plan-routine' }, `Start: ${main.title}`);
  nodes.push(el('p', {}, main.summary), start);
  if (rest.length) {
    const more = el('ul', { class: 'links' });
    for (const id of rest) {
      const li = el('li');
      li.append(el('a', { href: `/routines/${id}` }, data.routines[id].title));
      more.append(li);
    }
    nodes.push(el('p', { class: 'small' }, 'Also for you:'), more);
  }
  if (plan.reminders.length) {
    nodes.push(el('h3', {}, 'Reminders that fit'));
    const list = el('ul', { class: 'links', id: 'plan-reminders' });
    for (const id of plan.reminders) {
      const li = el('li');
      li.append(el('a', { href: `/reminders#${id}` }, data.reminders[id].title));
      li.append(document.createTextNode(`: every ${data.reminders[id].interval} minutes`));
      list.append(li);
    }
    nodes.push(list);
  }
  if (plan.causes.length) {
    nodes.push(el('h3', {}, 'Read about'));
    const list = el('ul', { class: 'links' });
    for (const id of plan.causes) {
      const cause = data.causes[id];
      const li = el('li');
      li.append(el('a', { href: `/causes/${cause.category}/${id}` }, cause.title));
      list.append(li);
    }
    nodes.push(list);
  }
  const edit = el('a', { href: '/settings', class: 'btn btn-quiet', id: 'plan-edit' }, plan.personalised ? 'Change my choices' : 'Personalise my plan');
  nodes.push(el('p'));
  nodes[nodes.length - 1].append(edit);
  container.replaceChildren(...nodes);
}
