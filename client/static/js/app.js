// Every page: register the service worker and offer updates instead of applying them
// silently, so old and new files are never mixed in one session; fill in the person's
// own emergency number; hold stretches after an urgent safety-check result; show due
// reminders (reminder-watch.js, loaded after the page so it never delays it); and,
// once the app is installed, ask the browser to keep its data (persistent storage).
// Each step runs in a task of its own (nextTask), so none keeps the page from answering
// a tap; the loader waits for this module's top level, so <html data-enhanced> still
// means every step has run.
import { fillNumbers, localHelp, rememberHelp } from './emergency.js';
import { watchHold } from './safety.js';
import { watchInstall } from './install.js';
import { nextTask } from './dom.js';

const help = localHelp();
await nextTask();
rememberHelp(fillNumbers(document.body, help));
await nextTask();
watchHold();
await nextTask();
watchInstall();

const banner = document.getElementById('update');
const reloadButton = document.getElementById('update-reload');

function offerUpdate(worker) {
  if (!banner || !worker) return;
  banner.hidden = false;
  reloadButton.addEventListener('click', () => {
    reloadButton.disabled = true;
    worker.postMessage({ type: 'SKIP_WAITING' });
  }, { once: true });
}

async function register() {
  if (!('serviceWorker' in navigator)) return;
  let registration;
  try {
    registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  } catch (err) {
    // Offline use is an enhancement: the page itself works without a worker.
    return;
  }
  if (!registration) return; // service workers blocked (policy or test context)
  const hadController = Boolean(navigator.serviceWorker.controller);
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // The first install takes control without a reload; only an accepted update reloads.
    if (!hadController || reloading) return;
    reloading = true;
    window.location.reload();
  });
  if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
  // Browsers check for a new worker on navigation but may skip or delay it; ask once per
  // page load so a new version is found while the person is here.
  if (navigator.serviceWorker.controller) registration.update().catch(() => {});
  registration.addEventListener('updatefound', () => {
    const incoming = registration.installing;
    if (!incoming) return;
    incoming.addEventListener('statechange', () => {
      if (incoming.state === 'installed' && navigator.serviceWorker.controller) offerUpdate(incoming);
    });
  });
}

nextTask().then(register);

// Installed apps ask for persistent storage, so the browser does not clear the
// person's history to free space. Asked once per page load while installed and not yet
// granted (browsers remember the answer); settings.js shows the result.
async function askToPersist() {
  if (!navigator.storage || !navigator.storage.persist) return;
  const installed = window.matchMedia('(display-mode: standalone)').matches || navigator.standalone === true;
  if (!installed) return;
  try {
    if (!(await navigator.storage.persisted())) await navigator.storage.persist();
  } catch (err) {
    console.warn('Persistent storage could not be requested:', err);
  }
}
window.addEventListener('appinstalled', () => {
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
});
nextTask().then(askToPersist);

nextTask().then(() => import('./reminder-watch.js'))
  .then((module) => module.watch())
  .catch((err) => console.warn('In-app reminders are not available on this page:', err));
