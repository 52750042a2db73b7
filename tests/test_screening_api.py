import json

import pytest

from server.screening import evaluate
from server.screening_api import OutcomeOut, RuleSetOut


def all_no(rules):
    return {q["id"]: False for q in rules["questions"]}


def test_rule_set_lists_questions_and_levels_most_urgent_first(client, app):
    rules = app.extensions["mbr_content"].screening
    data = client.get("/api/v1/screening").get_json()
    assert RuleSetOut().validate(data) == {}
    assert data["version"] == rules["version"]
    assert [lvl["id"] for lvl in data["levels"]] == ["emergency", "same-day", "appointment", "self-care"]
    assert [q["id"] for q in data["questions"]] == [q["id"] for q in rules["questions"]]
    assert all(q["text"] for q in data["questions"])


def test_post_evaluates_like_the_rules(client, app):
    rules = app.extensions["mbr_content"].screening
    answers = all_no(rules)
    response = client.post("/api/v1/screening", json={"answers": answers})
    assert response.status_code == 200
    body = response.get_json()
    assert OutcomeOut().validate(body) == {}
    assert body == {"level": "self-care", "reasons": [], "version": rules["version"]}
    for q in rules["questions"]:
        one = dict(answers, **{q["id"]: True})
        body = client.post("/api/v1/screening", json={"answers": one}).get_json()
        expected = evaluate(rules, one)
        assert body["level"] == expected.level
        assert body["reasons"] == list(expected.reasons)
        assert q["reason"] in body["reasons"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "answers"),
        ({"answers": "yes"}, "answers"),
        ({"answers": {}, "extra": 1}, "extra"),
    ],
)
def test_malformed_bodies_get_422_naming_the_field(client, payload, field):
    response = client.post("/api/v1/screening", json=payload)
    assert response.status_code == 422
    body = response.get_json()
    assert body["status"] == 422
    assert field in body["errors"]


def test_each_answer_problem_is_listed(client, app):
    rules = app.extensions["mbr_content"].screening
    answers = all_no(rules)
    first, second = rules["questions"][0]["id"], rules["questions"][1]["id"]
    del answers[first]
    answers[second] = "yes"
    answers["made-up-question"] = True
    response = client.post("/api/v1/screening", json={"answers": answers})
    assert response.status_code == 422
    problems = response.get_json()["errors"]["answers"]
    assert set(problems) == {first, second, "made-up-question"}


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


def test_screening_keeps_nothing(client, app, tmp_path):
    rules = app.extensions["mbr_content"].screening
    instance = app.instance_path
    import os

    before = sorted(os.listdir(instance))
    client.post("/api/v1/screening", json={"answers": {q["id"]: True for q in rules["questions"]}})
    assert sorted(os.listdir(instance)) == before
