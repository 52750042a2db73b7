"""The safety check in real Chromium: it stops at the first emergency with a one-tap
call, follow-ups and remembered profile facts, "not sure", the page's evaluator agreeing
with the server's, offline use, and answers never leaving the device."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from server.screening import evaluate
from tests.conftest import wait_for_service_worker, wait_until

pytestmark = pytest.mark.browser

LONDON = {"timezone_id": "Europe/London", "locale": "en-GB"}


def rules_of(live_server) -> dict[str, Any]:
    return live_server.app.extensions["mbr_content"].screening


def question_ids(rules) -> dict[str, str]:
    return {q["text"]: q["id"] for q in rules["questions"]}


def run_check(page, rules, answers: dict[str, Any] | None = None, age: int | None = None,
              start: bool = True) -> list[str]:
    """Answer the check screen by screen: `answers` by question id (anything not named
    is "No"), the age as a number (None: "I'd rather not say"). Returns the ids asked."""
    answers = answers or {}
    by_text = question_ids(rules)
    asked: list[str] = []
    if start:
        page.locator("#screening-start").click()
    button = {True: "#answer-yes", False: "#answer-no", "unsure": "#answer-unsure"}
    while True:
        expect(page.locator("#screening-question, #screening-outcome").first).to_be_visible()
        if page.locator("#screening-outcome").count():
            return asked
        if page.locator("#age-input").count():
            asked.append("age")
            if age is None:
                page.locator("#age-skip").click()
            else:
                page.locator("#age-input").fill(str(age))
                page.locator("#age-continue").click()
            continue
        qid = by_text[page.locator("#screening-question").inner_text()]
        asked.append(qid)
        page.locator(button[answers.get(qid, False)]).click()


@pytest.fixture
def london(new_context):
    return new_context(service_workers="block", **LONDON).new_page()


def test_yes_to_chest_pain_shows_the_call_button_on_the_very_next_screen(london, live_server):
    page = london
    page.goto(live_server.url + "/screening")
    page.locator("#screening-start").click()
    expect(page.locator("#screening-question")).to_have_text("Do you have pain, pressure or tightness in your chest?")
    expect(page.locator("#screening-progress")).to_have_text("Question 1 of 32")
    # The call is one tap away on the question screen itself.
    expect(page.locator("#screening-now")).to_have_text("Need help now? Call 999 now")
    expect(page.locator("#screening-now a")).to_have_attribute("href", "tel:999")
    assert page.locator("#screening-now a").bounding_box()["height"] >= 44
    page.locator("#answer-yes").click()
    # The very next screen: the result, no further question.
    expect(page.locator("#outcome-title")).to_have_text("Call emergency services now")
    call = page.locator("#call-emergency")
    expect(call).to_have_attribute("href", "tel:999")
    expect(call).to_have_text("Call 999 now")
    expect(page.locator("#screening-question")).to_have_count(0)
    expect(page.locator("#outcome-stopped")).to_be_visible()
    expect(page.locator("#outcome-reasons")).to_have_text("Chest pain, pressure or tightness")
    expect(page.locator("#screening-outcome .number-hint a")).to_have_attribute("href", "/settings#emergency-title")
    saved = page.evaluate("JSON.parse(localStorage.getItem('mbr.screenings')).at(-1)")
    assert saved["level"] == "emergency" and saved["stopped"] is True
    assert saved["answers"] == {"chest-pain": True}
    assert len(saved["unanswered"]) == 39


@pytest.mark.parametrize("qid", ["sweating-nausea", "fainting", "saddle-numbness", "serious-injury"])
def test_every_emergency_sign_stops_the_check_at_once(london, live_server, qid):
    rules = rules_of(live_server)
    page = london
    page.goto(live_server.url + "/screening")
    asked = run_check(page, rules, {qid: "unsure"})
    assert asked[-1] == qid
    expect(page.locator("#outcome-title")).to_have_text("Call emergency services now")
    expect(page.locator("#call-emergency")).to_have_attribute("href", "tel:999")


def test_follow_ups_only_when_relevant_and_a_combination_stops_at_once(london, live_server):
    rules = rules_of(live_server)
    page = london
    page.goto(live_server.url + "/screening")
    asked = run_check(page, rules, {"pain-on-breathing-in": True, "breathless": True})
    assert asked == ["chest-pain", "sweating-nausea", "sudden-severe-pain", "tearing-pain", "fainting",
                     "pain-on-breathing-in", "breathless"]
    expect(page.locator("#outcome-reasons li")).to_have_text(
        ["Pain worse on breathing in, with breathlessness", "Feeling short of breath"])

    # "No" to pain on breathing in: none of its three follow-ups is asked.
    page.locator("#screening-again").click()
    asked = run_check(page, rules, {}, age=35, start=False)
    for follow_up in ("breathless", "coughing-blood", "swollen-calf", "headache-vision", "confusion",
                      "urinary-symptoms"):
        assert follow_up not in asked
    expect(page.locator("#outcome-title")).to_have_text("Self-care is reasonable")


def test_profile_facts_are_asked_once_remembered_and_editable(london, live_server):
    rules = rules_of(live_server)
    page = london
    page.goto(live_server.url + "/screening")
    first = run_check(page, rules, {"pregnant": False}, age=72)
    profile_ids = ["pregnant", "osteoporosis", "long-term-steroids", "anticoagulants", "immunosuppressed",
                   "injects-drugs", "cancer-history"]
    assert "age" in first and all(q in first for q in profile_ids)
    assert len(first) == 32
    expect(page.locator("#outcome-title")).to_have_text("Book a doctor's appointment")
    expect(page.locator("#outcome-reasons li")).to_have_text(
        ["New back pain at 50 or over", "New back pain at 70 or over"])
    stored = page.evaluate("JSON.parse(localStorage.getItem('mbr.profile'))")
    assert stored["age"] == 72 and stored["answers"] == dict.fromkeys(profile_ids, False)

    # The next check skips them all and still uses them.
    page.locator("#screening-again").click()
    second = run_check(page, rules, {}, start=False)
    assert "age" not in second and not set(profile_ids) & set(second)
    assert len(second) == 24
    expect(page.locator("#outcome-title")).to_have_text("Book a doctor's appointment")
    saved = page.evaluate("JSON.parse(localStorage.getItem('mbr.screenings')).at(-1).answers")
    assert saved["age-70-plus"] is True and saved["age-under-20"] is False and saved["cancer-history"] is False

    # Editable in settings: a past cancer there makes the next check same-day, and the
    # cancer team's acute oncology line is named.
    page.goto(live_server.url + "/settings")
    expect(page.locator("#profile-age")).to_have_value("72")
    expect(page.locator('input[name="osteoporosis"][value="no"]')).to_be_checked()
    page.locator('input[name="cancer-history"][value="yes"]').check()
    page.locator("#profile-age").fill("45")
    page.locator("#settings-profile button[type=submit]").click()
    expect(page.locator("#profile-status")).to_contain_text("Saved.")
    page.goto(live_server.url + "/screening")
    run_check(page, rules, {})
    expect(page.locator("#outcome-title")).to_have_text("Get medical help today")
    expect(page.locator("#outcome-reasons")).to_have_text("Having had cancer")
    expect(page.locator("#outcome-next li").first).to_contain_text("acute oncology line")
    expect(page.locator("#call-urgent")).to_have_attribute("href", "tel:111")
    expect(page.locator("#outcome-next")).to_contain_text("contact NHS 111.")


def test_not_sure_counts_as_yes_and_asks_its_follow_ups(london, live_server):
    rules = rules_of(live_server)
    page = london
    page.goto(live_server.url + "/screening")
    asked = run_check(page, rules, {"fever": "unsure", "confusion": "unsure"}, age=30)
    assert asked[-2:] == ["fever", "confusion"]
    expect(page.locator("#outcome-title")).to_have_text("Call emergency services now")
    expect(page.locator("#outcome-reasons li")).to_have_text([
        "Confusion, drowsiness or slurred speech",
        "A high temperature together with confusion, drowsiness or slurred speech",
        "A high temperature, or feeling hot and shivery"])


def test_age_must_be_a_number_and_back_shows_the_answer_given(london, live_server):
    rules = rules_of(live_server)
    page = london
    page.goto(live_server.url + "/screening")
    page.locator("#screening-start").click()
    for _ in range(10):
        page.locator("#answer-no").click()
    page.locator("#age-input").fill("forty")
    page.locator("#age-continue").click()
    expect(page.locator("#age-error")).to_have_text("Please enter your age in years, for example 45.")
    expect(page.locator("#age-input")).to_have_attribute("aria-invalid", "true")
    page.locator("#age-input").fill("40")
    page.locator("#age-continue").click()
    expect(page.locator("#screening-question")).to_have_text("Are you pregnant?")
    page.locator("#answer-back").click()
    expect(page.locator("#age-input")).to_have_value("40")
    page.locator("#answer-back").click()
    expect(page.locator("#screening-question")).to_have_text(rules["questions"][12]["text"])
    expect(page.locator("#answer-no")).to_have_class("btn btn-big btn-primary")


def test_every_outcome_shows_the_rules_words(london, live_server):
    """The outcomes' words come from the page's own static lists (the module carries
    only the level ids): each result shows its level's title, summary and next steps
    exactly as content/screening.yaml has them, with the number filled in."""
    rules = rules_of(live_server)
    page = london
    levels = {level["id"]: level for level in rules["levels"]}
    asked_first = {s for q in rules["questions"] if "ask_if" not in q and not q.get("profile") for s in q["signs"]}
    answers = {"self-care": {}}
    for sign in rules["signs"]:
        if sign.get("level") and sign["id"] in asked_first:
            answers.setdefault(sign["level"], {sign["id"]: True})
    assert set(answers) == set(levels)

    def filled(text: str) -> str:
        text = re.sub("your emergency number", "999", text, flags=re.IGNORECASE)
        return re.sub("your doctor's urgent line or out-of-hours service", "NHS 111", text, flags=re.IGNORECASE)

    page.goto(live_server.url + "/screening")
    for n, (level_id, given) in enumerate(answers.items()):
        run_check(page, rules, given, age=40, start=n == 0)
        level = levels[level_id]
        expect(page.locator("#outcome-title")).to_have_text(level["title"])
        expect(page.locator("#outcome-summary")).to_have_text(filled(level["summary"]))
        steps = page.locator("#outcome-next li").all_inner_texts()
        assert steps[len(steps) - len(level["next_steps"]):] == [filled(s) for s in level["next_steps"]], level_id
        page.locator("#screening-again").click()


def test_browser_and_server_agree(page, live_server):
    """The page's own module against the server's evaluator on every single answer and
    every pair (yes and not sure); the Node test covers triples and random sets."""
    rules = rules_of(live_server)
    ids = [q["id"] for q in rules["questions"]]
    sets: list[dict[str, Any]] = [{q: v} for q in ids for v in (True, "unsure", False)]
    sets += [{a: va, b: vb} for a, b in itertools.combinations(ids, 2) for va in (True, "unsure")
             for vb in (True, "unsure")]
    page.goto(live_server.url + "/screening")
    browser_results = page.evaluate(
        """async (sets) => {
            const mod = await import('/static/js/screening-rules.js');
            // The rule set the page's module imports (generated by server/pages.py).
            const rules = (await import('/static/js/screening-data.js')).default;
            return sets.map((answers) => mod.evaluate(rules, answers));
        }""",
        sets,
    )
    expected = [evaluate(rules, answers).to_dict() for answers in sets]
    assert len(browser_results) == len(sets) == 120 + 780 * 4
    assert [(s, b) for s, b, e in zip(sets, browser_results, expected, strict=True) if b != e] == []


def test_offline_screening_never_sends_answers(context, live_server):
    rules = rules_of(live_server)
    page = context.new_page()
    page.goto(live_server.url + "/")
    wait_for_service_worker(page)
    # The install is complete when its revisions entry, stored last, is there.
    wait_until(page, "async () => { const n = await caches.keys(); return n.length === 1 && "
                     "Boolean(await (await caches.open(n[0])).match('/__precache/revisions')); }")
    requests = []
    context.on("request", lambda r: requests.append((r.method, r.url, r.post_data)))
    context.set_offline(True)
    page.goto(live_server.url + "/screening")
    run_check(page, rules, {"weight-loss": True}, age=40)
    levels = {lvl["id"]: lvl for lvl in rules["levels"]}
    expect(page.locator("#outcome-title")).to_have_text(levels["same-day"]["title"])
    expect(page.locator("#outcome-reasons")).to_have_text("Losing weight without trying")
    assert all(method == "GET" for method, _, _ in requests), requests
    assert not any("/api/" in url for _, url, _ in requests)
    assert not any(post for _, _, post in requests)
    saved = page.evaluate("JSON.parse(localStorage.getItem('mbr.screenings'))")
    assert saved[-1]["level"] == "same-day"

    # Same-day outcome: stretches are held offline too, and the page says why.
    page.goto(live_server.url + "/routines/desk-reset")
    expect(page.locator("#stretch-hold")).to_be_visible()
    expect(page.locator("#player-start")).to_be_hidden()


def test_age_not_given_plays_safe_in_one_plain_line(london, live_server):
    """"I'd rather not say" counts as "not sure" for every age band (an appointment); the
    result says so once instead of listing "under 20" next to "70 or over"."""
    rules = rules_of(live_server)
    page = london
    page.goto(live_server.url + "/screening")
    run_check(page, rules, {}, age=None)
    expect(page.locator("#outcome-title")).to_have_text("Book a doctor's appointment")
    expect(page.locator("#outcome-reasons li")).to_have_text(
        ["You did not give your age. Some warning signs depend on age, so the check plays safe."])
    saved = page.evaluate("JSON.parse(localStorage.getItem('mbr.screenings')).at(-1)")
    # The record keeps what the rules gave (the server gives the same).
    assert saved["reasons"] == list(evaluate(rules, saved["answers"]).reasons)
    assert len(saved["reasons"]) == 3
    # With another sign, that sign's reason stays and the age line follows the rules' order.
    page.locator("#screening-again").click()
    run_check(page, rules, {"not-improving": True}, start=False)
    expect(page.locator("#outcome-reasons li")).to_have_text([
        "You did not give your age. Some warning signs depend on age, so the check plays safe.",
        "Pain that is not improving after 2 weeks, or is getting worse"])


def test_pain_on_breathing_in_with_coughing_blood_stops_at_once(london, live_server):
    """The more cautious reading (NHS pulmonary embolism: 999 with pain in the chest or
    upper back): the check stops on the follow-up that completes the combination."""
    rules = rules_of(live_server)
    page = london
    page.goto(live_server.url + "/screening")
    asked = run_check(page, rules, {"pain-on-breathing-in": True, "coughing-blood": "unsure"})
    assert asked[-3:] == ["pain-on-breathing-in", "breathless", "coughing-blood"]
    expect(page.locator("#outcome-title")).to_have_text("Call emergency services now")
    expect(page.locator("#call-emergency")).to_have_attribute("href", "tel:999")
    expect(page.locator("#outcome-reasons li")).to_have_text(
        ["Pain worse on breathing in, with coughing up blood or a swollen calf", "Coughing up blood"])
