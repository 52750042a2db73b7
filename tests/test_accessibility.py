"""axe-core on every page, in light and dark mode, plus the screens that only exist
once JavaScript has run (player, screening question and outcome, personal plan)."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from server.pages import page_urls

pytestmark = pytest.mark.browser

AXE = Axe()
OPTIONS = {"resultTypes": ["violations"], "runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                       "wcag22aa", "best-practice"]}


def violations(page) -> list[str]:
    results = AXE.run(page, options=OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


@pytest.fixture(params=["light", "dark"])
def scheme_page(request, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  color_scheme=request.param, service_workers="block")
    page = context.new_page()
    yield page
    context.close()


def test_every_page_has_no_axe_violations(scheme_page, live_server):
    content = live_server.app.extensions["mbr_content"]
    found = {}
    for url in ["/offline", *page_urls(content)]:
        scheme_page.goto(live_server.url + url)
        problems = violations(scheme_page)
        if problems:
            found[url] = problems
    assert found == {}


def test_interactive_screens_have_no_axe_violations(scheme_page, live_server):
    page, base = scheme_page, live_server.url
    rules = live_server.app.extensions["mbr_content"].screening
    found = {}
    page.goto(base + "/routines/desk-reset")
    page.locator("#player-start").click()
    found["player"] = violations(page)
    page.locator("#player-pause").click()
    found["player paused"] = violations(page)
    page.goto(base + "/screening")
    page.locator("#screening-start").click()
    found["question"] = violations(page)
    page.locator("#answer-yes").click()
    for _ in rules["questions"][1:]:
        page.locator("#answer-no").click()
    page.locator("#screening-outcome").wait_for()
    found["outcome"] = violations(page)
    page.goto(base + "/")
    page.locator("#plan-form input[name=choice]").first.check()
    page.locator("#plan-form button[type=submit]").click()
    found["plan"] = violations(page)
    assert {k: v for k, v in found.items() if v} == {}


def test_text_resizes_to_200_percent_without_sideways_scroll(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, service_workers="block")
    page = context.new_page()
    try:
        for url in ["/", "/stretches/chin-tuck", "/screening", "/routines/desk-reset", "/settings"]:
            page.goto(live_server.url + url)
            page.evaluate("document.documentElement.style.fontSize = '200%'")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{url} at 200% text scrolls sideways by {overflow}px"
    finally:
        context.close()
