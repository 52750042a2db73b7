"""In-app reminders on every page (client/static/js/reminder-watch.js), in real Chromium
with Playwright's clock: a reminder that falls due while Home, a stretch page or the
player is open shows there, once across all open tabs; one that fell due while the app
was closed shows once on the next open within the grace period and not after it; with
push active the push path wins and nothing shows twice; each reminder type offers its
own actions, and a glass drunk counts toward today."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from playwright.sync_api import expect

from server.reminders.schemas import reminder_payload
from tests.conftest import wait_for_service_worker
from tests.conftest_push import push_config, push_service_fixture  # noqa: F401
from tests.test_browser_reminders import (
    INCOGNITO_PUSH,
    LONDON,
    WAIT_FOR_SHOWN,
    PushDriver,
    click_notification,
    notifications,
    register,
)

pytestmark = pytest.mark.browser

MONDAY_0929 = datetime(2024, 6, 3, 9, 29, tzinfo=LONDON)
DUE_0930 = int(datetime(2024, 6, 3, 9, 30, tzinfo=LONDON).timestamp()) * 1000
GRACE_MS = 900_000
WATCH = "location.origin + '/static/js/reminder-watch.js'"
SHOWN_IDS = f"import({WATCH}).then((m) => m.shownIds())"
LOOK = f"import({WATCH}).then((m) => m.watch().tick()).then(() => true)"


@pytest.fixture
def london(new_context):
    def make(**options):
        options.setdefault("service_workers", "allow")
        return new_context(timezone_id="Europe/London", **options)

    return make


def stretch_and_routine(app) -> tuple[str, str]:
    content = app.extensions["mbr_content"]
    return next(iter(content.exercises)), next(iter(content.routines))


def custom_plan(types: dict[str, int], start: str = "09:00", end: str = "17:30") -> str:
    """A reminder plan the person edited: the given types at the given intervals."""
    settings = {
        "timezone": "Europe/London", "windows": [{"start": start, "end": end}],
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "types": {t: {"on": t in types, "interval": types.get(t, 60)}
                  for t in ("posture-break", "movement-snack", "hydration", "breathing")},
        "target": 8, "custom": True,
    }
    return json.dumps({"v": 1, "settings": settings, "state": {"pausedUntil": None, "snoozed": {}, "notBefore": {},
                                                                "lastCheck": None}, "log": [], "synced": None})


@pytest.mark.parametrize("where", ["home", "stretch", "player"])
def test_a_reminder_that_falls_due_shows_on_any_page(live_server, london, where):
    stretch, routine = stretch_and_routine(live_server.app)
    path = {"home": "/", "stretch": f"/stretches/{stretch}", "player": f"/routines/{routine}"}[where]
    context = london()
    page = context.new_page()
    page.clock.install(time=MONDAY_0929)
    page.goto(live_server.url + path)
    if where == "player":
        page.locator("#player-start").click()
        expect(page.locator("#player-now")).to_be_visible()
    banner = page.locator("#reminder-banner")
    page.evaluate(LOOK)
    expect(banner).to_be_hidden()
    page.clock.run_for(75_000)
    expect(banner).to_be_visible()
    expect(page.locator("#banner-title")).to_have_text("Posture break")
    expect(page.locator("#banner-start")).to_have_attribute("href", "/routines/desk-reset?start=1")
    assert page.evaluate(SHOWN_IDS) == [f"posture-break:{DUE_0930}"]
    page.locator("#banner-done").click()
    expect(banner).to_be_hidden()
    expect(page.locator("#reminder-status")).to_have_text("Done. Well moved.")
    # Later looks do not bring the same reminder back.
    page.clock.run_for(60_000)
    page.evaluate(LOOK)
    expect(banner).to_be_hidden()
    log = page.evaluate("JSON.parse(localStorage.getItem('mbr.reminders')).log")
    assert [(e["type"], e["action"], e["id"]) for e in log] == [("posture-break", "done", f"posture-break:{DUE_0930}")]


def test_with_home_a_stretch_and_the_player_open_it_shows_once(live_server, london):
    stretch, routine = stretch_and_routine(live_server.app)
    context = london()
    context.clock.install(time=MONDAY_0929)
    pages = []
    for path in ("/", f"/stretches/{stretch}", f"/routines/{routine}"):
        page = context.new_page()
        page.goto(live_server.url + path)
        page.evaluate(LOOK)
        pages.append(page)
    context.clock.run_for(75_000)
    for page in pages:  # every tab has looked since the reminder fell due
        page.evaluate(LOOK)
    visible = [p for p in pages if p.locator("#reminder-banner").is_visible()]
    assert len(visible) == 1
    assert pages[0].evaluate(SHOWN_IDS) == [f"posture-break:{DUE_0930}"]


def test_a_reminder_missed_while_closed_shows_once_on_the_next_open_within_grace(live_server, london):
    context = london()
    context.clock.install(time=datetime(2024, 6, 3, 9, 0, tzinfo=LONDON))
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.evaluate(LOOK)
    assert page.evaluate("JSON.parse(localStorage.getItem('mbr.reminders')).state.lastCheck") is not None
    page.close()

    # The app stays closed through 09:30; opened at 09:40, the 09:30 reminder shows.
    context.clock.set_system_time(datetime(2024, 6, 3, 9, 40, tzinfo=LONDON))
    page = context.new_page()
    page.goto(live_server.url + "/stretches")
    expect(page.locator("#reminder-banner")).to_be_visible()
    expect(page.locator("#banner-title")).to_have_text("Posture break")
    assert page.evaluate(SHOWN_IDS) == [f"posture-break:{DUE_0930}"]
    # Opened again without acting on it: it is not shown a second time.
    page.close()
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.evaluate(LOOK)
    expect(page.locator("#reminder-banner")).to_be_hidden()


def test_a_reminder_older_than_the_grace_period_is_not_shown(live_server, london):
    context = london()
    context.clock.install(time=datetime(2024, 6, 3, 9, 0, tzinfo=LONDON))
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.evaluate(LOOK)
    page.close()
    # 09:30 was due; at 09:45:01 it is more than 15 minutes old.
    context.clock.set_system_time(datetime.fromtimestamp((DUE_0930 + GRACE_MS + 1000) / 1000, LONDON))
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.evaluate(LOOK)
    expect(page.locator("#reminder-banner")).to_be_hidden()
    assert page.evaluate(SHOWN_IDS) == []


@pytest.fixture
def push_server(make_live_server, push_service):
    live = make_live_server(**push_config())
    push_service.vapid_public_key = live.app.reminders.vapid_public_key
    return live


def test_with_push_active_the_push_wins_and_nothing_shows_twice(push_server, push_service, london):
    context = london()
    context.error_guard.allow(INCOGNITO_PUSH)
    context.grant_permissions(["notifications"], origin=push_server.url)
    context.clock.install(time=MONDAY_0929)
    page = context.new_page()
    page.goto(push_server.url + "/reminders")
    wait_for_service_worker(page)
    register(page, push_service.subscribe().json())
    page.evaluate("""() => {
      window.__shownCount = 0;
      navigator.serviceWorker.addEventListener('message', (e) => {
        if (e.data && e.data.type === 'REMINDER_SHOWN') window.__shownCount += 1;
      });
    }""")

    # 09:30: the push arrives (the server's payload for that reminder) and is shown.
    context.clock.run_for(61_000)
    payload = reminder_payload(push_server.app.reminders.texts["posture-break"], DUE_0930 // 1000)
    driver = PushDriver(context, page, push_server.url)
    shown = driver.deliver(payload)
    assert shown["id"] == f"posture-break:{DUE_0930}"

    # The page looks again after its head start for push: the id is taken, it stays quiet.
    context.clock.run_for(5 * 60_000)
    page.evaluate(LOOK)
    assert page.evaluate(SHOWN_IDS) == [f"posture-break:{DUE_0930}"]
    expect(page.locator("#reminder-banner")).to_be_hidden()
    assert len(notifications(page)) == 1
    # One more round trip through the worker: no second notification was asked for.
    page.evaluate("""navigator.serviceWorker.ready.then((r) => new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve(true);
      r.active.postMessage({ type: 'GET_VERSION' }, [channel.port2]);
    }))""")
    assert page.evaluate("window.__shownCount") == 1

    # A push that never comes (10:00): after the head start the page shows it itself.
    page.evaluate(WAIT_FOR_SHOWN)
    context.clock.run_for(30 * 60_000)
    page.evaluate(LOOK)
    later = page.evaluate("window.__shown")
    assert later["id"] == f"posture-break:{DUE_0930 + 1_800_000}"


def test_each_type_has_its_own_actions_and_a_glass_counts_toward_today(live_server, london):
    context = london()
    context.clock.install(time=MONDAY_0929)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.evaluate("(plan) => localStorage.setItem('mbr.reminders', plan)",
                  custom_plan({"posture-break": 30, "movement-snack": 30, "hydration": 30, "breathing": 30}))
    page.goto(live_server.url + "/reminders")
    page.evaluate(LOOK)
    context.clock.run_for(75_000)
    banner = page.locator("#reminder-banner")
    seen = {}
    # All four fell due at 09:30: the banner shows them one after the other.
    for _ in range(4):
        expect(banner).to_be_visible()
        title = page.locator("#banner-title").inner_text()
        buttons = banner.locator(".actions > *")
        seen[title] = [buttons.nth(i).inner_text() for i in range(buttons.count())]
        if title == "Drink of water":
            page.locator("#banner-drank").click()
            expect(page.locator("#glasses-text")).to_have_text("1 of 8 glasses")
            expect(page.locator("#reminder-status")).to_have_text("Logged a glass: 1 of 8 today.")
        elif title == "Breathing break":
            expect(page.locator("#banner-start")).to_have_attribute("href", "/routines/calm-down?start=1")
            page.locator("#banner-snooze10").click()
        else:
            page.locator("#banner-snooze30" if title == "Movement snack" else "#banner-done").click()
    expect(banner).to_be_hidden()
    assert seen == {
        "Posture break": ["Start", "Snooze 10 min", "Snooze 30 min", "Done"],
        "Movement snack": ["Start", "Snooze 10 min", "Snooze 30 min", "Done"],
        "Drink of water": ["I drank a glass", "Snooze 10 min", "Snooze 30 min"],
        "Breathing break": ["Start", "Snooze 10 min", "Snooze 30 min"],
    }
    expect(page.locator("#reminder-history")).to_contain_text("1 glass of water")
    # Breathing's Start opens the breathing exercise, and is history.
    context.clock.run_for(10 * 60_000 + 16_000)
    page.evaluate(LOOK)
    expect(page.locator("#banner-title")).to_have_text("Breathing break")
    page.locator("#banner-start").click()
    page.wait_for_url("**/routines/calm-down?start=1")
    log = page.evaluate("JSON.parse(localStorage.getItem('mbr.reminders')).log")
    assert sorted((e["type"], e["action"]) for e in log) == [
        ("breathing", "snooze"), ("breathing", "start"), ("hydration", "drank"), ("movement-snack", "snooze"),
        ("posture-break", "done")]
    assert log[-1]["action"] == "start"


def test_a_drink_notification_offers_a_glass_not_a_routine(live_server, london):
    """With notifications allowed, the page's reminder is a notification from the
    service worker with the type's own buttons; "I drank a glass" on it counts."""
    context = london()
    context.grant_permissions(["notifications"], origin=live_server.url)
    context.clock.install(time=MONDAY_0929)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.evaluate("(plan) => localStorage.setItem('mbr.reminders', plan)", custom_plan({"hydration": 30}))
    page.goto(live_server.url + "/reminders")
    wait_for_service_worker(page)
    page.evaluate(LOOK)
    page.evaluate(WAIT_FOR_SHOWN)
    context.clock.run_for(75_000)
    assert page.evaluate("window.__shown")["id"] == f"hydration:{DUE_0930}"
    [note] = notifications(page)
    assert note["title"] == "Drink of water"
    assert note["actions"] == [["drank", "I drank a glass"], ["snooze", "Snooze 10 min"]]
    expect(page.locator("#reminder-banner")).to_be_hidden()
    click_notification(context, live_server.url, "drank")
    # The worker queues the tap (stamped with its own clock, which Playwright's clock
    # does not reach) and the open page adds it to the history.
    expect(page.locator("#reminder-history")).to_contain_text("1 glass of water")
    log = page.evaluate("JSON.parse(localStorage.getItem('mbr.reminders')).log")
    assert [(e["type"], e["action"], e["id"]) for e in log] == [("hydration", "drank", f"hydration:{DUE_0930}")]
    # Tapping a drink notification itself opens the reminders screen, not a routine.
    templates = live_server.app.reminders.payload_templates()
    assert templates["hydration"]["notification"]["navigate"] == "/reminders"
    assert [a["action"] for a in templates["hydration"]["notification"]["actions"]] == ["drank", "snooze"]


