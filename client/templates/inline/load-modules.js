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
  // Ends the current task so the browser can paint and answer a tap in between: the work
  // below is cut into short tasks (issue 14: a long one shows as Total Blocking Time).
  // scheduler.yield resumes ahead of other waiting tasks; MessageChannel where it is
  // missing. Neither is a timer, so a test's fake clock does not stop the modules.
  const pause = () => (window.scheduler && scheduler.yield ? scheduler.yield() : new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  }));
  let started = false;
  const start = async () => {
    if (started) return;
    started = true;
    const css = styled();
    await pause();
    const sources = [...document.querySelectorAll('script[type="text/x-module"]')].map((s) => s.dataset.src);
    // Fetched while the stylesheet loads; run after it.
    for (const src of sources) document.head.append(Object.assign(document.createElement('link'), { rel: 'modulepreload', href: src }));
    await pause();
    const manifest = document.createElement('link');
    manifest.rel = 'manifest';
    manifest.href = '/manifest.webmanifest';
    document.head.append(manifest);
    await css;
    await pause();
    for (const use of document.querySelectorAll('use[data-href]')) use.setAttribute('href', use.dataset.href);
    // One module at a time, each in a task of its own (app.js first: it fills in the
    // emergency number); a module that spreads its own start over several tasks awaits
    // them at its top level, so its import settles when it has finished.
    for (const src of sources) {
      await pause();
      try {
        await import(src);
      } catch (err) {
        // Rethrown outside the promise, so it is reported as the page error it is.
        setTimeout(() => { throw err; });
      }
    }
    root.dataset.enhanced = '';
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
