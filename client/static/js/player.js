// Guided routine player: big countdown, current and next step, pause/resume, skip,
// back, progress, a beep/vibration at each change, optional spoken cues, Screen Wake
// Lock, and it picks up where it was after a reload. Everything it needs is in the page.
import { KEYS, read, write, remove, localDate } from './storage.js';
import { HOLD_EVENT, currentHold } from './safety.js';

const root = document.getElementById('player');
const list = document.getElementById('routine-steps');
// A saved run older than this is a forgotten one, not one to resume.
const STALE_MS = 2 * 60 * 60 * 1000;
const TICK_MS = 200;

function stepsFromPage() {
  return [...list.querySelectorAll('.routine-step')].map((li) => ({
    exercise: li.dataset.exercise,
    title: li.dataset.title,
    cue: li.dataset.cue,
    seconds: Number(li.dataset.seconds),
    art: li.querySelector('.step-art').innerHTML,
    alt: li.querySelector('.step-art').getAttribute('aria-label'),
    cautions: [...li.querySelectorAll('.step-cautions li')].map((c) => c.textContent.trim()),
  }));
}

// The page's "Before you start" caution must have been in front of the person once:
// until they press Start themselves, a link or reminder does not start a routine alone.
function generalCautionSeen() {
  return read(KEYS.preferences, {}).generalCaution === true;
}

