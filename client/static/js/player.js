// Guided player: a 3-second get-ready count-in, big countdown, current and next step,
// pause/resume, skip, back (buttons, or Space and the arrow keys), progress, a
// beep/vibration at each change, optional spoken cues and Screen Wake Lock. Leaving the
// page pauses it; coming back (or reloading within the hour) offers Resume or Start
// over. Its screens are in the page's HTML (partials/player.html); this module fills
// them in and shows one at a time. Used for routines and to time a single stretch.
// When today's check-in says the pain is high, the plan asks for shorter holds
// (content/progress.yaml, evaluated by progress-rules.js): hold steps are shortened and
// the player says so, with a way back to the usual holds for today.
import { KEYS, read, write, remove, localDate } from './storage.js';
import { HOLD_EVENT, currentHold } from './safety.js';
import { clock, durationWords } from './format.js';
import { $, el } from './dom.js';
import { checkinsSince } from './diary.js';
import { adaptPlan, addDays, holdSeconds, holdsFor } from './progress-rules.js';
import PROGRESS_RULES from './progress-data.js';

const root = document.getElementById('player');
const list = document.getElementById('routine-steps');
// A saved run older than this is an abandoned one: start over rather than resume.
const STALE_MS = 60 * 60 * 1000;
const COUNT_IN_MS = 3000;
const TICK_MS = 200;

function stepsFromPage() {
  // A single stretch's timed steps have no picture of their own: they use the page's.
  const pageArt = document.querySelector('.art');
  return [...list.querySelectorAll('.routine-step')].map((li) => {
    const art = li.querySelector('.step-art') || pageArt;
    return {
      exercise: li.dataset.exercise,
      title: li.dataset.title,
      cue: li.dataset.cue,
      seconds: Number(li.dataset.seconds),
      fullSeconds: Number(li.dataset.seconds),
      kind: li.dataset.kind || '',
      holds: li.hasAttribute('data-holds'),
      art: art ? art.innerHTML : '',
      alt: art ? art.getAttribute('aria-label') : li.dataset.title,
      cautions: [...li.querySelectorAll('.step-cautions li')].map((c) => c.textContent.trim()),
    };
  });
}

// The shorter holds today's plan asks for, or null: the adaptation that applies to the
// latest check-in (today's or yesterday's), read from the diary on this device.
async function todaysHolds() {
  if (!('indexedDB' in window)) return null;
  try {
    const today = localDate();
    const checkins = await checkinsSince(addDays(today, -21));
    return holdsFor(adaptPlan(PROGRESS_RULES, { checkins, today, held: Boolean(currentHold()) }));
  } catch (err) {
    console.warn('Could not read the diary; usual holds.', err);
    return null;
  }
}

