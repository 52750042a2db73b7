"""First paint without waiting for anything: every page served from the network carries
its stylesheet and a hashed head script inline, so it renders the same with the
external stylesheet blocked, and a stored safety hold is applied before any module
loads."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = ["/", "/screening", "/stretches", "/stretches/chin-tuck", "/routines/desk-reset",
         "/causes/muscular-postural/poor-posture", "/reminders", "/settings"]

# Computed styles that differ from the browser's defaults only when app.css applies.
STYLE_PROBE = """() => {
  const pick = (sel, props) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const cs = getComputedStyle(el);
    return props.map((p) => cs.getPropertyValue(p));
  };
  return {
    body: pick('body', ['background-color', 'color', 'font-family', 'margin-top']),
    h1: pick('h1', ['font-size', 'line-height', 'margin-top']),
    tabbar: pick('.tabbar', ['position', 'display', 'bottom']),
    button: pick('.btn', ['min-height', 'border-radius', 'display']),
    main: pick('main', ['max-width', 'padding-left']),
    width: document.documentElement.scrollWidth,
    height: document.querySelector('main').getBoundingClientRect().height,
  };
}"""


def test_pages_render_the_same_with_the_external_stylesheet_blocked(new_context, live_server):
    # No worker: every navigation is answered by the server, as on a first visit. No
    # JavaScript: the loader would add the full stylesheet after the first paint (blocked
    # here), and the modules would add elements only it styles.
    context = new_context(service_workers="block", java_script_enabled=False)
    stylesheet_requests = []
    context.route("**/static/css/**", lambda route: (stylesheet_requests.append(route.request.url), route.abort()))
    inline_page = context.new_page()
    reference = new_context(service_workers="block", java_script_enabled=False).new_page()
    for url in PAGES:
        inline_page.goto(live_server.url + url)
        # The variant that links the stylesheet, loaded normally: what app.css looks like.
        reference.goto(live_server.url + url + "?css=linked")
        reference.wait_for_load_state("load")
        assert reference.evaluate("document.styleSheets[0].href").startswith(live_server.url + "/static/css/")
        assert inline_page.evaluate("document.styleSheets[0].href") is None, url  # the <style> element
        styled = inline_page.evaluate(STYLE_PROBE)
        assert styled["tabbar"][0] == "fixed", url
        assert styled == reference.evaluate(STYLE_PROBE), url
    assert stylesheet_requests == []


def test_the_inline_code_runs_under_the_policy(new_context, live_server):
    """Inline style and script are allowed by their hashes: the script ran (it defines
    nothing global, so its effect is checked) and no CSP violation was reported."""
    context = new_context(service_workers="block")
    page = context.new_page()
    violations = []
    page.expose_function("reportViolation", lambda v: violations.append(v))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI))")
    page.goto(live_server.url + "/screening")
    page.evaluate("""() => {
        localStorage.setItem('mbr.screenings', JSON.stringify(
            [{date: '2026-01-01', at: '2026-01-01T00:00:00Z', level: 'emergency',
              reasons: ['Chest pain'], answers: {x: true}}]));
    }""")
    page.goto(live_server.url + "/screening")
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.classList.contains('stretch-hold')")
    assert violations == []
    # The error guard fails the test on any console error, CSP reports included.


def test_a_stored_hold_hides_stretches_before_any_module_runs(new_context, live_server):
    context = new_context(service_workers="block")
    page = context.new_page()
    page.goto(live_server.url + "/settings")
    page.evaluate("""() => localStorage.setItem('mbr.screenings', JSON.stringify([
        {at: '2026-01-01T00:00:00Z', level: 'same-day', answers: {'night-pain': true}}]))""")
    # No module may load: only the inline head script can apply the hold.
    context.error_guard.allow(r"Failed to load resource", r"net::ERR_FAILED", r"Failed to fetch dynamically")
    blocked = []
    context.route("**/static/js/**", lambda route: (blocked.append(route.request.url), route.abort()))
    for url in ("/", "/stretches", "/routines/desk-reset"):
        page.goto(live_server.url + url)
        assert page.evaluate("document.documentElement.classList.contains('stretch-hold')"), url
        hidden = page.evaluate(
            "[...document.querySelectorAll('[data-stretch]')].every((e) => getComputedStyle(e).display === 'none')")
        assert hidden, url
        assert page.evaluate("document.querySelectorAll('[data-stretch]').length") > 0, url
    assert blocked  # the modules really were asked for, and refused

    # Assessed after the check: no hold, and the stretches show (the rule is the same text).
    page.evaluate("""() => localStorage.setItem('mbr.assessed', JSON.stringify(
        {at: '2026-02-01T00:00:00Z', covered: ['night-pain']}))""")
    page.goto(live_server.url + "/")
    assert not page.evaluate("document.documentElement.classList.contains('stretch-hold')")
    assert page.locator("#hero-start").is_visible()


ALL_STYLES = """() => {
  const props = ['display', 'position', 'float', 'width', 'height', 'margin', 'padding', 'border',
                 'color', 'background-color', 'font-size', 'font-weight', 'line-height', 'visibility',
                 'opacity', 'grid-template-columns', 'flex-direction', 'gap', 'outline', 'text-align'];
  return [...document.querySelectorAll('body *')].map((el) => {
    const cs = getComputedStyle(el);
    return el.tagName + ' ' + props.map((p) => cs.getPropertyValue(p)).join('|');
  });
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [{"width": 320, "height": 640}, {"width": 1280, "height": 800}],
                         ids=["320", "1280"])
