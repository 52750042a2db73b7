"""GET/POST /api/v1/screening: the coded questions, evaluation like the rules, and a 422
naming every problem in a bad body."""

import json
import os
import random

import pytest

from server.screening import evaluate
from server.screening_api import OutcomeOut, RuleSetOut
from tests.test_screening_rules import EXPECTED_ALONE, FOLLOW_UPS, PROFILE, VOCABULARY

ANSWER_ERROR = 'Must be true, false or "unsure".'
NOT_AN_OBJECT = {"_schema": ['Must be an object of question id to true, false or "unsure".']}


def test_rule_set_lists_every_question_with_its_signs(client, app):
    rules = app.extensions["mbr_content"].screening
    data = client.get("/api/v1/screening").get_json()
    assert RuleSetOut().validate(data) == {}
    assert data["version"] == rules["version"]
    assert [lvl["id"] for lvl in data["levels"]] == ["emergency", "same-day", "appointment", "self-care"]
    questions = {q["id"]: q for q in data["questions"]}
    assert list(questions) == [q["id"] for q in rules["questions"]]
    assert {s for q in data["questions"] for s in q["signs"]} == VOCABULARY
    assert {q for q, item in questions.items() if item["profile"]} == PROFILE
    assert {q: item["ask_if"] for q, item in questions.items() if item["ask_if"]} == FOLLOW_UPS
    assert questions["age-50-plus"]["age"] == {"min": 50}
    assert questions["chest-pain"] == {
        "id": "chest-pain", "text": "Do you have pain, pressure or tightness in your chest?",
        "hint": next(q["hint"] for q in rules["questions"] if q["id"] == "chest-pain"),
        "signs": ["chest-pain"], "profile": False, "ask_if": [],
    }
    assert {s["id"]: s["level"] for s in data["signs"]} == EXPECTED_ALONE
    assert [c["id"] for c in data["combinations"]] == [c["id"] for c in rules["combinations"]]


def test_post_evaluates_like_the_rules_and_lists_unanswered(client, app):
    rules = app.extensions["mbr_content"].screening
    qids = [q["id"] for q in rules["questions"]]
    response = client.post("/api/v1/screening", json={"answers": {}})
    assert response.status_code == 200
    body = response.get_json()
    assert OutcomeOut().validate(body) == {}
    assert body == {"level": "self-care", "reasons": [], "advice": [], "unanswered": qids,
                    "version": rules["version"]}
    for qid in qids:
        for value in (True, "unsure", False):
            answers = {qid: value}
            body = client.post("/api/v1/screening", json={"answers": answers}).get_json()
            expected = evaluate(rules, answers)
            assert body["level"] == expected.level
            assert body["reasons"] == list(expected.reasons)
            assert body["advice"] == list(expected.advice)
            assert body["unanswered"] == [q for q in qids if q != qid]


def test_unsure_counts_as_yes_and_a_follow_up_alone_is_accepted(client):
    unsure = client.post("/api/v1/screening", json={"answers": {"tearing-pain": "unsure"}}).get_json()
    assert unsure["level"] == "emergency"
    assert unsure["reasons"] == ["Pain that feels like tearing or ripping"]
    # A follow-up answered while its parent is "no" is not an error.
    body = client.post("/api/v1/screening", json={"answers": {"pain-on-breathing-in": False,
                                                              "breathless": True}})
    assert body.status_code == 200
    # Breathlessness on its own still needs a check today; with pain on breathing in it
    # is an emergency.
    assert body.get_json()["level"] == "same-day"
    assert body.get_json()["reasons"] == ["Feeling short of breath"]
    both = client.post("/api/v1/screening", json={"answers": {"pain-on-breathing-in": True,
                                                              "breathless": "unsure"}}).get_json()
    assert both["level"] == "emergency"
    assert both["reasons"] == ["Pain worse on breathing in, with breathlessness", "Feeling short of breath"]


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"answers": ["Missing data for required field."]}),
        ({"answers": "yes"}, {"answers": NOT_AN_OBJECT}),
        ({"answers": ["fever"]}, {"answers": NOT_AN_OBJECT}),
        ({"answers": None}, {"answers": ["Field may not be null."]}),
        ({"answers": {}, "extra": 1}, {"extra": ["Unknown field."]}),
        ({"answers": {"fever": "yes"}}, {"answers": {"fever": [ANSWER_ERROR]}}),
        ({"answers": {"fever": 1}}, {"answers": {"fever": [ANSWER_ERROR]}}),
        ({"answers": {"fever": None}}, {"answers": {"fever": [ANSWER_ERROR]}}),
        ({"answers": {"fever": "Unsure"}}, {"answers": {"fever": [ANSWER_ERROR]}}),
        ({"answers": {"fever": {"value": True}}}, {"answers": {"fever": [ANSWER_ERROR]}}),
    ],
)
def test_bad_bodies_get_422_naming_the_problem(client, payload, errors):
    response = client.post("/api/v1/screening", json=payload)
    assert response.status_code == 422
    body = response.get_json()
    assert body["status"] == 422
    assert body["errors"] == errors