// The page's "Before you start" caution must have been in front of the person once:
// until they press Start themselves, a link or reminder does not start a routine alone.
function generalCautionSeen() {
  return read(KEYS.preferences, {}).generalCaution === true;
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
    this.bind();
  }

  bind() {
    this.intro = $('player-intro');
    this.resumeBox = $('player-resume-box');
    this.resumeText = $('player-resume-text');
    this.stage = $('player-stage');
    this.done = $('player-finish');
    this.progressText = $('player-progress-text');
    this.progress = $('player-progress');
    this.art = $('player-art');
    this.now = $('player-now');
    this.cue = $('player-cue');
    this.count = $('player-count');
    this.next = $('player-next');
    this.live = $('player-live');
    this.backBtn = $('player-back');
    this.pauseBtn = $('player-pause');
    this.skipBtn = $('player-skip');
    this.cautions = $('player-cautions');
    this.cautionsList = $('player-cautions-list');
    this.doneText = $('player-done');
    this.startBtn = $('player-start');
    this.stepItems = [...list.querySelectorAll('.routine-step')];

    this.startBtn.addEventListener('click', () => this.start());
    $('player-resume').addEventListener('click', () => this.resumeAfterLeaving());
    $('player-restart').addEventListener('click', () => this.start());
    $('player-again').addEventListener('click', () => this.start());
    this.backBtn.addEventListener('click', () => this.back());
    this.skipBtn.addEventListener('click', () => this.skip());
    this.pauseBtn.addEventListener('click', () => this.toggle());
    this.option($('player-sound'), this.prefs.sound !== false, 'sound');
    this.option($('player-speech'), this.prefs.speech === true, 'speech');
  }

  // --- Shorter holds ------------------------------------------------------------------

  /** Follow today's plan: `holds` from todaysHolds(); the person may have chosen the
   * usual holds for today already (preferences.normalHolds = today's date). */
  setHolds(holds) {
    this.holds = holds;
    this.applyHolds(Boolean(holds) && read(KEYS.preferences, {}).normalHolds !== localDate());
    $('player-holds-toggle').addEventListener('click', () => this.toggleHolds());
  }

  shortens(step) {
    return Boolean(this.holds) && step.holds && this.holds.kinds.includes(step.kind)
      && holdSeconds(step.fullSeconds, this.holds) < step.fullSeconds;
  }

  applyHolds(shorter) {
    this.shorterHolds = shorter;
    for (const [i, step] of this.steps.entries()) {
      step.seconds = shorter && this.shortens(step) ? holdSeconds(step.fullSeconds, this.holds) : step.fullSeconds;
      const label = this.stepItems[i] && this.stepItems[i].querySelector('.step-seconds');
      if (label) label.textContent = `${step.seconds} s`;
    }
    this.describeTimer(shorter);
    // Nothing to shorten here (breathing, or holds already short): nothing to say.
    const any = this.steps.some((step) => this.shortens(step));
    $('player-holds').hidden = !any;
    $('player-holds-line').hidden = !(any && shorter);
    $('player-holds-text').textContent = shorter
      ? 'Holds are shorter today because you said your pain is high.'
      : 'Usual holds today, as you chose. Your pain is high: stop anything that makes it worse.';
    $('player-holds-toggle').textContent = shorter ? 'Use normal holds' : 'Use shorter holds';
    if (this.active && this.state.countIn === undefined) {
      // The step on screen keeps going, never longer than its new length.
      const stepMs = this.steps[this.state.index].seconds * 1000;
      if (this.state.remaining > stepMs) {
        this.state.remaining = stepMs;
        if (this.state.running) this.state.endsAt = Date.now() + stepMs;
        this.renderCount();
      }
    }
  }

  // A stretch page says how long its timer runs ("3 holds of 20 s, about 1 min in
  // all"): with shorter holds it says the new lengths, as the server words them.
  describeTimer(shorter) {
    const summary = document.getElementById('timer-summary');
    if (!summary) return;
    if (this.timerSummary === undefined) this.timerSummary = summary.textContent;
    if (!shorter || !this.steps.some((step) => this.shortens(step))) {
      summary.textContent = this.timerSummary;
      return;
    }
    const total = this.steps.reduce((sum, step) => sum + step.seconds, 0);
    summary.textContent = this.steps.length > 1
      ? `${this.steps.length} holds of ${durationWords(this.steps[0].seconds)}, about ${durationWords(total)} in all, with a beep at each change.`
      : `About ${durationWords(total)}, with a beep at the end.`;
  }

  toggleHolds() {
    const shorter = !this.shorterHolds;
    const prefs = { ...read(KEYS.preferences, {}) };
    if (shorter) delete prefs.normalHolds; else prefs.normalHolds = localDate();
    write(KEYS.preferences, prefs);
    this.prefs = prefs;
    this.applyHolds(shorter);
    this.live.textContent = shorter ? 'Shorter holds.' : 'Usual holds.';
  }

  option(box, checked, key) {
    box.checked = checked;
    box.addEventListener('change', () => this.setPref(key, box.checked));
  }

  setPref(key, value) {
    this.prefs = { ...read(KEYS.preferences, {}), [key]: value };
    write(KEYS.preferences, this.prefs);
    if (key === 'speech' && !value && 'speechSynthesis' in window) window.speechSynthesis.cancel();
  }

  // Running or paused on the stage (not the intro, the resume question or the end).
  get active() {
    return Boolean(this.state) && !this.stage.hidden;
  }

  save() {
    write(KEYS.player, { routine: this.routineId, ...this.state, savedAt: Date.now() });
  }

  showOnly(screen) {
    for (const s of [this.intro, this.resumeBox, this.stage, this.done]) s.hidden = s !== screen;
    this.root.classList.toggle('is-done', screen === this.done);
    if (screen !== this.stage) for (const li of this.stepItems) li.removeAttribute('aria-current');
  }

  start() {
    if (this.holds === undefined) {
      // The hold lengths are not known yet (the diary is being read): start once they are.
      this.holdsReady.then(() => this.start());
      return;
    }
    this.setPref('generalCaution', true);
    this.unlockAudio();
    this.state = { index: 0, remaining: this.steps[0].seconds * 1000, running: false, endsAt: 0, skipped: [], startedAt: Date.now() };
    this.enterStage();
    this.countIn();
  }

  // Shows the stage, brings it into view for one-handed use, and puts focus on its
  // main control so Space and Enter work straight away.
  enterStage() {
    this.showOnly(this.stage);
    this.root.scrollIntoView({ block: 'start' });
    this.pauseBtn.focus({ preventScroll: true });
  }

  // Three seconds to get into position; "Go now" (or the right arrow) starts at once.
  countIn() {
    this.state.countIn = COUNT_IN_MS;
    this.state.countInEndsAt = Date.now() + COUNT_IN_MS;
    const step = this.steps[this.state.index];
    this.live.textContent = `Get ready. Step ${this.state.index + 1} of ${this.steps.length}: ${step.title}. Starting in 3 seconds.`;
    this.run();
    this.emit('mbr:routine-started');
  }

  endCountIn() {
    delete this.state.countIn;
    delete this.state.countInEndsAt;
    this.state.endsAt = Date.now() + this.state.remaining;
    this.announce(true);
    this.save();
    this.render();
  }

  // A saved run from a reload: never running by itself, the person chooses.
  restore(saved) {
    const s = { ...saved };
    const stepMs = this.steps[s.index].seconds * 1000;
    if (s.running) {
      // Closed without a pause (the page was killed): the time left at the last save.
      s.remaining = Math.min(stepMs, Math.max(1000, (s.endsAt || 0) - (s.savedAt || 0)));
    }
    delete s.countIn;
    delete s.countInEndsAt;
    s.running = false;
    s.remaining = Math.min(stepMs, Math.max(0, Number(s.remaining) || stepMs)) || stepMs;
    this.state = s;
    this.offerResume();
  }

  offerResume() {
    const { index, remaining } = this.state;
    this.resumeText.textContent = `Paused at step ${index + 1} of ${this.steps.length}: ${this.steps[index].title}, ${durationWords(Math.ceil(remaining / 1000))} left.`;
    this.showOnly(this.resumeBox);
    this.resumeBox.querySelector('#player-resume').focus({ preventScroll: true });
    this.live.textContent = `${this.title} is paused at step ${index + 1} of ${this.steps.length}. Resume or start over?`;
  }

  resumeAfterLeaving() {
    this.unlockAudio();
    this.enterStage();
    this.countIn();
  }

  run() {
    this.state.running = true;
    if (this.state.countIn !== undefined) this.state.countInEndsAt = Date.now() + this.state.countIn;
    else this.state.endsAt = Date.now() + this.state.remaining;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.lockScreen();
    this.save();
    this.render();
  }

  tick() {
    if (!this.state.running) return;
    if (this.state.countIn !== undefined) {
      this.state.countIn = this.state.countInEndsAt - Date.now();
      if (this.state.countIn <= 0) this.endCountIn();
      else this.renderCount();
      return;
    }
    this.state.remaining = this.state.endsAt - Date.now();
    if (this.state.remaining <= 0) this.go(this.state.index + 1);
    else this.renderCount();
  }

  toggle() {
    if (this.state.running) this.pause(); else this.resume();
  }

  pause() {
    if (this.state.countIn !== undefined) this.state.countIn = Math.max(0, this.state.countInEndsAt - Date.now());
    else this.state.remaining = Math.max(0, this.state.endsAt - Date.now());
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

  // Left the page (another tab or app, a "How to" link, the phone locked): stop the
  // clock now and ask on return, so nobody comes back to a step that ran on unseen.
  leave() {
    if (!this.active) return;
    if (this.state.running) this.pause();
    this.leftWhileActive = true;
  }

  back() {
    if (this.state.countIn !== undefined) return;
    this.go(this.state.index - 1);
  }

  skip() {
    if (this.state.countIn !== undefined) {
      if (this.state.running) this.endCountIn();
      else { delete this.state.countIn; this.render(); }
      return;
    }
    this.go(this.state.index + 1, true);
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
    const ready = this.state.countIn !== undefined;
    this.progressText.textContent = `Step ${index + 1} of ${this.steps.length}`;
    this.progress.value = index;
    if (this.art.dataset.index !== String(index)) {
      this.art.innerHTML = step.art; // the page's own server-rendered drawing
      this.art.dataset.index = String(index);
    }
    this.art.setAttribute('aria-label', step.alt);
    this.now.textContent = step.title;
    this.cue.textContent = ready ? 'Get ready: get into position.' : step.cue;
    this.cautionsList.replaceChildren(...(step.cautions || []).map((c) => el('li', {}, c)));
    this.cautions.hidden = !(step.cautions || []).length;
    const nextStep = this.steps[index + 1];
    this.next.textContent = nextStep ? `Next: ${nextStep.title}` : 'Last step';
    this.root.classList.toggle('is-ready', ready);
    this.pauseBtn.textContent = running ? 'Pause' : 'Resume';
    this.pauseBtn.setAttribute('aria-pressed', String(!running));
    this.skipBtn.textContent = ready ? 'Go now' : 'Skip';
    for (const [i, li] of this.stepItems.entries()) {
      if (i === index) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
    }
    this.backBtn.disabled = index === 0 || ready;
    this.renderCount();
  }

  renderCount() {
    if (this.state.countIn !== undefined) this.count.textContent = String(Math.max(1, Math.ceil(this.state.countIn / 1000)));
    else this.count.textContent = clock(this.state.remaining);
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
    history.push({ date: localDate(), at: new Date().toISOString(), routine: this.routineId, title: this.title, minutes, seconds: doneSeconds });
    write(KEYS.history, history.slice(-500));
    remove(KEYS.player);
    this.state.running = false;
    this.showOnly(this.done);
    this.doneText.textContent = `Well done. ${durationWords(doneSeconds)} recorded on this device.`;
    this.doneText.focus({ preventScroll: true });
    this.live.textContent = `Finished. ${durationWords(doneSeconds)} recorded.`;
    this.signal();
    this.emit('mbr:routine-finished');
  }

  // For the diary's before/after pain rating (routine-rating.js), which owns the rest.
  emit(name) {
    document.dispatchEvent(new CustomEvent(name, { detail: { routine: this.routineId } }));
  }
}

