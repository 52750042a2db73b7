(() => {
  // Runs at the end of the body, before the first paint: fills in the emergency number
  // last worked out on this phone (emergency.js keeps it), so call buttons and advice
  // show it from the first frame and nothing shifts when the modules load.
  {{ number_fill }}
  try {
    const help = storedHelp(JSON.parse(localStorage.getItem({{ local_help_key|tojson }})));
    if (help) fillWith(document.body, help);
  } catch (err) {
    // Storage blocked or unreadable: emergency.js fills the number in when it loads.
  }

  // The page is complete as the server sent it; its modules only enhance it. They are
  // fetched once the first paint has reached the screen, so no request competes with it
  // (on a slow connection each level of imports costs a round trip). Whatever else the
  // browser would fetch on sight waits too: the manifest and the drawings' sprite
  // (<use data-href>; the tab icon is a data: URL in the head). Hidden tabs paint
  // nothing, hence the timer. When every module has run, <html data-enhanced> says so.
  const root = document.documentElement;
  // The full stylesheet, when the page inlined only its own rules (server/critical_css.py):
  // loaded before any module runs, so what the modules build is styled from the start.
  const stylesheet = document.currentScript.dataset.css;
  const styled = () => new Promise((resolve) => {
    if (!stylesheet) return resolve();
    const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: stylesheet });
    link.onload = link.onerror = resolve;
    document.head.append(link);
  });
  let started = false;
  const start = async () => {
    if (started) return;
    started = true;
    const manifest = document.createElement('link');
    manifest.rel = 'manifest';
    manifest.href = '/manifest.webmanifest';
    document.head.append(manifest);
    for (const use of document.querySelectorAll('use[data-href]')) use.setAttribute('href', use.dataset.href);
    const sources = [...document.querySelectorAll('script[type="text/x-module"]')].map((s) => s.dataset.src);
    // Fetched while the stylesheet loads; run after it.
    for (const src of sources) document.head.append(Object.assign(document.createElement('link'), { rel: 'modulepreload', href: src }));
    await styled();
    Promise.all(sources.map((src) => import(src).catch((err) => {
      // Rethrown outside the promise, so it is reported as the page error it is.
      setTimeout(() => { throw err; });
    }))).then(() => { root.dataset.enhanced = ''; });
  };
  try {
    // A paint entry is delivered once the frame is presented; buffered, so one that
    // happened before this line still counts. Started from the callback itself, not a
    // timer: a page whose timers are paused or faked still gets its modules.
    new PerformanceObserver((list) => {
      if (list.getEntries().some((e) => e.name === 'first-contentful-paint')) start();
    }).observe({ type: 'paint', buffered: true });
  } catch (err) {
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(start, 0)));
  }
  setTimeout(start, 1500);
})();
