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
def scheme_page(request, new_context):
    return new_context(color_scheme=request.param, service_workers="block").new_page()


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
    found = {}
    page.goto(base + "/routines/desk-reset")
    page.locator("#player-start").click()
    found["player"] = violations(page)
    page.locator("#player-pause").click()
    found["player paused"] = violations(page)
    page.goto(base + "/screening")
    page.locator("#screening-start").click()
    found["question"] = violations(page)
    for _ in range(10):
        page.locator("#answer-no").click()
    page.locator("#age-input").wait_for()
    found["age question"] = violations(page)
    page.locator("#age-continue").click()
    page.locator("#age-error").wait_for()
    found["age question, refused"] = violations(page)
    page.locator("#age-input").fill("52")
    page.locator("#age-continue").click()
    found["profile question"] = violations(page)
    while page.locator("#screening-outcome").count() == 0:
        page.locator("#answer-no").click()
    found["outcome"] = violations(page)
    page.locator("#screening-again").click()
    page.locator("#answer-unsure").click()
    page.locator("#screening-outcome").wait_for()
    found["emergency outcome"] = violations(page)
    page.goto(base + "/")
    page.locator("#stretch-hold").wait_for()
    found["home, stretches on hold"] = violations(page)
    page.goto(base + "/routines/desk-reset")
    page.locator("#stretch-hold").wait_for()
    found["routine, stretches on hold"] = violations(page)
    page.locator("#hold-assessed").click()
    page.goto(base + "/settings")
    page.locator("#emergency-number").fill("111")
    page.locator("#settings-emergency button[type=submit]").click()
    page.locator("#emergency-warning").wait_for()
    found["settings, number warning"] = violations(page)
    page.goto(base + "/")
    page.locator("#plan-form input[name=choice]").first.check()
    page.locator("#plan-form button[type=submit]").click()
    found["plan"] = violations(page)
    assert {k: v for k, v in found.items() if v} == {}


def test_text_resizes_to_200_percent_without_sideways_scroll(new_context, live_server):
    page = new_context(service_workers="block").new_page()
    for url in ["/", "/stretches/chin-tuck", "/screening", "/routines/desk-reset", "/settings"]:
        page.goto(live_server.url + url)
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{url} at 200% text scrolls sideways by {overflow}px"


def test_screening_and_player_work_by_keyboard_alone(page, live_server):
    page.goto(live_server.url + "/screening")
    # Skip link first, then the header, the tab bar is last: Tab until Start has focus.
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "screening-start":
            break
    assert page.evaluate("document.activeElement.id") == "screening-start"
    page.keyboard.press("Enter")
    for _ in range(40):
        if page.locator("#screening-outcome").count():
            break
        # Focus moves to the question; the next Tab reaches Yes (or the age field), the
        # one after No (or Continue).
        assert page.evaluate("document.activeElement.id") == "screening-question"
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "age-input":
            page.keyboard.type("44")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "age-continue"
        else:
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "answer-no"
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "outcome-title"
    assert page.locator("#outcome-live").inner_text() == "Result: Self-care is reasonable."

    page.goto(live_server.url + "/routines/desk-reset")
    page.locator("#player-start").focus()
    page.keyboard.press("Enter")
    assert page.locator("#player-live").inner_text().startswith("Get ready. Step 1 of")
    # Focus moves to the player's main control, so Space pauses straight away.
    assert page.evaluate("document.activeElement.id") == "player-pause"
    page.keyboard.press("Space")
    assert page.locator("#player-pause").get_attribute("aria-pressed") == "true"


def test_progress_with_a_diary_has_no_axe_violations(scheme_page, live_server):
    """/progress with 60 days of check-ins (charts, table, insights, plan, safety offer,
    summary), at phone width and at 320 px, and the home check-in card."""
    from datetime import date

    from bench.diary_seed import diary, seed_page

    page, base = scheme_page, live_server.url
    found = {}
    page.goto(base + "/progress")
    seed_page(page, diary(date.today(), 60, worsening=True))
    page.reload()
    page.locator("body[data-progress-ready]").wait_for()
    page.locator("#safety-offer").wait_for()
    page.locator(".chart-table summary").click()
    page.locator(".checkin-more summary").click()
    found["progress"] = violations(page)
    page.set_viewport_size({"width": 320, "height": 640})
    found["progress, 320 px"] = violations(page)
    page.evaluate("localStorage.setItem('mbr.plan', JSON.stringify({choices: [], skipped: true}))")
    page.goto(base + "/routines/desk-reset")
    page.locator("#pain-rating").wait_for()
    found["routine pain rating"] = violations(page)
    page.evaluate("""async () => {
      const src = document.querySelector('script[data-src*="/js/"]').getAttribute('data-src');
      const m = await import(src.slice(0, src.indexOf('/js/') + 4) + 'diary.js');
      await m.diarySection.erase();
    }""")
    page.goto(base + "/")
    page.locator("#checkin-prompt").wait_for()
    found["home check-in card"] = violations(page)
    assert {k: v for k, v in found.items() if v} == {}
