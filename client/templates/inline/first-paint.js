(() => {
  // Runs in the head, before the body is parsed: state that changes the first screen is
  // applied before the first paint, so nothing shifts when the modules load.
  {{ hold_rule }}
  try {
    const read = (key) => { const raw = localStorage.getItem(key); return raw === null ? null : JSON.parse(raw); };
    if (holdFrom(read({{ screenings_key|tojson }}), read({{ assessed_key|tojson }}))) {
      document.documentElement.classList.add('stretch-hold');
    }
  } catch (err) {
    // Storage blocked or unreadable: safety.js applies the hold when it loads.
  }
})();