def test_every_problem_in_one_body_is_named(client):
    response = client.post("/api/v1/screening", json={
        "answers": {"chest-pain": "yes", "fever": 0, "made-up-question": True, "jaundice": True},
        "version": "2026.1.1",
    })
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "answers": {
            "chest-pain": [ANSWER_ERROR],
            "fever": [ANSWER_ERROR],
            "made-up-question": ["Unknown question id."],
        },
        "version": ["Unknown field."],
    }


def test_openapi_states_the_three_answers(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    answers = spec["components"]["schemas"]["ScreeningAnswers"]
    assert "required" not in answers
    assert answers["properties"]["fever"]["oneOf"] == [{"type": "boolean"}, {"type": "string", "enum": ["unsure"]}]
    assert len(answers["properties"]) == 40


def test_not_json_and_huge_bodies_are_refused_without_500(client):
    response = client.post("/api/v1/screening", data="answers=yes",
                           content_type="application/x-www-form-urlencoded")
    # A form post carries no JSON body, so the required "answers" is missing.
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"answers": ["Missing data for required field."]}
    broken = client.post("/api/v1/screening", data="{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["status"] == 400
    huge = json.dumps({"answers": {f"q{i}": True for i in range(20000)}})
    response = client.post("/api/v1/screening", data=huge, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["status"] == 413


def test_screening_keeps_nothing(client, app):
    rules = app.extensions["mbr_content"].screening
    before = sorted(os.listdir(app.instance_path))
    client.post("/api/v1/screening", json={"answers": {q["id"]: True for q in rules["questions"]}})
    assert sorted(os.listdir(app.instance_path)) == before


def test_any_combination_of_known_ids_and_valid_values_is_accepted(client, app):
    """400 random answer sets (left out, no, yes, not sure; follow-ups without their
    parent, age bands that contradict each other): every one 200, evaluated like the
    rules, with the left-out questions listed."""
    rules = app.extensions["mbr_content"].screening
    qids = [q["id"] for q in rules["questions"]]
    rng = random.Random(9)
    for _ in range(400):
        answers = {q: rng.choice([True, False, "unsure"]) for q in qids if rng.random() < rng.random()}
        response = client.post("/api/v1/screening", json={"answers": answers})
        assert response.status_code == 200, (answers, response.get_json())
        body = response.get_json()
        expected = evaluate(rules, answers)
        assert (body["level"], body["reasons"], body["advice"]) == (
            expected.level, list(expected.reasons), list(expected.advice))
        assert body["unanswered"] == [q for q in qids if q not in answers]


@pytest.mark.parametrize("band", ["age-under-20", "age-50-plus", "age-70-plus"])
def test_each_age_band_is_answerable_on_its_own(client, band):
    body = client.post("/api/v1/screening", json={"answers": {band: True}}).get_json()
    assert body["level"] == "appointment"
    assert band not in body["unanswered"]
    assert client.post("/api/v1/screening", json={"answers": {band: False}}).get_json()["level"] == "self-care"
    # Bands that cannot all be true together are still accepted (the API does not judge).
    both = client.post("/api/v1/screening", json={"answers": {"age-under-20": True, "age-70-plus": True}})
    assert both.status_code == 200 and both.get_json()["level"] == "appointment"