def test_a_push_button_link_is_applied_once(live_server, london):
    """Safari shows a push by itself and opens the button's link
    (/reminders?action=drank&reminder=<id>): the page applies it once and tidies the URL."""
    context = london()
    context.clock.install(time=datetime(2024, 6, 3, 9, 31, tzinfo=LONDON))
    page = context.new_page()
    link = f"/reminders?action=drank&reminder=hydration%3A{DUE_0930}"
    page.goto(live_server.url + link)
    expect(page.locator("#glasses-text")).to_have_text("1 of 8 glasses")
    expect(page).to_have_url(live_server.url + "/reminders")
    page.goto(live_server.url + link)  # the same link again (back button, a second tap)
    page.evaluate(LOOK)
    expect(page).to_have_url(live_server.url + "/reminders")
    expect(page.locator("#glasses-text")).to_have_text("1 of 8 glasses")
    # An action the type does not offer is ignored.
    page.goto(live_server.url + f"/reminders?action=drank&reminder=posture-break%3A{DUE_0930}")
    page.evaluate(LOOK)
    expect(page).to_have_url(live_server.url + f"/reminders?action=drank&reminder=posture-break%3A{DUE_0930}")
    log = page.evaluate("JSON.parse(localStorage.getItem('mbr.reminders')).log")
    assert [(e["type"], e["action"]) for e in log] == [("hydration", "drank")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_banner_has_no_axe_violations_and_fits_a_small_phone(live_server, new_context, scheme):
    from tests.conftest import SMALL_PHONE
    from tests.test_accessibility import violations

    context = new_context(viewport=SMALL_PHONE, color_scheme=scheme, timezone_id="Europe/London")
    context.clock.install(time=MONDAY_0929)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.evaluate("(plan) => localStorage.setItem('mbr.reminders', plan)",
                  custom_plan({"posture-break": 30, "hydration": 30}))
    page.goto(live_server.url + "/stretches")
    page.evaluate(LOOK)
    context.clock.run_for(75_000)
    expect(page.locator("#reminder-banner")).to_be_visible()
    assert violations(page) == []
    # One-handed on 320 px: every action is a full-width target at least 44 px tall.
    for button in page.locator("#reminder-banner .actions > *").all():
        box = button.bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= SMALL_PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]


def test_a_last_look_in_the_future_does_not_silence_reminders(live_server, london):
    """A phone whose clock was wrong (ahead) and then put right still gets reminders."""
    context = london()
    context.clock.install(time=MONDAY_0929)
    page = context.new_page()
    page.goto(live_server.url + "/")
    plan = json.loads(custom_plan({"posture-break": 30}))
    plan["state"]["lastCheck"] = DUE_0930 + 365 * 86_400_000
    page.evaluate("(plan) => localStorage.setItem('mbr.reminders', plan)", json.dumps(plan))
    page.reload()
    page.evaluate(LOOK)
    context.clock.run_for(75_000)
    expect(page.locator("#reminder-banner")).to_be_visible()
    expect(page.locator("#banner-title")).to_have_text("Posture break")