function fmt(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

class Player {
  constructor(rootNode, routineId, title, steps) {
    this.root = rootNode;
    this.routineId = routineId;
    this.title = title;
    this.steps = steps;
    this.prefs = read(KEYS.preferences, {});
    this.state = null;
    this.timer = null;
    this.wakeLock = null;
    this.audio = null;
    this.build();
  }

  build() {
    const r = this.root;
    r.replaceChildren();
    this.intro = el('div', { class: 'intro' });
    // Same size and place as the server-rendered link it replaces, so nothing shifts.
    const start = el('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'player-start' }, 'Start routine');
    start.addEventListener('click', () => this.start());
    this.intro.append(start);

    this.stage = el('div', { class: 'stage' });
    this.stage.hidden = true;
    this.progressText = el('p', { class: 'progress-text', id: 'player-progress-text' });
    this.progress = el('progress', { max: String(this.steps.length), value: '0', 'aria-labelledby': 'player-progress-text' });
    this.art = el('div', { class: 'player-art', role: 'img' });
    this.now = el('p', { class: 'now', id: 'player-now' });
    this.cue = el('p', { class: 'cue', id: 'player-cue' });
    this.count = el('div', { class: 'count', id: 'player-count', role: 'timer', 'aria-live': 'off', 'aria-atomic': 'true' });
    this.next = el('p', { class: 'next', id: 'player-next' });
    this.live = el('p', { class: 'visually-hidden', id: 'player-live', 'aria-live': 'polite', 'aria-atomic': 'true' });
    const controls = el('div', { class: 'controls' });
    this.backBtn = el('button', { type: 'button', class: 'btn', id: 'player-back' }, 'Back');
    this.pauseBtn = el('button', { type: 'button', class: 'btn btn-primary', id: 'player-pause' }, 'Pause');
    this.skipBtn = el('button', { type: 'button', class: 'btn', id: 'player-skip' }, 'Skip');
    this.backBtn.addEventListener('click', () => this.go(this.state.index - 1));
    this.skipBtn.addEventListener('click', () => this.go(this.state.index + 1, true));
    this.pauseBtn.addEventListener('click', () => (this.state.running ? this.pause() : this.resume()));
    controls.append(this.backBtn, this.pauseBtn, this.skipBtn);
    // The current move's own cautions, below the controls so the countdown and its
    // buttons stay on one screen.
    this.cautions = el('section', { class: 'player-cautions', id: 'player-cautions', 'aria-labelledby': 'player-cautions-title' });
    this.cautionsList = el('ul');
    this.cautions.append(el('h3', { id: 'player-cautions-title' }, 'Take care'), this.cautionsList);

    const options = el('div', { class: 'options' });
    options.append(
      this.option('player-sound', 'Beep and vibrate', this.prefs.sound !== false, (on) => this.setPref('sound', on)),
      this.option('player-speech', 'Spoken cues', this.prefs.speech === true, (on) => this.setPref('speech', on)),
    );
    this.stage.append(this.progressText, this.progress, this.art, this.now, this.cue, this.count, this.next, controls, this.cautions, options);

    this.done = el('div', { class: 'done' });
    this.done.hidden = true;
    r.append(this.intro, this.stage, this.done, this.live);
    r.hidden = false;
  }

  option(id, label, checked, onChange) {
    const wrap = el('label', { for: id });
    const box = el('input', { type: 'checkbox', id });
    box.checked = checked;
    box.addEventListener('change', () => onChange(box.checked));
    wrap.append(box, document.createTextNode(label));
    return wrap;
  }

  setPref(key, value) {
    this.prefs = { ...read(KEYS.preferences, {}), [key]: value };
    write(KEYS.preferences, this.prefs);
    if (key === 'speech' && !value && 'speechSynthesis' in window) window.speechSynthesis.cancel();
  }

  save() {
    write(KEYS.player, { routine: this.routineId, ...this.state, savedAt: Date.now() });
  }

  start() {
    this.setPref('generalCaution', true);
    this.unlockAudio();
    this.state = { index: 0, remaining: this.steps[0].seconds * 1000, running: true, endsAt: 0, skipped: [], startedAt: Date.now() };
    this.state.endsAt = Date.now() + this.state.remaining;
    this.show();
    this.announce(true);
    this.run();
    this.emit('mbr:routine-started');
  }

  restore(saved) {
    const s = { ...saved };
    if (s.running) {
      s.remaining = s.endsAt - Date.now();
      if (s.remaining <= 0) {
        // The step ran out while the page was away: wait at the next one instead of
        // racing through steps the person never saw.
        s.index += 1;
        s.running = false;
        if (s.index >= this.steps.length) { this.state = s; this.finish(); return; }
        s.remaining = this.steps[s.index].seconds * 1000;
      }
    }
    this.state = s;
    this.show();
    if (s.running) this.run(); else this.render();
    this.live.textContent = `Resumed ${this.title}, step ${s.index + 1} of ${this.steps.length}: ${this.steps[s.index].title}.`;
    this.emit('mbr:routine-started');
  }

  show() {
    this.intro.hidden = true;
    this.done.hidden = true;
    this.stage.hidden = false;
    this.root.classList.remove('is-done');
    // One-handed use: bring the countdown and its controls into view together.
    this.root.scrollIntoView({ block: 'start' });
  }

  run() {
    this.state.running = true;
    this.state.endsAt = Date.now() + this.state.remaining;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.lockScreen();
    this.save();
    this.render();
  }

  tick() {
    if (!this.state.running) return;
    this.state.remaining = this.state.endsAt - Date.now();
    if (this.state.remaining <= 0) this.go(this.state.index + 1);
    else this.renderCount();
  }

  pause() {
    this.state.remaining = Math.max(0, this.state.endsAt - Date.now());
    this.state.running = false;
    clearInterval(this.timer);
    this.releaseScreen();
    this.save();
    this.render();
    this.live.textContent = 'Paused.';
  }

  resume() {
    this.unlockAudio();
    this.run();
    this.live.textContent = 'Resumed.';
  }

  go(index, skipped = false) {
    if (index < 0) index = 0;
    if (skipped && !this.state.skipped.includes(this.state.index)) this.state.skipped.push(this.state.index);
    if (index >= this.steps.length) { this.finish(); return; }
    // Coming back to a skipped step counts it again once it is done.
    this.state.skipped = this.state.skipped.filter((i) => i !== index);
    this.state.index = index;
    this.state.remaining = this.steps[index].seconds * 1000;
    this.state.endsAt = Date.now() + this.state.remaining;
    this.announce(this.state.running);
    this.save();
    this.render();
  }

  render() {
    const { index, running } = this.state;
    const step = this.steps[index];
    this.progressText.textContent = `Step ${index + 1} of ${this.steps.length}`;
    this.progress.value = index;
    this.art.innerHTML = step.art;
    this.art.setAttribute('aria-label', step.alt);
    this.now.textContent = step.title;
    this.cue.textContent = step.cue;
    this.cautionsList.replaceChildren(...(step.cautions || []).map((c) => el('li', {}, c)));
    this.cautions.hidden = !(step.cautions || []).length;
    const nextStep = this.steps[index + 1];
    this.next.textContent = nextStep ? `Next: ${nextStep.title}` : 'Last step';
    this.pauseBtn.textContent = running ? 'Pause' : 'Resume';
    this.pauseBtn.setAttribute('aria-pressed', String(!running));
    this.backBtn.disabled = index === 0;
    this.renderCount();
  }

  renderCount() {
    this.count.textContent = fmt(this.state.remaining);
  }

  announce(withSignal) {
    const step = this.steps[this.state.index];
    this.live.textContent = `Step ${this.state.index + 1} of ${this.steps.length}: ${step.title}. ${step.cue}`;
    if (withSignal) this.signal();
    if (this.prefs.speech && 'speechSynthesis' in window) {
      window.speechSynthesis.cancel();
      window.speechSynthesis.speak(new SpeechSynthesisUtterance(`${step.title}. ${step.cue}`));
    }
  }

  unlockAudio() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!this.audio && Ctx) {
      try { this.audio = new Ctx(); } catch (err) { this.audio = null; }
    }
    if (this.audio && this.audio.state === 'suspended') this.audio.resume().catch(() => {});
  }

  signal() {
    if (this.prefs.sound === false) return;
    // Chromium refuses (and logs an error for) vibration before the person has tapped the
    // page, e.g. a routine opened from a notification with ?start=1.
    const activated = !navigator.userActivation || navigator.userActivation.hasBeenActive;
    if ('vibrate' in navigator && activated) { try { navigator.vibrate(120); } catch (err) { /* not allowed */ } }
    if (!this.audio || this.audio.state !== 'running') return;
    const osc = this.audio.createOscillator();
    const gain = this.audio.createGain();
    osc.frequency.value = 660;
    gain.gain.setValueAtTime(0.15, this.audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, this.audio.currentTime + 0.25);
    osc.connect(gain).connect(this.audio.destination);
    osc.start();
    osc.stop(this.audio.currentTime + 0.25);
  }

  async lockScreen() {
    if (!('wakeLock' in navigator) || this.wakeLock || document.visibilityState !== 'visible') return;
    try {
      this.wakeLock = await navigator.wakeLock.request('screen');
      this.wakeLock.addEventListener('release', () => { this.wakeLock = null; });
    } catch (err) {
      this.wakeLock = null; // Not granted (battery saver, no gesture): the timer still runs.
    }
  }

  releaseScreen() {
    if (this.wakeLock) this.wakeLock.release().catch(() => {});
    this.wakeLock = null;
  }

  finish() {
    clearInterval(this.timer);
    this.releaseScreen();
    const doneSeconds = this.steps.reduce((sum, s, i) => sum + ((this.state.skipped || []).includes(i) ? 0 : s.seconds), 0);
    const minutes = Math.round((doneSeconds / 60) * 10) / 10;
    const history = read(KEYS.history, []);
    history.push({ date: localDate(), at: new Date().toISOString(), routine: this.routineId, title: this.title, minutes });
    write(KEYS.history, history.slice(-500));
    remove(KEYS.player);
    this.state.running = false;
    this.stage.hidden = true;
    this.root.classList.add('is-done');
    this.done.replaceChildren(
      el('p', { class: 'count' }, 'Done'),
      el('p', { class: 'now', id: 'player-done' }, `Well done. ${minutes} minutes recorded on this phone.`),
    );
    const again = el('button', { type: 'button', class: 'btn btn-primary' }, 'Do it again');
    again.addEventListener('click', () => this.start());
    const home = el('a', { class: 'btn', href: '/' }, 'Back home');
    const actions = el('div', { class: 'actions' });
    actions.append(again, home);
    this.done.append(actions);
    this.done.hidden = false;
    this.live.textContent = `Routine finished. ${minutes} minutes recorded.`;
    this.signal();
    this.emit('mbr:routine-finished');
  }

  // For the diary's before/after pain rating (routine-rating.js), which owns the rest.
  emit(name) {
    document.dispatchEvent(new CustomEvent(name, { detail: { routine: this.routineId } }));
  }
}

