"""Shorter holds in the player when the pain is high (issue 13), in real Chromium with
Playwright's clock: with today's check-in at pain 8 the plan's high-pain adaptation
(content/progress.yaml) halves every hold, never below its minimum, on a routine and on
a stretch page's timer, and the player says why, with a way back to the usual holds;
with pain 3, or no diary, everything is as usual."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DIARY = "location.origin + '/static/js/diary.js'"
SEED = f"""(pain) => import({DIARY}).then((d) => d.saveCheckin({{
  date: new Date().toLocaleDateString('en-CA'), pain, interference: 4, stiffness: 4, stress: 3, sleep: false,
  note: '', newSign: false }}))"""
NOTE = "Holds are shorter today because you said your pain is high."


def holds(app) -> dict:
    [rule] = [a for a in app.extensions["mbr_content"].progress["adaptations"] if a.get("holds")]
    assert rule["id"] == "high-pain" and rule["when"] == {"pain_at_least": 7}
    return rule["holds"]


def shortened(seconds: int, rule: dict) -> int:
    return min(seconds, max(rule["min_seconds"], round(seconds * rule["fraction"] + 1e-9)))


def expected_steps(app, routine_id: str, rule: dict | None) -> list[int]:
    content = app.extensions["mbr_content"]
    out = []
    for step in content.routines[routine_id]["steps"]:
        ex = content.exercises[step["exercise"]]
        is_hold = ex["hold_seconds"] >= 5 and rule is not None and ex["kind"] in rule["kinds"]
        out.append(shortened(step["seconds"], rule) if is_hold else step["seconds"])
    return out


def seeded_page(new_context, server, pain: int | None):
    context = new_context(service_workers="block")
    page = context.new_page()
    page.clock.install()
    page.goto(server.url + "/")
    if pain is not None:
        page.evaluate(SEED, pain)
    return page


def test_pain_8_halves_the_holds_of_a_routine_and_says_why(new_context, live_server):
    app = live_server.app
    rule = holds(app)
    page = seeded_page(new_context, live_server, 8)
    page.goto(live_server.url + "/routines/movement-snack")
    want = expected_steps(app, "movement-snack", rule)
    usual = expected_steps(app, "movement-snack", None)
    assert want != usual and want == [45, 20, 13, 15]  # the doorway stretch 30 -> 15 s, the squeeze 25 -> 13 s
    expect(page.locator("#player-holds")).to_be_visible()
    expect(page.locator("#player-holds-text")).to_have_text(NOTE)
    expect(page.locator("#player-holds a")).to_have_attribute("href", "/progress#checkin")
    expect(page.locator("#player-holds a")).to_have_text("Change in My back")
    expect(page.locator(".step-seconds")).to_have_text([f"{s} s" for s in want])
    # The player runs the shorter times: skip to the doorway stretch and read its clock.
    page.locator("#player-start").click()
    expect(page.locator("#player-holds-line")).to_be_visible()
    page.clock.run_for(3000)
    for _ in range(3):
        page.locator("#player-skip").click()
    expect(page.locator("#player-now")).to_have_text("Doorway chest stretch")
    expect(page.locator("#player-count")).to_have_text(f"0:{want[3]:02d}")
    page.clock.run_for(want[3] * 1000 + 400)
    expect(page.locator("#player-done")).to_contain_text("recorded")


def test_the_person_can_choose_the_usual_holds_for_today(new_context, live_server):
    app = live_server.app
    page = seeded_page(new_context, live_server, 8)
    page.goto(live_server.url + "/routines/movement-snack")
    usual = expected_steps(app, "movement-snack", None)
    expect(page.locator("#player-holds-toggle")).to_have_text("Use normal holds")
    page.locator("#player-holds-toggle").click()
    expect(page.locator(".step-seconds")).to_have_text([f"{s} s" for s in usual])
    expect(page.locator("#player-holds-text")).to_contain_text("Usual holds today, as you chose")
    expect(page.locator("#player-holds-toggle")).to_have_text("Use shorter holds")
    # The choice lasts for today, on every player.
    page.reload()
    expect(page.locator("#player-holds-toggle")).to_have_text("Use shorter holds")
    expect(page.locator(".step-seconds")).to_have_text([f"{s} s" for s in usual])
    page.locator("#player-start").click()
    expect(page.locator("#player-holds-line")).to_be_hidden()
    page.clock.run_for(3000)
    expect(page.locator("#player-count")).to_have_text(f"0:{usual[0]:02d}")


def test_a_stretch_timer_holds_half_as_long_at_pain_8(new_context, live_server):
    content = live_server.app.extensions["mbr_content"]
    rule = holds(live_server.app)
    ex = content.exercises["doorway-chest-stretch"]
    assert ex["hold_seconds"] == 20 and ex["kind"] in rule["kinds"]
    page = seeded_page(new_context, live_server, 8)
    page.goto(live_server.url + "/stretches/doorway-chest-stretch")
    expect(page.locator("#player-holds-text")).to_have_text(NOTE)
    expect(page.locator("#timer-summary")).to_have_text(
        "3 holds of 10 s, about 30 s in all, with a beep at each change.")
    page.locator("#player-holds-toggle").click()
    expect(page.locator("#timer-summary")).to_have_text(
        "3 holds of 20 s, about 1 min in all, with a beep at each change.")
    page.locator("#player-holds-toggle").click()
    expect(page.locator("#timer-summary")).to_contain_text("3 holds of 10 s")
    page.locator("#player-start").click()
    page.clock.run_for(3000)
    expect(page.locator("#player-count")).to_have_text(f"0:{shortened(20, rule):02d}")  # 0:10
    # A hold already at or under the minimum stays as it is: nothing to say there.
    page.goto(live_server.url + "/stretches/thread-the-needle")
    assert content.exercises["thread-the-needle"]["hold_seconds"] <= rule["min_seconds"]
    page.locator("#player-start").click()
    page.clock.run_for(3000)
    expect(page.locator("#player-count")).to_have_text("0:05")
    expect(page.locator("#player-holds")).to_be_hidden()


@pytest.mark.parametrize("pain", [3, None])
def test_with_pain_3_or_no_diary_holds_are_as_usual(new_context, live_server, pain):
    app = live_server.app
    page = seeded_page(new_context, live_server, pain)
    page.goto(live_server.url + "/routines/movement-snack")
    page.locator("#player-start").click()
    page.clock.run_for(3000)
    usual = expected_steps(app, "movement-snack", None)
    expect(page.locator("#player-count")).to_have_text(f"0:{usual[0]:02d}")
    expect(page.locator(".step-seconds")).to_have_text([f"{s} s" for s in usual])
    expect(page.locator("#player-holds")).to_be_hidden()
    expect(page.locator("#player-holds-line")).to_be_hidden()
    for _ in range(3):
        page.locator("#player-skip").click()
    expect(page.locator("#player-count")).to_have_text(f"0:{usual[3]:02d}")
    page.goto(live_server.url + "/stretches/doorway-chest-stretch")
    page.locator("#player-start").click()
    page.clock.run_for(3000)
    expect(page.locator("#player-count")).to_have_text("0:20")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_note_is_axe_clean_and_fits_a_small_phone(new_context, live_server, scheme):
    from tests.conftest import SMALL_PHONE
    from tests.test_accessibility import violations

    context = new_context(viewport=SMALL_PHONE, color_scheme=scheme, service_workers="block")
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.evaluate(SEED, 8)
    page.goto(live_server.url + "/routines/movement-snack")
    expect(page.locator("#player-holds")).to_be_visible()
    assert violations(page) == []
    for control in page.locator("#player-holds .actions > *").all():
        box = control.bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= SMALL_PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