// Space pauses or resumes and the arrows go back or skip, whatever has focus, except
// where those keys already mean something (typing, or Space on a focused control).
function keyboard(player) {
  document.addEventListener('keydown', (event) => {
    if (!player.active || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]')) return;
    if (event.key === ' ' && !target.closest('button, a, summary, label')) {
      event.preventDefault();
      player.toggle();
    } else if (event.key === 'ArrowLeft') {
      event.preventDefault();
      player.back();
    } else if (event.key === 'ArrowRight') {
      event.preventDefault();
      player.skip();
    }
  });
}

// A run saved before a reload, or ?start=1 from a reminder: once the hold lengths are known.
function resumeOrAutostart(player) {
  const saved = read(KEYS.player, null);
  const fresh = saved && saved.routine === root.dataset.routine && Date.now() - (saved.savedAt || 0) < STALE_MS
    && Number.isInteger(saved.index) && saved.index >= 0 && saved.index < player.steps.length;
  if (saved && saved.routine === root.dataset.routine && !fresh) remove(KEYS.player); // abandoned: start over
  if (fresh) player.restore(saved);
  else if (new URLSearchParams(window.location.search).get('start') === '1') {
    if (generalCautionSeen()) player.start();
    else {
      document.getElementById('general-caution')?.scrollIntoView({ block: 'start' });
      player.startBtn.focus({ preventScroll: true });
      player.live.textContent = 'Before your first routine, read "Before you start", then press Start routine.';
    }
  }
}

function boot() {
  const player = new Player(root, root.dataset.routine, root.dataset.title, stepsFromPage());
  // The diary is read once (a few milliseconds); a tap on Start before that waits for it.
  player.holdsReady = todaysHolds().then((holds) => player.setHolds(holds));
  player.holdsReady.then(() => resumeOrAutostart(player));
  keyboard(player);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') player.leave();
    else if (player.leftWhileActive) {
      player.leftWhileActive = false;
      player.offerResume();
    }
  });
  // Leaving by a link or closing the tab: saved as paused, offered again on return.
  window.addEventListener('pagehide', () => player.leave());
  // Back to this page from the back/forward cache: the same question.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted && player.leftWhileActive) {
      player.leftWhileActive = false;
      player.offerResume();
    }
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
