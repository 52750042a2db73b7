"""The home page's install card moves nothing when it appears (issue 15 polish): measured
in real Chromium with a PerformanceObserver for 'layout-shift' (what Lighthouse's CLS
adds up), when Chromium's beforeinstallprompt arrives after the page has loaded and when
the iPhone Safari how-to appears as the page's modules run; on phones and a desktop,
for a first visit (the plan form) and for someone with a plan (a short plan summary,
so the card's place is on the first screen). Also the first visit on Lighthouse's phone,
whose CLS came from the call button, not the card."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.test_browser_finish import FAKE_PROMPT, IPHONE_SAFARI

pytestmark = pytest.mark.browser

# Every layout shift from the first paint on, as Lighthouse counts them (none within
# half a second of input, which no test here gives).
OBSERVE = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value);
}).observe({ type: 'layout-shift', buffered: true });
"""
# Shifts are reported after the frame that drew them: two frames on, every one is in.
SETTLED = """() => new Promise((r) => requestAnimationFrame(
  () => requestAnimationFrame(() => r(window.__shifts.slice()))))"""
PLAN = {"choices": ["desk-work"], "updated": "2026-01-05T10:00:00Z"}
VIEWPORTS = [{"width": 320, "height": 640}, {"width": 390, "height": 844}, {"width": 1280, "height": 800}]


def home(new_context, viewport: dict, with_plan: bool, **options):
    context = new_context(viewport=viewport, service_workers="block", **options)
    context.add_init_script(OBSERVE)
    if with_plan:
        context.add_init_script(  # the app's pages only (not the first blank page)
            f"if (location.protocol === 'http:') localStorage.setItem('mbr.plan', {json.dumps(json.dumps(PLAN))});")
    return context.new_page()


@pytest.mark.parametrize("with_plan", [False, True], ids=["first-visit", "with-plan"])
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}px")
def test_the_install_button_appears_without_moving_anything(new_context, live_server, viewport, with_plan):
    page = home(new_context, viewport, with_plan)
    page.goto(live_server.url + "/")
    if with_plan:
        expect(page.locator("#plan-view")).to_be_visible()
    before = page.evaluate(SETTLED)
    assert page.evaluate(FAKE_PROMPT) is True
    card = page.locator("#install-home")
    expect(card.get_by_role("button", name="Install app")).to_be_visible()
    shifts = page.evaluate(SETTLED)[len(before):]
    assert sum(shifts) == 0, f"the card moved content: layout shifts {shifts}"


# Where the person has scrolled when Chromium's event arrives: the causes list in the
# middle of the screen (where the card used to open, pushing it down), or the very end.
SCROLL_TO = {
    "mid-page": "window.scrollTo(0, document.querySelector('#causes-title').getBoundingClientRect().top"
                " + scrollY - innerHeight / 2)",
    "end": "window.scrollTo(0, document.documentElement.scrollHeight)",
}


@pytest.mark.parametrize("where", SCROLL_TO)
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}px")
def test_the_install_card_never_pushes_what_is_on_screen(new_context, live_server, viewport, where):
    page = home(new_context, viewport, with_plan=False)
    page.goto(live_server.url + "/")
    page.evaluate(SCROLL_TO[where])
    before = page.evaluate(SETTLED)
    assert page.evaluate(FAKE_PROMPT) is True
    card = page.locator("#install-home")
    if where == "end":
        # The footer is on screen: the card waits rather than push it down ...
        expect(card).to_be_hidden()
        # ... and opens once the footer is out of view.
        page.evaluate("window.scrollTo(0, 0)")
    expect(card).to_be_visible()
    shifts = page.evaluate(SETTLED)[len(before):]
    assert sum(shifts) == 0, f"the card moved content: layout shifts {shifts}"
    page.evaluate(SCROLL_TO["end"])
    expect(card.get_by_role("button", name="Install app")).to_be_in_viewport()


@pytest.mark.parametrize("with_plan", [False, True], ids=["first-visit", "with-plan"])
def test_the_iphone_how_to_appears_without_moving_anything(new_context, live_server, with_plan):
    page = home(new_context, {"width": 390, "height": 844}, with_plan, user_agent=IPHONE_SAFARI, is_mobile=True,
                has_touch=True)  # fmt: skip
    page.goto(live_server.url + "/")
    expect(page.locator("#install-home [data-install-ios]")).to_be_visible()
    if with_plan:
        expect(page.locator("#plan-view")).to_be_visible()
    shifts = page.evaluate(SETTLED)
    # Everything from the first paint on counts here, the card's appearance among it.
    assert sum(shifts) < 0.001, f"layout shifts on home: {shifts}"


def test_a_first_visit_on_lighthouses_phone_moves_nothing(new_context, live_server):
    """Lighthouse's phone (412x823), first visit: "Call your emergency number" took two
    lines until the page knew the number ("Call 112 now", one line), and everything below
    it moved up (the CLS of 0.009 Lighthouse reported on home)."""
    page = home(new_context, {"width": 412, "height": 823}, with_plan=False, is_mobile=True, has_touch=True)
    page.goto(live_server.url + "/")
    expect(page.locator("#get-help-now a[data-call]")).to_have_text(re.compile(r"^Call \d+ now$"))
    shifts = page.evaluate(SETTLED)
    assert sum(shifts) == 0, f"layout shifts on home: {shifts}"
