"""How a page's modules start (client/templates/inline/load-modules.js): after the first
paint, in short tasks (issue 14: Total Blocking Time), one module after another. Cutting
the work up must not change what a person gets: every page is still enhanced completely,
<html data-enhanced> still means every module (and every step a module spreads over
several tasks) has run, and no timer is needed, so a page whose timers are paused still
comes alive."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = ["/", "/screening", "/stretches", "/stretches/chin-tuck", "/routines/desk-reset",
         "/causes/muscular-postural/poor-posture", "/reminders", "/settings", "/progress"]

# Records, at the moment <html data-enhanced> appears, what app.js's steps leave behind:
# the emergency phrases filled in (its first step), the hold's status line (its second)
# and whether the page module's own work is there (the library shows its filters).
WATCH_ENHANCED = """
new MutationObserver((records, observer) => {
  if (!document.documentElement.hasAttribute('data-enhanced')) return;
  observer.disconnect();
  const filters = document.querySelector('.filters');
  window.__atEnhanced = {
    filled: document.querySelectorAll('span.fill[data-fill]').length,
    unfilled: [...document.querySelectorAll('a[data-call], footer')]
      .filter((node) => /your emergency number/i.test(node.textContent)).length,
    holdStatus: Boolean(document.getElementById('hold-status')),
    filtersShown: filters ? !filters.hidden : null,
  };
}).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-enhanced'] });
"""


def test_enhanced_means_every_step_of_every_module_has_run(new_context, live_server):
    context = new_context(service_workers="block")
    context.add_init_script(WATCH_ENHANCED)
    page = context.new_page()
    for url in PAGES:
        page.goto(live_server.url + url)  # waits for <html data-enhanced> (conftest.py)
        seen = page.evaluate("window.__atEnhanced")
        assert seen["filled"] > 0, url
        assert seen["unfilled"] == 0, url
        assert seen["holdStatus"], url
        if url == "/stretches":
            assert seen["filtersShown"] is True


def test_a_page_whose_timers_are_paused_is_still_enhanced(new_context, live_server):
    """The loader and app.js yield with scheduler.yield (or a MessageChannel), never a
    timer: with the clock paused every page still gets its modules, its drawings and
    the person's emergency number."""
    context = new_context(service_workers="block")
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    context.clock.install(time=start)
    context.clock.pause_at(start + timedelta(seconds=1))
    page = context.new_page()
    for url in PAGES:
        page.goto(live_server.url + url)  # waits for <html data-enhanced> (conftest.py)
        expect(page.locator("footer.foot")).not_to_contain_text("your emergency number")
        expect(page.locator("footer.foot a.tel")).to_have_count(1)
        for use in page.locator("use[data-href]").all():
            assert use.get_attribute("href") == use.get_attribute("data-href"), url
    page.goto(live_server.url + "/stretches")
    page.get_by_role("button", name="At a desk").click()
    expect(page.locator("#library > [data-desk=\"false\"]").first).to_be_hidden()