def test_the_page_s_own_rules_style_it_exactly_as_the_whole_stylesheet(new_context, live_server, scheme,
                                                                       viewport):
    """Each page inlines only the rules that can match it (server/critical_css.py): every
    element of every page is styled exactly as by the whole stylesheet. Without
    JavaScript, so both copies hold the same elements and the full stylesheet the loader
    adds later never comes."""
    options = {"service_workers": "block", "java_script_enabled": False, "color_scheme": scheme,
               "viewport": viewport}
    inline_context = new_context(**options)
    inline_context.route("**/static/css/**", lambda route: route.abort())
    inline_page = inline_context.new_page()
    reference = new_context(**options).new_page()
    for url in [*PAGES, "/progress", "/about", "/causes", "/offline"]:
        inline_page.goto(live_server.url + url)
        reference.goto(live_server.url + url + "?css=linked")
        reference.wait_for_load_state("load")
        assert inline_page.evaluate("document.styleSheets.length") == 1, url
        mine, whole = inline_page.evaluate(ALL_STYLES), reference.evaluate(ALL_STYLES)
        assert len(mine) == len(whole) > 50, url
        different = [(i, a, b) for i, (a, b) in enumerate(zip(mine, whole, strict=True)) if a != b]
        assert different == [], f"{url}: {different[:3]}"


FETCHED_BEFORE_PAINT = """() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const resources = performance.getEntriesByType('resource');
  return {
    paint: paint ? paint.startTime : null,
    before: resources.filter((r) => r.startTime < paint.startTime).map((r) => r.name),
    after: resources.map((r) => new URL(r.name).pathname),
  };
}"""


def test_nothing_is_fetched_before_the_first_paint(new_context, live_server):
    """The first paint needs the HTML alone: modules, the manifest, the full stylesheet
    and the drawings' sprite are all asked for once it is on screen, and then they do
    load (the page is enhanced)."""
    page = new_context(service_workers="block").new_page()
    for url in [*PAGES, "/progress"]:
        page.goto(live_server.url + url)
        timing = page.evaluate(FETCHED_BEFORE_PAINT)
        assert timing["paint"] is not None, url
        assert timing["before"] == [], url
        assert "/static/js/app.js" in timing["after"], url
        assert "/static/css/app.css" in timing["after"], url
        assert page.evaluate("document.querySelector('link[rel=manifest]').href").endswith("/manifest.webmanifest")
        if page.locator("use[data-href]").count():
            # The drawings appear once the sprite is asked for.
            assert page.evaluate("[...document.querySelectorAll('use[data-href]')]"
                                 ".every((u) => u.getAttribute('href') === u.dataset.href)"), url


def test_the_stored_emergency_number_is_in_the_page_before_any_module(new_context, live_server):
    """The number worked out on an earlier visit is filled in by the script at the end of
    the body, so the call buttons never change after the first paint."""
    context = new_context(service_workers="block")
    page = context.new_page()
    page.goto(live_server.url + "/screening")
    # emergency.js kept what it worked out for this browser and showed.
    kept = page.evaluate("JSON.parse(localStorage.getItem('mbr.localHelp')).number")
    expect(page.locator("a[data-call]").first).to_have_text(f"Call {kept} now")
    page.evaluate("""() => localStorage.setItem('mbr.localHelp', JSON.stringify(
        {number: '999', numberSource: 'region', urgent: {name: 'NHS 111', number: '111'}}))""")
    context.error_guard.allow(r"Failed to load resource", r"net::ERR_FAILED", r"Failed to fetch dynamically")
    context.route("**/static/js/**", lambda route: route.abort())
    page.goto(live_server.url + "/screening")
    call = page.locator("a[data-call]").first
    expect(call).to_have_text("Call 999 now")
    assert call.get_attribute("href") == "tel:999"
    # A stored value that is not a number is ignored: the server's words stay.
    page.evaluate("() => localStorage.setItem('mbr.localHelp', JSON.stringify({number: '<b>9</b>', urgent: null}))")
    page.goto(live_server.url + "/screening")
    expect(page.locator("a[data-call]").first).to_have_text("Call your emergency number")
