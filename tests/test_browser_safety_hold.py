"""Holding stretches after an urgent safety-check result, in real Chromium: home, the
library, routines and the player stop offering stretches and say why with the call
first; the hold survives a reload and midnight (Playwright's clock); "a clinician has
checked me" ends it and the same answers do not bring it back, a new one does; a calmer
check ends it; and the server is asked to pause posture and movement reminders."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest_push import push_config, push_service_fixture  # noqa: F401
from tests.test_browser_screening import rules_of, run_check

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
MODULE = "new URL(document.querySelector('script[data-src*=\"reminders-page.js\"]').dataset.src, location.href).href"


@pytest.fixture
def held_page(new_context):
    return new_context(service_workers="block", timezone_id="Europe/London", locale="en-GB").new_page()


def expect_held(page, base: str, level: str) -> None:
    page.goto(base + "/")
    notice = page.locator("#stretch-hold")
    expect(notice).to_be_visible()
    expect(page.locator("#hero-start")).to_be_hidden()
    expect(page.locator("#plan")).to_be_hidden()
    expect(page.locator("#routines-title")).to_be_hidden()
    if level == "emergency":
        expect(notice.locator("#hold-call")).to_have_attribute("href", "tel:999")
    else:
        expect(notice.locator("#call-urgent")).to_have_attribute("href", "tel:111")
        expect(notice.locator("#call-urgent")).to_have_text("Call NHS 111")
    # The call or "get help today" action comes before "I have been checked".
    actions = notice.locator("a.btn-urgent, #hold-assessed")
    expect(actions.nth(0)).to_have_class("btn btn-urgent")
    page.goto(base + "/stretches")
    expect(page.locator("#stretch-hold")).to_be_visible()
    expect(page.locator("#library")).to_be_hidden()
    page.goto(base + "/routines/desk-reset?start=1")
    expect(page.locator("#stretch-hold")).to_be_visible()
    expect(page.locator("#player")).to_be_hidden()
    assert page.evaluate("window.midBackPlayer === undefined")


def expect_free(page, base: str) -> None:
    page.goto(base + "/")
    expect(page.locator("#hero-start")).to_be_visible()
    expect(page.locator("#stretch-hold")).to_have_count(0)
    page.goto(base + "/routines/desk-reset")
    expect(page.locator("#player-start")).to_be_visible()


def test_hold_survives_reload_and_midnight_until_checked(held_page, live_server):
    page, base = held_page, live_server.url
    rules = rules_of(live_server)
    page.clock.install(time=datetime(2026, 11, 25, 23, 40, tzinfo=LONDON))
    page.goto(base + "/screening")
    run_check(page, rules, {"osteoporosis": True}, age=62)
    expect(page.locator("#outcome-title")).to_have_text("Get medical help today")
    expect(page.locator("#outcome-hold")).to_contain_text("on hold")
    expect_held(page, base, "same-day")

    # Past midnight, and reloaded: still held (the advice was "until you have been checked").
    page.clock.set_system_time(datetime(2026, 11, 26, 0, 30, tzinfo=LONDON))
    page.reload()
    expect_held(page, base, "same-day")
    page.clock.set_system_time(datetime(2026, 11, 28, 9, 0, tzinfo=LONDON))
    expect_held(page, base, "same-day")

    # "A clinician has checked me": stretches come back on the spot.
    page.goto(base + "/")
    page.locator("#hold-assessed").click()
    expect(page.locator("#stretch-hold")).to_have_count(0)
    expect(page.locator("#hero-start")).to_be_visible()
    expect(page.locator("#hold-status")).to_contain_text("Stretches are back")
    expect_free(page, base)

    # The same answers (osteoporosis is remembered) do not hold stretches again.
    page.clock.set_system_time(datetime(2026, 12, 1, 9, 0, tzinfo=LONDON))
    page.goto(base + "/screening")
    run_check(page, rules, {})
    expect(page.locator("#outcome-title")).to_have_text("Get medical help today")
    expect(page.locator("#outcome-hold")).to_contain_text("already checked")
    expect_free(page, base)

    # A new answer does.
    page.goto(base + "/screening")
    run_check(page, rules, {"night-pain": "unsure"})
    expect(page.locator("#outcome-hold")).to_contain_text("on hold")
    expect_held(page, base, "same-day")


def test_emergency_hold_and_a_calmer_check_ends_it(held_page, live_server):
    page, base = held_page, live_server.url
    rules = rules_of(live_server)
    page.goto(base + "/screening")
    run_check(page, rules, {"tearing-pain": True})
    expect_held(page, base, "emergency")
    page.goto(base + "/screening")
    run_check(page, rules, {}, age=35)
    expect(page.locator("#outcome-title")).to_have_text("Self-care is reasonable")
    expect_free(page, base)


def test_hold_starts_and_ends_in_an_open_page_with_an_event(held_page, live_server):
    """mbr:hold-changed is emitted when the hold changes; the player comes back without a reload."""
    page, base = held_page, live_server.url
    rules = rules_of(live_server)
    page.goto(base + "/screening")
    run_check(page, rules, {"fever": True}, age=30)
    page.goto(base + "/routines/desk-reset")
    expect(page.locator("#player")).to_be_hidden()
    page.evaluate("""() => { window.events = [];
        document.addEventListener('mbr:hold-changed', (e) => window.events.push(e.detail)); }""")
    page.locator("#hold-assessed").click()
    expect(page.locator("#player-start")).to_be_visible()
    assert page.evaluate("window.events") == [{"held": False, "level": None}]
    page.locator("#player-start").click()
    expect(page.locator("#player-pause")).to_be_visible()


@pytest.fixture
def push_server(make_live_server, push_service):
    live = make_live_server(**push_config())
    push_service.vapid_public_key = live.app.reminders.vapid_public_key
    return live


def test_hold_pauses_posture_and_movement_reminders_on_the_server(new_context, push_server, push_service):
    base = push_server.url
    rules = rules_of(push_server)
    page = new_context(timezone_id="Europe/London").new_page()
    page.goto(base + "/reminders")
    for type_ in ("posture-break", "movement-snack", "hydration", "breathing"):
        page.locator(f"#on-{type_}").check()
    page.locator("#reminder-plan button[type=submit]").click()
    token = page.evaluate(f"async (sub) => (await import({MODULE})).registerDevice(sub)",
                          push_service.subscribe().json())["device"]

    def server_types() -> set[str]:
        stored = requests.get(base + "/api/v1/push/device", headers={"Authorization": f"Bearer {token}"},
                              timeout=10)
        return set(stored.json()["reminders"])

    assert server_types() == {"posture-break", "movement-snack", "hydration", "breathing"}
    bodies: list[str] = []
    page.on("request", lambda r: bodies.append(r.post_data or "") if r.method == "PUT" else None)

    page.goto(base + "/screening")
    run_check(page, rules, {"jaundice": True}, age=40)
    expect(page.locator("#outcome-title")).to_have_text("Get medical help today")
    page.wait_for_function(
        "() => JSON.parse(localStorage.getItem('mbr.reminders')).synced.indexOf('posture-break') === -1")
    assert server_types() == {"hydration", "breathing"}
    # No reason is sent: only the plan, with the paused types left out.
    assert bodies and all("jaundice" not in b and "screening" not in b and "hold" not in b for b in bodies)

    page.goto(base + "/reminders")
    expect(page.locator("#next-reminder")).to_contain_text("paused until a clinician has checked you")

    page.goto(base + "/")
    page.locator("#hold-assessed").click()
    page.wait_for_function(
        "() => JSON.parse(localStorage.getItem('mbr.reminders')).synced.indexOf('posture-break') !== -1")
    assert server_types() == {"posture-break", "movement-snack", "hydration", "breathing"}


def test_a_pause_the_server_missed_is_sent_again_from_any_page(new_context, push_server, push_service):
    """The result came while the server could not be told (503): the next page the person
    opens, whichever it is, tells it; and a page with nothing new sends nothing."""
    base = push_server.url
    rules = rules_of(push_server)
    context = new_context(timezone_id="Europe/London")
    context.error_guard.allow(r"Failed to load resource: the server responded with a status of 503")
    page = context.new_page()
    page.goto(base + "/reminders")
    for type_ in ("posture-break", "movement-snack", "hydration", "breathing"):
        page.locator(f"#on-{type_}").check()
    page.locator("#reminder-plan button[type=submit]").click()
    token = page.evaluate(f"async (sub) => (await import({MODULE})).registerDevice(sub)",
                          push_service.subscribe().json())["device"]

    def server_types() -> set[str]:
        stored = requests.get(base + "/api/v1/push/device", headers={"Authorization": f"Bearer {token}"},
                              timeout=10)
        return set(stored.json()["reminders"])

    puts: list[int] = []
    page.on("requestfinished", lambda r: puts.append(1) if r.method == "PUT" else None)
    page.route("**/api/v1/push/device", lambda route: route.fulfill(status=503, body="")
               if route.request.method == "PUT" else route.fallback())
    page.goto(base + "/screening")
    run_check(page, rules, {"lump-or-deformity": True}, age=40)
    expect(page.locator("#outcome-title")).to_have_text("Get medical help today")
    page.wait_for_function("() => window.performance.getEntriesByType('resource')"
                           ".some((e) => e.name.endsWith('/api/v1/push/device'))")
    assert server_types() == {"posture-break", "movement-snack", "hydration", "breathing"}
    assert "posture-break" in page.evaluate("JSON.parse(localStorage.getItem('mbr.reminders')).synced")

    page.unroute("**/api/v1/push/device")
    page.goto(base + "/about")  # not a page that offers stretches, nor the reminders page
    page.wait_for_function(
        "() => JSON.parse(localStorage.getItem('mbr.reminders')).synced.indexOf('posture-break') === -1")
    assert server_types() == {"hydration", "breathing"}
    sent = len(puts)
    page.goto(base + "/stretches")
    expect(page.locator("#stretch-hold")).to_be_visible()
    page.goto(base + "/about")
    expect(page.locator("h1")).to_be_visible()
    assert len(puts) == sent


HOLD_CASES = [
    # (checks as (time, level, yes-answers), assessed (time, covered) or None, index of the holding check or None)
    ([("t1", "same-day", ["fever"])], None, 0),
    ([("t1", "emergency", ["chest-pain"])], None, 0),
    ([("t1", "appointment", ["age-50-plus"])], None, None),
    ([("t1", "same-day", ["fever"]), ("t3", "self-care", [])], None, None),  # a calmer check ends it
    ([("t1", "same-day", ["fever"])], ("t2", ["fever"]), None),  # checked after it
    ([("t3", "same-day", ["fever"])], ("t2", ["fever"]), None),  # same answers again
    ([("t3", "same-day", ["fever", "osteoporosis"])], ("t2", ["fever"]), 0),  # a new answer
    # Fever went away (t3), then came back (t4): new again.
    ([("t3", "same-day", ["osteoporosis"]), ("t4", "same-day", ["osteoporosis", "fever"])],
     ("t2", ["fever", "osteoporosis"]), 1),
    # Stayed the same throughout: still covered.
    ([("t3", "same-day", ["osteoporosis"]), ("t4", "same-day", ["osteoporosis"])], ("t2", ["osteoporosis"]), None),
    # "Not sure" is a yes for this too.
    ([("t3", "same-day", ["osteoporosis", "~jaundice"])], ("t2", ["osteoporosis"]), 0),
]


def test_hold_rules(page, live_server):
    """safety.js holdFrom, the pure rule behind the hold, case by case."""
    page.goto(live_server.url + "/")
    cases = []
    for checks, assessed, _ in HOLD_CASES:
        records = [{"at": f"2026-11-25T10:0{t[1]}:00.000Z", "level": level,
                    "answers": {a.lstrip("~"): ("unsure" if a.startswith("~") else True) for a in yes}}
                   for t, level, yes in checks]
        done = None if assessed is None else {"at": f"2026-11-25T10:0{assessed[0][1]}:00.000Z",
                                                "covered": assessed[1]}
        cases.append([records, done])
    got = page.evaluate("""async (cases) => {
        const { holdFrom } = await import('/static/js/safety.js');
        return cases.map(([records, done]) => records.indexOf(holdFrom(records, done)));
    }""", cases)
    assert got == [-1 if want is None else want for _, _, want in HOLD_CASES]
