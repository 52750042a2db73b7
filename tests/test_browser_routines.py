"""Guided routines, the personal plan and the data tools, in real Chromium, offline,
with Playwright's clock so the countdown is exact and the test does not wait."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_for_service_worker
from tests.test_browser_pwa import wait_for_precache

pytestmark = pytest.mark.browser


def go_offline(context, page, server):
    """Offline once the worker controls the page and its cache holds every file the
    server precaches (the exact list, not a count)."""
    page.goto(server.url + "/")
    wait_for_service_worker(page)
    wait_for_precache(page, server)
    context.set_offline(True)


def test_full_routine_offline_with_pause_skip_back_and_reload(context, live_server):
    content = live_server.app.extensions["mbr_content"]
    routine = content.routines["desk-reset"]
    steps = routine["steps"]
    assert len(steps) >= 3
    titles = [content.exercises[s["exercise"]]["title"] for s in steps]
    page = context.new_page()
    page.clock.install()
    go_offline(context, page, live_server)

    page.goto(live_server.url + "/routines/desk-reset")
    page.locator("#player-start").click()
    expect(page.locator("#player-now")).to_have_text(titles[0], use_inner_text=True)
    expect(page.locator("#player-progress-text")).to_have_text(f"Step 1 of {len(steps)}", use_inner_text=True)
    # A 3-second get-ready count-in, then the first step's own time.
    expect(page.locator("#player-count")).to_have_text("3", use_inner_text=True)
    expect(page.locator("#player-skip")).to_have_text("Go now", use_inner_text=True)
    page.clock.run_for(3000)
    expect(page.locator("#player-count")).to_have_text(f"0:{steps[0]['seconds']:02d}", use_inner_text=True)
    expect(page.locator("#player-next")).to_have_text(f"Next: {titles[1]}", use_inner_text=True)

    # The first step runs out by itself.
    page.clock.run_for(steps[0]["seconds"] * 1000 + 400)
    expect(page.locator("#player-now")).to_have_text(titles[1], use_inner_text=True)

    # Pause holds the time.
    page.clock.run_for(3000)
    page.locator("#player-pause").click()
    held = page.locator("#player-count").inner_text()
    page.clock.run_for(60_000)
    expect(page.locator("#player-count")).to_have_text(held, use_inner_text=True)
    expect(page.locator("#player-now")).to_have_text(titles[1], use_inner_text=True)
    expect(page.locator("#player-pause")).to_have_text("Resume", use_inner_text=True)
    page.locator("#player-pause").click()
    page.clock.run_for(1200)
    expect(page.locator("#player-count")).not_to_have_text(held, use_inner_text=True)

    # Skip moves on, back moves back to the start of the previous step.
    page.locator("#player-skip").click()
    expect(page.locator("#player-now")).to_have_text(titles[2], use_inner_text=True)
    page.locator("#player-back").click()
    expect(page.locator("#player-now")).to_have_text(titles[1], use_inner_text=True)
    expect(page.locator("#player-count")).to_have_text(f"0:{steps[1]['seconds']:02d}", use_inner_text=True)

    # A reload mid-routine offers to resume at the same step (offline, from the cache);
    # it does not run by itself, and resuming counts in again.
    page.clock.run_for(2000)
    page.reload()
    expect(page.locator("#player-resume-text")).to_contain_text(f"step 2 of {len(steps)}: {titles[1]}")
    expect(page.locator("#player-resume")).to_be_focused()
    expect(page.locator("#player-stage")).to_be_hidden()
    page.locator("#player-resume").click()
    expect(page.locator("#player-now")).to_have_text(titles[1], use_inner_text=True)
    expect(page.locator("#player-stage")).to_be_visible()
    page.clock.run_for(3000)

    # Run to the end; completion is recorded on the device.
    longest = max(s["seconds"] for s in steps) * 1000 + 500
    for _ in range(len(steps)):
        page.clock.run_for(longest)
    page.locator("#player-done").wait_for()
    history = page.evaluate("JSON.parse(localStorage.getItem('mbr.history'))")
    assert len(history) == 1
    assert history[0]["routine"] == "desk-reset"
    assert history[0]["minutes"] == round(sum(s["seconds"] for s in steps) / 60, 1)
    assert page.evaluate("localStorage.getItem('mbr.player')") is None


def test_plan_on_home_follows_the_choices(context, live_server):
    content = live_server.app.extensions["mbr_content"]
    choices = content.choices
    page = context.new_page()
    page.goto(live_server.url + "/")
    expect(page.locator("#plan-form")).to_be_visible()

    def first_routine(choice_ids):
        routines = [r for c in choice_ids for r in choices[c]["routines"]]
        if any(choices[c]["check_first"] for c in choice_ids):
            routines = [r for r in routines if content.routines[r]["gentle"]]
        return routines[0] if routines else "desk-reset"

    page.locator("#plan-form input[value='desk-work']").check()
    page.locator("#plan-form button[type=submit]").click()
    expected = content.routines[first_routine(["desk-work"])]["title"]
    expect(page.locator("#plan-routine")).to_have_text(f"Start: {expected}", use_inner_text=True)
    for rid in choices["desk-work"]["reminders"]:
        expect(page.locator("#plan-reminders")).to_contain_text(content.reminders[rid]["title"])

    page.goto(live_server.url + "/settings")
    expect(page.locator("#settings-plan input[value='desk-work']")).to_be_checked()
    page.locator("#settings-plan input[value='desk-work']").uncheck()
    page.locator("#settings-plan input[value='stress']").check()
    page.locator("#settings-plan button[type=submit]").click()
    page.goto(live_server.url + "/")
    expected = content.routines[first_routine(["stress"])]["title"]
    expect(page.locator("#plan-routine")).to_have_text(f"Start: {expected}", use_inner_text=True)

    page.goto(live_server.url + "/settings")
    page.locator("#settings-plan input[value='diagnosed-spine']").check()
    page.locator("#settings-plan button[type=submit]").click()
    page.goto(live_server.url + "/")
    expect(page.locator("#plan-view .note-caution")).to_contain_text("clinician")
    routine_id = page.locator("#plan-routine").get_attribute("href").split("/")[2].split("?")[0]
    assert content.routines[routine_id]["gentle"]


def test_export_import_and_erase(context, live_server, tmp_path):
    page = context.new_page()
    page.goto(live_server.url + "/settings")
    page.locator("#settings-plan input[value='stress']").check()
    page.locator("#settings-plan button[type=submit]").click()
    page.evaluate(
        "localStorage.setItem('mbr.history', JSON.stringify([{date: '2026-11-20', routine: 'calm-down', minutes: 4}]))"
    )
    with page.expect_download() as download:
        page.locator("#export").click()
    with open(download.value.path()) as handle:
        exported = json.load(handle)
    assert exported["format"] == "mid-back-relief-export"
    assert exported["data"]["plan"]["choices"] == ["stress"]
    assert exported["data"]["history"][0]["routine"] == "calm-down"

    before = page.evaluate("JSON.stringify({...localStorage})")
    bad = dict(exported, data=dict(exported["data"], plan={"choices": ["not-a-choice"]}))
    page.locator("#import-file").set_input_files(
        files=[{"name": "bad.json", "mimeType": "application/json",
                "buffer": json.dumps(bad).encode()}]
    )
    expect(page.locator("#data-status")).to_contain_text("Nothing was changed")
    assert page.evaluate("JSON.stringify({...localStorage})") == before
    page.locator("#import-file").set_input_files(
        files=[{"name": "junk.json", "mimeType": "application/json", "buffer": b"{not json"}]
    )
    expect(page.locator("#data-status")).to_contain_text("could not be read")
    assert page.evaluate("JSON.stringify({...localStorage})") == before

    page.on("dialog", lambda d: d.accept())
    page.locator("#erase").click()
    # Erasing is asynchronous (it also tells the server to forget a push device): wait for
    # the page to say it is done before looking at what is left.
    expect(page.locator("#data-status")).to_have_text("Everything was erased from this phone.")
    expect(page.locator("#settings-plan input[value='stress']")).not_to_be_checked()
    assert page.evaluate("localStorage.length") == 0

    page.locator("#import-file").set_input_files(
        files=[{"name": "good.json", "mimeType": "application/json",
                "buffer": json.dumps(exported).encode()}]
    )
    # A valid file is previewed first; Replace writes it (tests/test_browser_storage.py
    # covers merge, refusals and a failed write).
    page.locator("#import-replace").click()
    expect(page.locator("#data-status")).to_contain_text("Imported")
    expect(page.locator("#settings-plan input[value='stress']")).to_be_checked()
    # The date in words ("Fri 20 Nov", with the year when it is not this one).
    expect(page.locator("#history")).to_contain_text(re.compile(r"Fri 20 Nov( 2026)?: calm-down, 4 min"))
