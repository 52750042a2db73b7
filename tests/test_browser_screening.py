"""The safety check in real Chromium: the page's evaluator agrees with the server's on
every combination of answers, it works offline, and answers never leave the device."""

import pytest

from tests.conftest import wait_for_service_worker

pytestmark = pytest.mark.browser


def test_browser_and_server_agree_on_every_combination(page, live_server):
    rules = live_server.app.extensions["mbr_content"].screening
    ids = [q["id"] for q in rules["questions"]]
    page.goto(live_server.url + "/screening")
    # The page's own module, evaluated in the page, on all 2^n answer sets.
    browser_results = page.evaluate(
        """async (ids) => {
            const mod = await import('/static/js/screening-rules.js');
            const rules = JSON.parse(document.getElementById('screening-rules').textContent);
            const out = [];
            for (let mask = 0; mask < (1 << ids.length); mask++) {
                const answers = {};
                ids.forEach((id, i) => { answers[id] = Boolean(mask & (1 << i)); });
                const r = mod.evaluate(rules, answers);
                out.push([r.level, r.reasons]);
            }
            return out;
        }""",
        ids,
    )
    assert len(browser_results) == 2 ** len(ids)
    client = live_server.app.test_client()
    mismatches = []
    for mask in range(2 ** len(ids)):
        answers = {qid: bool(mask & (1 << i)) for i, qid in enumerate(ids)}
        body = client.post("/api/v1/screening", json={"answers": answers}).get_json()
        if [body["level"], body["reasons"]] != browser_results[mask]:
            mismatches.append((answers, body, browser_results[mask]))
    assert mismatches == []


def answer_all(page, rules, yes_ids):
    page.locator("#screening-start").click()
    for q in rules["questions"]:
        assert page.locator("#screening-question").inner_text() == q["text"]
        page.locator("#answer-yes" if q["id"] in yes_ids else "#answer-no").click()


def test_offline_screening_never_sends_answers(context, live_server):
    rules = live_server.app.extensions["mbr_content"].screening
    page = context.new_page()
    page.goto(live_server.url + "/")
    wait_for_service_worker(page)
    page.wait_for_function(
        "caches.keys().then(async (n) => n.length === 1 && (await (await caches.open(n[0])).keys()).length > 20)"
    )
    requests = []
    context.on("request", lambda r: requests.append((r.method, r.url, r.post_data)))
    context.set_offline(True)
    page.goto(live_server.url + "/screening")
    same_day = next(q for q in rules["questions"] if q["level"] == "same-day")
    answer_all(page, rules, {same_day["id"]})
    outcome = page.locator("#screening-outcome")
    outcome.wait_for()
    levels = {lvl["id"]: lvl for lvl in rules["levels"]}
    assert page.locator("#outcome-title").inner_text() == levels["same-day"]["title"]
    assert same_day["reason"] in page.locator("#outcome-reasons").inner_text()
    assert all(method == "GET" for method, _, _ in requests), requests
    assert not any("/api/" in url for _, url, _ in requests)
    assert not any(post for _, _, post in requests)
    saved = page.evaluate("JSON.parse(localStorage.getItem('mbr.screenings'))")
    assert saved[-1]["level"] == "same-day"

    # Same-day outcome: no stretches suggested for the rest of the day, and why.
    page.goto(live_server.url + "/routines/desk-reset")
    assert page.locator("#stretch-hold").is_visible()
    assert page.locator("#player-start").count() == 0
    page.goto(live_server.url + "/")
    assert page.locator("#stretch-hold").is_visible()


@pytest.mark.parametrize("locale, number", [("en-GB", "999"), ("en-US", "911"),
                                            ("en-AU", "000"), ("de-DE", "112"),
                                            ("xx", "112")])
def test_emergency_outcome_offers_the_regional_number(new_context, live_server, locale, number):
    rules = live_server.app.extensions["mbr_content"].screening
    page = new_context(locale=locale, service_workers="block").new_page()
    page.goto(live_server.url + "/screening")
    emergency = next(q for q in rules["questions"] if q["level"] == "emergency")
    answer_all(page, rules, {emergency["id"]})
    call = page.locator("#call-emergency")
    assert call.get_attribute("href") == f"tel:{number}"
    assert call.inner_text() == f"Call {number} now"
    assert page.locator("#outcome-title").inner_text() == "Call emergency services now"


def test_emergency_number_can_be_changed_in_settings(page, live_server):
    rules = live_server.app.extensions["mbr_content"].screening
    page.goto(live_server.url + "/settings")
    page.locator("#emergency-number").fill("12a")
    page.locator("#settings-emergency button").click()
    assert "digits" in page.locator("#emergency-status").inner_text()
    page.locator("#emergency-number").fill("1234")
    page.locator("#settings-emergency button").click()
    page.goto(live_server.url + "/screening")
    emergency = next(q for q in rules["questions"] if q["level"] == "emergency")
    answer_all(page, rules, {emergency["id"]})
    assert page.locator("#call-emergency").get_attribute("href") == "tel:1234"
