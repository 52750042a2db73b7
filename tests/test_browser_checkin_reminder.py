"""The daily check-in reminder on the device, in real Chromium with Playwright's clock:
switched on in the reminders page with a time, it shows as a banner at that time on the
chosen day; "Check in" opens the check-in on My back with its first answer focused; "Not
today" is quiet until tomorrow; it stays quiet when today's check-in is already in the
diary (which never leaves the device); a safety-check hold does not pause it; as a
notification, tapping it opens the check-in."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_for_service_worker
from tests.test_browser_in_app_reminders import LOOK, SHOWN_IDS
from tests.test_browser_reminders import LONDON, WAIT_FOR_SHOWN, click_notification, notifications

pytestmark = pytest.mark.browser

CHECKIN = "daily-checkin"
MONDAY_1829 = datetime(2024, 6, 3, 18, 29, tzinfo=LONDON)
DUE_1830 = int(datetime(2024, 6, 3, 18, 30, tzinfo=LONDON).timestamp()) * 1000
DIARY = "location.origin + '/static/js/diary.js'"
STORE = "JSON.parse(localStorage.getItem('mbr.reminders'))"


@pytest.fixture
def london(new_context):
    def make(**options):
        options.setdefault("service_workers", "block")
        return new_context(timezone_id="Europe/London", **options)

    return make


def turn_on(page, base: str, time: str = "18:30", days: tuple[str, ...] = ()) -> None:
    """What a person does: the reminders page, the switch, a time, Save. `days` are
    the days to switch off, by their full names (the toggles' accessible names)."""
    page.goto(base + "/reminders")
    page.locator(f"#on-{CHECKIN}").check()
    page.locator(f"#time-{CHECKIN}").fill(time)
    for day in days:
        page.locator(f"#days-{CHECKIN}").get_by_role("checkbox", name=day, exact=True).uncheck()
    page.locator("#reminder-plan button[type=submit]").click()
    expect(page.locator("#plan-status")).to_have_text("Saved on this phone.")


def test_switched_on_with_a_time_it_shows_then_and_check_in_opens_the_checkin(live_server, london):
    context = london()
    context.clock.install(time=MONDAY_1829)
    page = context.new_page()
    turn_on(page, live_server.url)
    settings = page.evaluate(f"{STORE}.settings")
    assert settings["types"][CHECKIN] == {"on": True, "time": "18:30",
                                          "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    expect(page.locator("#next-reminder")).to_contain_text("Daily check-in at 18:30")
    banner = page.locator("#reminder-banner")
    page.evaluate(LOOK)
    expect(banner).to_be_hidden()
    context.clock.run_for(75_000)
    expect(banner).to_be_visible()
    expect(page.locator("#banner-title")).to_have_text("Daily check-in")
    expect(page.locator("#banner-body")).to_have_text("How is your back today? A check-in takes a few seconds.")
    buttons = banner.locator(".actions > *")
    assert [buttons.nth(i).inner_text() for i in range(buttons.count())] == [
        "Check in", "Snooze 10 min", "Snooze 30 min", "Not today"]
    assert page.evaluate(SHOWN_IDS) == [f"{CHECKIN}:{DUE_1830}"]
    expect(page.locator("#banner-checkin")).to_have_attribute("href", "/progress#checkin")
    page.locator("#banner-checkin").click()
    page.wait_for_url("**/progress#checkin")
    # The check-in is where the person lands: its first answer has focus.
    expect(page.locator("#checkin-form [name=pain]")).to_be_focused()
    log = page.evaluate(f"{STORE}.log")
    assert [(e["type"], e["action"], e["id"]) for e in log] == [(CHECKIN, "checkin", f"{CHECKIN}:{DUE_1830}")]


def test_not_today_is_quiet_until_tomorrow_and_only_on_the_chosen_days(live_server, london):
    context = london()
    context.clock.install(time=MONDAY_1829)
    page = context.new_page()
    turn_on(page, live_server.url, days=("Tuesday",))  # every day but Tuesday
    page.evaluate(LOOK)
    context.clock.run_for(75_000)
    expect(page.locator("#banner-title")).to_have_text("Daily check-in")
    page.locator("#banner-skip").click()
    expect(page.locator("#reminder-banner")).to_be_hidden()
    expect(page.locator("#reminder-status")).to_have_text("Okay. No more check-in reminders today.")
    expect(page.locator("#reminder-history")).to_contain_text("Daily check-in not today ×1")
    # Tuesday is off: the next one is Wednesday at 18:30.
    expect(page.locator("#next-reminder")).to_contain_text("Daily check-in at Wed 18:30")
    # (The posture breaks the default plan has come and go meanwhile.)
    checkins_shown = f"{SHOWN_IDS}.then((ids) => ids.filter((id) => id.startsWith('{CHECKIN}:')))"
    context.clock.run_for(24 * 3_600_000)
    page.evaluate(LOOK)
    assert page.evaluate(checkins_shown) == [f"{CHECKIN}:{DUE_1830}"]
    context.clock.run_for(24 * 3_600_000)
    page.evaluate(LOOK)
    wednesday = int(datetime(2024, 6, 5, 18, 30, tzinfo=LONDON).timestamp()) * 1000
    assert page.evaluate(checkins_shown) == [f"{CHECKIN}:{DUE_1830}", f"{CHECKIN}:{wednesday}"]


def test_it_stays_quiet_when_today_is_already_checked_in(live_server, london):
    context = london()
    context.clock.install(time=MONDAY_1829)
    page = context.new_page()
    turn_on(page, live_server.url)
    page.evaluate(f"""import({DIARY}).then((d) => d.saveCheckin({{
        date: '2024-06-03', pain: 3, interference: 2, stiffness: 2, stress: 4, sleep: false, note: '',
        newSign: false }}))""")
    page.evaluate(LOOK)
    context.clock.run_for(75_000)
    page.evaluate(LOOK)
    expect(page.locator("#reminder-banner")).to_be_hidden()
    assert page.evaluate(SHOWN_IDS) == []
    # Nothing about the diary went into the plan the server would get.
    store_module = "location.origin + '/static/js/reminder-store.js'"
    plan = page.evaluate(f"import({store_module}).then((m) => m.serverPlan({STORE}.settings))")
    assert plan["reminders"][CHECKIN] == {"time": "18:30", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    assert "pain" not in json.dumps(plan) and "2024-06-03" not in json.dumps(plan)


def test_a_safety_hold_does_not_pause_the_checkin(live_server, london):
    """A hold pauses the reminders that ask the person to move; checking in is fine."""
    context = london()
    context.clock.install(time=MONDAY_1829)
    page = context.new_page()
    turn_on(page, live_server.url)
    page.locator("#on-posture-break").check()
    page.locator("#reminder-plan button[type=submit]").click()
    hold = [{"date": "2024-06-03", "at": "2024-06-03T08:00:00.000Z", "level": "same-day", "reasons": ["test"]}]
    page.evaluate("(h) => localStorage.setItem('mbr.screenings', h)", json.dumps(hold))
    page.reload()
    expect(page.locator("#next-reminder")).to_contain_text("Posture break reminders are paused")
    expect(page.locator("#next-reminder")).to_contain_text("Daily check-in at 18:30")
    page.evaluate(LOOK)
    context.clock.run_for(75_000)
    expect(page.locator("#banner-title")).to_have_text("Daily check-in")


def test_as_a_notification_a_tap_opens_the_checkin(live_server, london):
    context = london(service_workers="allow")
    context.grant_permissions(["notifications"], origin=live_server.url)
    context.clock.install(time=MONDAY_1829)
    page = context.new_page()
    page.goto(live_server.url + "/")
    wait_for_service_worker(page)
    turn_on(page, live_server.url)
    page.evaluate(LOOK)
    page.evaluate(WAIT_FOR_SHOWN)
    context.clock.run_for(75_000)
    assert page.evaluate("window.__shown")["id"] == f"{CHECKIN}:{DUE_1830}"
    [note] = notifications(page)
    assert note["title"] == "Daily check-in"
    # Two buttons fit: the tap itself checks in, so they are the snooze and "Not today".
    assert note["actions"] == [["snooze", "Snooze 10 min"], ["skip", "Not today"]]
    expect(page.locator("#reminder-banner")).to_be_hidden()
    click_notification(context, live_server.url, "start")
    expect(page).to_have_url(live_server.url + "/progress#checkin")
    expect(page.locator("#checkin-form [name=pain]")).to_be_focused()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_form_and_banner_are_axe_clean_and_fit_a_small_phone(live_server, new_context, scheme):
    from tests.conftest import SMALL_PHONE
    from tests.test_accessibility import violations

    context = new_context(viewport=SMALL_PHONE, color_scheme=scheme, timezone_id="Europe/London",
                          service_workers="block")
    context.clock.install(time=MONDAY_1829)
    page = context.new_page()
    turn_on(page, live_server.url)
    page.evaluate(LOOK)
    context.clock.run_for(75_000)
    expect(page.locator("#banner-title")).to_have_text("Daily check-in")
    assert violations(page) == []
    for control in [*page.locator("#reminder-banner .actions > *").all(), page.locator(f"#time-{CHECKIN}"),
                    page.locator(f"#days-{CHECKIN} label").first]:
        box = control.bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= SMALL_PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