function boot() {
  const player = new Player(root, root.dataset.routine, root.dataset.title, stepsFromPage());
  const saved = read(KEYS.player, null);
  const fresh = saved && saved.routine === root.dataset.routine && Date.now() - (saved.savedAt || 0) < STALE_MS;
  if (fresh && saved.index < player.steps.length) player.restore(saved);
  else if (new URLSearchParams(window.location.search).get('start') === '1') {
    if (generalCautionSeen()) player.start();
    else {
      document.getElementById('general-caution')?.scrollIntoView({ block: 'start' });
      document.getElementById('player-start').focus({ preventScroll: true });
      player.live.textContent = 'Before your first routine, read "Before you start", then press Start routine.';
    }
  }
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && player.state && player.state.running) player.lockScreen();
  });
  // A hold that starts while a routine runs (a check in another tab) stops it.
  document.addEventListener(HOLD_EVENT, (event) => {
    if (event.detail.held && player.state && player.state.running) player.pause();
  });
  window.midBackPlayer = player; // for the curious and for tests: read-only use
}

if (root && list && currentHold()) {
  // Held after an urgent safety-check result (safety.js shows why): no player, not
  // even from ?start=1 or a run saved before the check, until the person has been
  // checked; then the player comes back without a reload.
  remove(KEYS.player);
  const resume = (event) => {
    if (event.detail.held) return;
    document.removeEventListener(HOLD_EVENT, resume);
    boot();
  };
  document.addEventListener(HOLD_EVENT, resume);
} else if (root && list) {
  boot();
}
