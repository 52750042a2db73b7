"""The minified stylesheet means what client/static/css/app.css means, in Chromium.

The app serves (and inlines in every page) app.css through server/minify.py. On real pages
of the running app, each in light and dark, at 320 and 1280 px, printed, and with forced
colours and reduced motion, the page is styled first by the stylesheet as written and
then by the served one, inside one synchronous script (so no module can change the page
between the two), and every computed style of every element and of its ::before,
::after and ::marker is compared. Chromium's own parse of the two texts (the rules as the
CSS object model serializes them) must be equal too, which covers rules no page matches
at load (states that scripts set, like the safety hold).
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

pytestmark = pytest.mark.browser

PAGES = ["/", "/screening", "/routines/desk-reset", "/reminders", "/progress", "/settings",
         "/stretches/chin-tuck"]
MODES = [
    {"viewport": {"width": 320, "height": 640}, "media": {"color_scheme": "light"}},
    {"viewport": {"width": 320, "height": 640}, "media": {"color_scheme": "dark"}},
    {"viewport": {"width": 1280, "height": 800}, "media": {"color_scheme": "light"}},
    {"viewport": {"width": 1280, "height": 800}, "media": {"color_scheme": "dark"}},
    {"viewport": {"width": 1280, "height": 800}, "media": {"color_scheme": "light", "media": "print"}},
    {"viewport": {"width": 320, "height": 640},
     "media": {"color_scheme": "dark", "media": "screen", "forced_colors": "active", "reduced_motion": "reduce"}},
]

# Styles the page with each text in turn (constructed stylesheets, the page's own sheets
# disabled) and returns where the computed styles differ, with how much was compared.
COMPARE = """({ original, minified, names }) => {
  const own = [...document.styleSheets];
  for (const sheet of own) sheet.disabled = true;
  const sheetOf = (text) => { const s = new CSSStyleSheet(); s.replaceSync(text); return s; };
  const elements = [...document.querySelectorAll('*')];
  // Every computed property, one per line (the same order for both texts: same browser).
  const all = (cs, extra = []) => {
    let text = '';
    for (let i = 0; i < cs.length; i++) text += `${cs[i]}: ${cs.getPropertyValue(cs[i])}\\n`;
    for (const name of extra) text += `${name}: ${cs.getPropertyValue(name)}\\n`;
    return text;
  };
  const snapshot = (sheet) => {
    document.adoptedStyleSheets = [sheet];
    // Animations (the illustrations' fade) held at their start, the same for both.
    for (const a of document.getAnimations()) { a.pause(); a.currentTime = 0; }
    const out = [];
    for (const el of elements) {
      const cs = getComputedStyle(el);
      out.push(['', all(cs, names)]);
      // A pseudo-element that is not generated has content none (or normal): its other
      // properties are then compared only if the other text generates it.
      for (const pseudo of ['::before', '::after']) {
        const ps = getComputedStyle(el, pseudo);
        out.push([pseudo, ['none', 'normal'].includes(ps.content) ? `content: ${ps.content}\\n` : all(ps)]);
      }
      out.push(['::marker', cs.display.includes('list-item') ? all(getComputedStyle(el, '::marker')) : '']);
    }
    return out;
  };
  const a = snapshot(sheetOf(original));
  const rulesA = [...document.adoptedStyleSheets[0].cssRules].map((r) => r.cssText);
  const b = snapshot(sheetOf(minified));
  const rulesB = [...document.adoptedStyleSheets[0].cssRules].map((r) => r.cssText);
  document.adoptedStyleSheets = [];
  for (const sheet of own) sheet.disabled = false;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '')
    + (typeof el.className === 'string' && el.className.trim()
      ? `.${el.className.trim().split(/\\s+/).join('.')}` : '');
  const differences = [];
  let compared = 0;
  a.forEach(([pseudo, text], index) => {
    compared += text.split('\\n').length - 1;
    if (text === b[index][1] || differences.length >= 20) return;
    const other = new Set(b[index][1].split('\\n'));
    const mine = new Set(text.split('\\n'));
    const where = describe(elements[Math.floor(index / 4)]) + pseudo;
    for (const line of mine) if (!other.has(line)) differences.push(`${where} was ${line}`);
    for (const line of other) if (!mine.has(line)) differences.push(`${where} now ${line}`);
  });
  // Chromium serializes a value holding var() or env() as written (it is resolved only
  // when computed), so there the space after a comma may differ; the computed styles
  // above compare what such values resolve to.
  const same = (x, y) => x === y || x.replace(/,\\s+/g, ',') === y.replace(/,\\s+/g, ',');
  const ruleDifferences = rulesA.map((r, i) => same(r, rulesB[i]) ? null : [r, rulesB[i]]).filter(Boolean);
  return {
    differences: differences.slice(0, 20), compared, elements: elements.length,
    rules: [rulesA.length, rulesB.length], ruleDifferences: ruleDifferences.slice(0, 5),
    styled: a[0][1].includes('--brand: #'),
  };
}"""


def test_minified_css_gives_every_element_the_same_computed_style(new_context, live_server):
    original = (ROOT / "client/static/css/app.css").read_text(encoding="utf-8")
    minified = live_server.app.extensions["mbr_assets"].files["css/app.css"].data.decode("utf-8")
    assert len(minified) < 0.85 * len(original)  # it is the minified text being compared
    names = sorted(set(re.findall(r"(--[\w-]+)\s*:", original)))
    assert "--brand" in names
    page = new_context(service_workers="block").new_page()
    for url in PAGES:
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        for mode in MODES:
            page.set_viewport_size(mode["viewport"])
            page.emulate_media(**mode["media"])
            result = page.evaluate(COMPARE, {"original": original, "minified": minified, "names": names})
            label = f"{url} {mode}"
            assert result["rules"][0] == result["rules"][1] > 200, label
            assert result["ruleDifferences"] == [], label
            assert result["styled"], label  # the constructed sheets applied (not blocked)
            assert result["elements"] > 50, label
            assert result["differences"] == [], label
