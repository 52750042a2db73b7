"""Tests for the safety-check rules (content/screening.yaml) and both evaluators.

Pure: no server. The expected levels below are written out by hand from issue 9 and
../shared/reference/clinical-facts.md sections 1 and 7 (the more cautious urgency
where sources disagree), as a second, independent statement of the rules: every single
sign, every pair and every triple is checked against it, so a change to the YAML that
weakens (or silently strengthens) a rule fails here.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from marshmallow import ValidationError

from server.regions import compact_zones, expand_zones, zone_countries
from server.screening import (
    LEVEL_IDS,
    Outcome,
    ScreeningFileSchema,
    emergency_number,
    evaluate,
    level_rank,
    number_warning,
    present_signs,
    region_for,
    unanswered,
    urgent_service,
)

ROOT = Path(__file__).resolve().parents[1]
RULES_PATH = ROOT / "content" / "screening.yaml"
JS_MODULE = ROOT / "client" / "static" / "js" / "screening-rules.js"
RANK = {level: i for i, level in enumerate(LEVEL_IDS)}
NONE = None  # a sign that gives nothing on its own (it only counts in a combination)

# The vocabulary of issue 9, item 3: every sign must be asked by at least one question.
VOCABULARY = {
    "chest-pain", "sweating-nausea", "sudden-severe-pain", "tearing-pain", "fainting",
    "pain-on-breathing-in", "breathless", "coughing-blood", "swollen-calf", "both-legs-weak-numb",
    "one-leg-weak", "saddle-numbness", "bladder-bowel", "walking-balance", "numbness-below-level",
    "band-pain", "arm-pins-needles", "fever", "confusion", "immunosuppressed", "injects-drugs",
    "cancer-history", "weight-loss", "night-pain", "cough-strain-worse", "serious-injury",
    "osteoporosis", "long-term-steroids", "age-50-plus", "age-70-plus", "age-under-20",
    "anticoagulants", "morning-stiffness", "urinary-symptoms", "jaundice", "pregnant",
    "headache-vision", "exertional-pain", "lump-or-deformity", "not-improving",
}  # fmt: skip

# The level each sign gives ON ITS OWN (issue 9 item 2, "one sign alone unless a
# combination is named"), each row citing its guidance: the source ids (content/
# sources.yaml) the rule file must cite for it, and the line of the project's clinical
# reference (../shared/reference/clinical-facts.md, section.table) it comes from.
# Rows marked "more cautious" give a higher level than issue 9 does, as the issue allows
# ("where sources disagree, the more cautious wins"); the cited page says why.
ALONE_TABLE: list[tuple[str, str | None, tuple[str, ...], str]] = [
    # Emergency (reference 1.A; section 7).
    ("chest-pain", "emergency", ("nhs-back-pain", "nhs-heart-attack"),
     "1.A: back pain with chest pain is 999/A&E [NHS-BP; NHS-HA]"),
    ("sweating-nausea", "emergency", ("nhs-heart-attack",),
     "7: sweating, nausea or light-headedness, even without chest pain [NHS heart attack]"),
    ("sudden-severe-pain", "emergency", ("hse-aortic-dissection",),
     "7: sudden, very severe (worst ever) pain [HSE-AD; ADD-RS]"),
    ("tearing-pain", "emergency", ("hse-aortic-dissection",), "1.A / 7: tearing, ripping or shearing pain [HSE-AD]"),
    ("fainting", "emergency", ("hse-aortic-dissection",),
     "7: fainting with the pain [HSE-AD: 'may come with collapse']"),
    ("both-legs-weak-numb", "emergency", ("nhs-back-pain", "nt-physio"),
     "1.A: weakness, tingling or numbness in both legs [NHS-BP; NT]"),
    ("saddle-numbness", "emergency", ("nhs-back-pain", "nt-physio"),
     "1.A: numbness around the genitals or buttocks [NHS-BP; NT]"),
    ("bladder-bowel", "emergency", ("nhs-back-pain", "nt-physio"),
     "1.A: difficulty peeing, loss of bladder or bowel control [NHS-BP; NT]"),
    ("serious-injury", "emergency", ("nhs-back-pain", "nt-physio"), "1.A: pain after a serious accident [NHS-BP; NT]"),
    # More cautious: the NHS kidney infection page says 999/A&E for confusion, drowsiness
    # or difficulty speaking; the sepsis safety net lists slurred speech or confusion first.
    ("confusion", "emergency", ("nhs-kidney-infection", "patient-sepsis-safety-net"),
     "7: fever with confusion is an emergency; alone, more cautious [NHS kidney infection: call 999]"),
    # Same-day (reference 1.B; section 7).
    ("exertional-pain", "same-day", ("nhs-angina",), "7: ache brought on by exertion, easing with rest [NHS angina]"),
    ("band-pain", "same-day", ("nt-physio", "nice-ng234", "rnoh-mscc"),
     "1.B: band-like pain around the chest or torso [NT; CG75 -> NG234; RNOH]"),
    ("fever", "same-day", ("nhs-back-pain", "chcp-msk"), "1.B: fever or high temperature [NHS-BP; CHCP]"),
    ("immunosuppressed", "same-day", ("glos-red-flags", "ahcpr"),
     "1.B: immunosuppression raises concern for infection [GLOS; AHCPR]"),
    ("injects-drugs", "same-day", ("glos-red-flags", "ahcpr"), "1.B: IV drug use [GLOS; AHCPR]"),
    ("cancer-history", "same-day", ("nice-ng234", "scot-cancer-referral"),
     "1.B / 7: past cancer, new pain: MSCC team within 24 h [NG234 (replaced CG75); SCOT]"),
    ("weight-loss", "same-day", ("nhs-back-pain",), "1.B: unexplained weight loss [NHS-BP]"),
    ("night-pain", "same-day", ("nhs-back-pain",), "1.B: not eased by rest or worse at night [NHS-BP]"),
    ("osteoporosis", "same-day", ("downie-2013", "glos-red-flags"),
     "1.A disagreement / 7: possible fragility fracture, with or without a fall [DOWNIE; GLOS]"),
    ("long-term-steroids", "same-day", ("downie-2013", "glos-red-flags"),
     "1.A disagreement / 7: prolonged corticosteroids, fragility fracture [DOWNIE; GLOS]"),
    ("jaundice", "same-day", ("nidirect-jaundice",), "7: yellow skin or eyes [nidirect jaundice: GP straight away]"),
    ("lump-or-deformity", "same-day", ("nhs-back-pain",),
     "1.B / 7: a lump or change in the shape of the back [NHS-BP]"),
    ("cough-strain-worse", "same-day", ("nhs-back-pain", "nice-ng234"),
     "1.B: worse on sneezing, coughing or straining [NHS-BP; CG75 -> NG234]"),
    ("one-leg-weak", "same-day", ("chcp-msk", "devon-thoracic"), "1.B: new weakness in the arms or legs [CHCP; DEVON]"),
    ("walking-balance", "same-day", ("chcp-msk", "nt-physio", "devon-thoracic"),
     "1.B: heaviness or poor coordination affecting walking, unsteadiness [CHCP; NT]"),
    ("numbness-below-level", "same-day", ("devon-thoracic",),
     "1.B: altered sensation over the chest, abdomen or legs [DEVON]"),
    ("arm-pins-needles", "same-day", ("chcp-msk", "devon-thoracic"),
     "1.B: new numbness or tingling in the arms [CHCP; DEVON]"),
    # More cautious than issue 9 (where these count only in combination): the NHS pages
    # send each alone to an urgent GP appointment or the urgent-care line.
    ("breathless", "same-day", ("nhs-pulmonary-embolism",),
     "7: difficulty breathing that comes on suddenly -> urgent GP / NHS 111 [NHS PE]"),
    ("coughing-blood", "same-day", ("nhs-pulmonary-embolism",), "7: coughing up blood -> urgent GP / NHS 111 [NHS PE]"),
    ("swollen-calf", "same-day", ("nhs-dvt",), "7: swelling and pain in one calf -> urgent GP appointment [NHS DVT]"),
    # Appointment (reference 1.C; section 7).
    ("age-50-plus", "appointment", ("ahcpr", "aafp-choosing-wisely", "physiopedia-thoracic"),
     "1.C: new pain at 50 or over [PP; AHCPR; AAFP-CW]"),
    ("age-70-plus", "appointment", ("acp-imaging",), "1.C: age over 70 [ACP]"),
    ("age-under-20", "appointment", ("ahcpr", "physiopedia-thoracic"), "1.C: new pain under 20 [PP; AHCPR]"),
    ("morning-stiffness", "appointment", ("nice-ng65", "physiopedia-thoracic"),
     "1.C / 7: over 3 months, morning stiffness, better with movement [PP; NG65]"),
    ("not-improving", "appointment", ("nhs-back-pain", "physiopedia-thoracic"),
     "1.C: not improving after a few weeks (2 weeks: NHS inform; 2-4 weeks: PP) [NHS-BP; PP]"),
    # Nothing on their own: they only count in the combinations below.
    ("pain-on-breathing-in", NONE, ("nhs-pulmonary-embolism",),
     "7: only with breathlessness, blood or a calf [NHS PE]"),
    ("urinary-symptoms", NONE, ("nhs-kidney-infection",), "7: only with a fever [NHS kidney infection]"),
    ("anticoagulants", NONE, ("stetkarova-2021-sseh",), "7: only with a new nerve sign [epidural haematoma]"),
    ("pregnant", NONE, ("nhs-pre-eclampsia",), "issue 9: pregnancy alone does not raise the level"),
    ("headache-vision", NONE, ("nhs-pre-eclampsia",), "7: only in pregnancy [NHS pre-eclampsia]"),
]
EXPECTED_ALONE: dict[str, str | None] = {sign: level for sign, level, _, _ in ALONE_TABLE}

NERVE_SIGNS = ["one-leg-weak", "both-legs-weak-numb", "walking-balance", "numbness-below-level",
               "arm-pins-needles"]

# Escalations: (groups, level, sources, line). Every group needs one sign present.
ESCALATION_TABLE: list[tuple[list[list[str]], str, tuple[str, ...], str]] = [
    ([["pain-on-breathing-in"], ["breathless"]], "emergency", ("nhs-pulmonary-embolism",),
     "7: worse on breathing in + sudden breathlessness [NHS PE]"),
    # More cautious than issue 9 (same-day): the NHS PE page says 999 when its signs come
    # with pain in the chest or upper back, which back pain worse on breathing in is.
    ([["pain-on-breathing-in"], ["coughing-blood", "swollen-calf"]], "emergency",
     ("nhs-pulmonary-embolism", "nhs-dvt"),
     "7: worse on breathing in + coughing blood or a swollen calf [NHS PE: 999 with upper-back pain; NHS DVT]"),
    ([["walking-balance"], ["numbness-below-level"]], "emergency", ("sussex-msk-myelopathy", "devon-thoracic"),
     "7: unsteady walking + numbness across chest or tummy [spinal emergency leaflets; DEVON]"),
    ([["fever"], NERVE_SIGNS], "emergency", ("devon-thoracic",),
     "7: fever with new weakness or walking trouble [DEVON]"),
    ([["fever"], ["confusion"]], "emergency", ("nhs-kidney-infection", "patient-sepsis-safety-net"),
     "7: fever with confusion [NHS sepsis, kidney infection]"),
    ([["anticoagulants"], NERVE_SIGNS], "emergency", ("stetkarova-2021-sseh",),
     "7: blood thinner with new leg weakness [spinal epidural haematoma]"),
    ([["cancer-history"], [*NERVE_SIGNS, "band-pain"]], "emergency", ("nice-ng234", "scot-cancer-referral"),
     "1.A / 7: past cancer with any nerve symptom or band pain [NG234 (replaced CG75); SCOT]"),
    ([["pregnant"], ["headache-vision"]], "same-day", ("nhs-pre-eclampsia",),
     "7: pregnant with headache or blurred vision [NHS pre-eclampsia]"),
    ([["urinary-symptoms"], ["fever"]], "same-day", ("nhs-kidney-infection",),
     "7: fever and stinging when peeing [NHS kidney infection]"),
]
EXPECTED_ESCALATIONS: list[tuple[list[list[str]], str, str]] = [
    (groups, level, line) for groups, level, _, line in ESCALATION_TABLE
]

PROFILE = {"age-under-20", "age-50-plus", "age-70-plus", "pregnant", "osteoporosis", "long-term-steroids",
           "anticoagulants", "immunosuppressed", "injects-drugs", "cancer-history"}
FOLLOW_UPS = {
    "breathless": ["pain-on-breathing-in"], "coughing-blood": ["pain-on-breathing-in"],
    "swollen-calf": ["pain-on-breathing-in"], "headache-vision": ["pregnant"],
    "confusion": ["fever"], "urinary-symptoms": ["fever"],
}


def expected_level(signs: set[str]) -> str:
    """The independent statement of the rules, from the two tables above."""
    ranks = [RANK[EXPECTED_ALONE[s]] for s in signs if EXPECTED_ALONE[s]]
    ranks += [RANK[level] for groups, level, _ in EXPECTED_ESCALATIONS
              if all(any(s in signs for s in group) for group in groups)]
    return LEVEL_IDS[min(ranks, default=RANK["self-care"])]


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rules(raw: dict[str, Any]) -> dict[str, Any]:
    return ScreeningFileSchema().load(raw)


@pytest.fixture(scope="module")
def qids(rules: dict[str, Any]) -> list[str]:
    return [q["id"] for q in rules["questions"]]


@pytest.fixture(scope="module")
def asking(rules: dict[str, Any]) -> dict[str, str]:
    """Sign -> the question that asks it (one each: the file asks one sign per question)."""
    return {s: q["id"] for q in rules["questions"] for s in q["signs"]}


# ------------------------------------------------------------------------ the file


def test_schema_accepts_file_and_changes_nothing(raw: dict[str, Any], rules: dict[str, Any]):
    # The client gets the same data as JSON, so loading must not add or rename keys.
    assert rules == raw
    assert [level["id"] for level in rules["levels"]] == list(LEVEL_IDS)


def test_signs_are_the_issue_vocabulary_each_asked_once(rules, qids):
    assert {s["id"] for s in rules["signs"]} == VOCABULARY
    asked = [s for q in rules["questions"] for s in q["signs"]]
    assert sorted(asked) == sorted(VOCABULARY)
    # One idea per question: each asks exactly one sign, named like it.
    assert all(q["signs"] == [q["id"]] for q in rules["questions"])
    assert len(qids) == 40


def test_profile_facts_and_follow_ups(rules):
    assert {q["id"] for q in rules["questions"] if q.get("profile")} == PROFILE
    assert {q["id"]: q["ask_if"] for q in rules["questions"] if "ask_if" in q} == FOLLOW_UPS
    ages = {q["id"]: q["age"] for q in rules["questions"] if "age" in q}
    assert ages == {"age-under-20": {"max": 19}, "age-50-plus": {"min": 50}, "age-70-plus": {"min": 70}}


def test_emergency_signs_are_asked_before_anything_else(rules):
    # Stop at the first emergency: the signs that are emergencies on their own come
    # first, so a person in trouble reaches the call button in as few taps as possible.
    levels = {s["id"]: s.get("level") for s in rules["signs"]}
    first_other = next(i for i, q in enumerate(rules["questions"])
                       if levels[q["signs"][0]] != "emergency" and "ask_if" not in q
                       and q["id"] != "pain-on-breathing-in")
    # Later, only a follow-up may be an emergency (confusion, asked after a fever).
    assert all(levels[q["signs"][0]] != "emergency" or "ask_if" in q for q in rules["questions"][first_other:])
    assert rules["questions"][0]["id"] == "chest-pain"


def test_only_known_sources(rules, app):
    known = set(app.extensions["mbr_content"].sources)
    for item in rules["signs"] + rules["combinations"]:
        assert item["sources"] and set(item["sources"]) <= known, item["id"]


def test_every_row_of_the_tables_cites_its_guidance(rules, app):
    """Each sign alone and each named combination is a row with its level and its source
    ids; the rule file must give that level and cite at least those sources, and every
    source id must exist (content/sources.yaml)."""
    known = app.extensions["mbr_content"].sources
    assert [row[0] for row in ALONE_TABLE] == list(EXPECTED_ALONE)  # no sign twice
    assert set(EXPECTED_ALONE) == VOCABULARY
    signs = {s["id"]: s for s in rules["signs"]}
    for sign, level, sources, line in ALONE_TABLE:
        assert sources and line, sign
        assert set(sources) <= set(known), (sign, set(sources) - set(known))
        assert signs[sign].get("level") == level, (sign, line)
        assert set(sources) <= set(signs[sign]["sources"]), (sign, line)

    def key(groups) -> frozenset:
        return frozenset(frozenset(g) for g in groups)

    combos = {key(c["all"]): c for c in rules["combinations"]}
    assert len(combos) == len(rules["combinations"]) == len(ESCALATION_TABLE)
    assert set(combos) == {key(groups) for groups, _, _, _ in ESCALATION_TABLE}
    for groups, level, sources, line in ESCALATION_TABLE:
        combo = combos[key(groups)]
        assert combo["level"] == level, line
        assert set(sources) <= set(known) and set(sources) <= set(combo["sources"]), line


def test_self_care_says_when_to_screen_again(rules: dict[str, Any]):
    steps = " ".join(rules["levels"][-1]["next_steps"]).lower()
    assert "screen again" in steps and "week" in steps
    assert "watch for" in steps


def test_wording_does_not_diagnose_or_name_a_country_number(rules: dict[str, Any]):
    texts = [s.get("reason", "") for s in rules["signs"]] + [c["reason"] for c in rules["combinations"]]
    texts += [s.get("advice", "") for s in rules["signs"] + rules["combinations"]]
    for level in rules["levels"]:
        texts += [level["title"], level["summary"], *level["next_steps"]]
    # Outcome wording only: a question may ask "Do you have a ...?".
    for text in filter(None, texts):
        lowered = text.lower()
        for word in ("you have a ", "you are having", "this is a ", "diagnos"):
            if word == "diagnos" and "not a diagnosis" in lowered:
                continue
            assert word not in lowered, text
    texts += [q["text"] + q.get("hint", "") for q in rules["questions"]]
    for text in filter(None, texts):
        lowered = text.lower()
        for number in ("999", "911", "111", "112", "000", "nhs 111"):
            assert number not in lowered, text
    same_day = " ".join(rules["levels"][1]["next_steps"])
    assert "your doctor's urgent line or out-of-hours service" in same_day
    assert "your emergency number" in " ".join(rules["levels"][0]["next_steps"])


def test_cancer_advice_names_the_cancer_team(rules):
    outcome = evaluate(rules, {"cancer-history": True})
    assert outcome.level == "same-day"
    assert any("acute oncology line" in a for a in outcome.advice)


def test_emergency_and_urgent_tables(rules: dict[str, Any]):
    numbers = rules["emergency_numbers"]
    assert numbers["default"] == "112"
    expected = {"US": "911", "CA": "911", "GB": "999", "AU": "000", "NZ": "111", "IE": "112", "NO": "113"}
    for region, number in expected.items():
        assert numbers[region] == number
    assert rules["urgent_services"] == {"GB": {"name": "NHS 111", "number": "111"}}


# ------------------------------------------------------------ schema rejects mistakes


def load_errors(raw: dict[str, Any], mutate) -> Any:
    broken = copy.deepcopy(raw)
    mutate(broken)
    with pytest.raises(ValidationError) as info:
        ScreeningFileSchema().load(broken)
    return info.value.messages


def _index(raw: dict[str, Any], kind: str, item_id: str) -> int:
    return [item["id"] for item in raw[kind]].index(item_id)


def test_rejects_levels_out_of_order(raw):
    def swap(d):
        d["levels"][0], d["levels"][1] = d["levels"][1], d["levels"][0]

    assert load_errors(raw, swap) == {
        "levels": [
            "Must be exactly these levels, most urgent first: emergency, same-day, "
            "appointment, self-care (found: same-day, emergency, appointment, self-care)."
        ]
    }


def test_rejects_unknown_level(raw):
    def rename(d):
        d["levels"][3]["id"] = "ok"

    assert load_errors(raw, rename) == {
        "levels": {3: {"id": ["Must be one of: emergency, same-day, appointment, self-care."]}}
    }


def test_rejects_no_questions(raw):
    assert load_errors(raw, lambda d: d.update(questions=[])) == {
        "questions": ["Shorter than minimum length 1."]
    }


def test_many_questions_are_allowed(raw):
    # The old cap of 14 questions made most warning signs impossible to ask.
    more = copy.deepcopy(raw)
    more["questions"] += [dict(more["questions"][-1], id=f"extra-{i}") for i in range(30)]
    assert len(ScreeningFileSchema().load(more)["questions"]) == 70


def test_rejects_a_sign_nobody_asks(raw):
    i = _index(raw, "questions", "jaundice")
    j = _index(raw, "signs", "jaundice")

    def drop(d):
        d["questions"].pop(i)

    assert load_errors(raw, drop) == {"signs": {j: {"id": ["No question asks about 'jaundice'."]}}}


def test_rejects_unknown_sign_and_mixed_levels_in_one_question(raw):
    i = _index(raw, "questions", "fever")
    assert load_errors(raw, lambda d: d["questions"][i].update(signs=["fever", "feverish"])) == {
        "questions": {i: {"signs": ["Unknown sign 'feverish'."]}}
    }
    assert load_errors(raw, lambda d: d["questions"][i].update(signs=["fever", "fever", "chest-pain"])) == {
        "questions": {i: {"signs": ["Signs asked together must give the same level on their own."]}}
    }
    # Signs of the same level may share a question.
    same = copy.deepcopy(raw)
    same["questions"][i]["signs"] = ["fever", "weight-loss"]
    assert ScreeningFileSchema().load(same)


def test_rejects_follow_up_before_its_parent_and_age_outside_profile(raw):
    i = _index(raw, "questions", "chest-pain")
    j = _index(raw, "questions", "fever")
    assert load_errors(raw, lambda d: d["questions"][i].update(ask_if=["fever"])) == {
        "questions": {i: {"ask_if": ["'fever' must be an earlier question."]}}
    }
    assert load_errors(raw, lambda d: d["questions"][j].update(age={"min": 40})) == {
        "questions": {j: {"age": ["Only a profile question can be an age band."]}}
    }
    k = _index(raw, "questions", "age-50-plus")
    assert load_errors(raw, lambda d: d["questions"][k].update(age={})) == {
        "questions": {k: {"age": {"_schema": ["Give min, max or both."]}}}
    }


def test_rejects_duplicate_ids(raw):
    fever = _index(raw, "questions", "fever")
    assert load_errors(raw, lambda d: d["combinations"][0].update(id="fever")) == {
        "combinations": {0: {"id": [f"Duplicate id 'fever' (first used by questions[{fever}])."]}}
    }
    assert load_errors(raw, lambda d: d["signs"].append(dict(d["signs"][0]))) == {
        "signs": {len(raw["signs"]): {"id": ["Duplicate sign 'chest-pain'."]}}
    }


def test_rejects_bad_combinations(raw):
    assert load_errors(raw, lambda d: d["combinations"][0].update(all=[["fever"]])) == {
        "combinations": {0: {"all": ["Must list at least 2 groups of signs."]}}
    }
    assert load_errors(raw, lambda d: d["combinations"][1].update(all=[["fever"], ["nope"]])) == {
        "combinations": {1: {"all": ["Unknown sign 'nope'."]}}
    }
    assert load_errors(raw, lambda d: d["combinations"][0].update(all=[["fever"], ["fever", "jaundice"]])) == {
        "combinations": {0: {"all": ["Must not list the same sign twice."]}}
    }
    assert load_errors(raw, lambda d: d["combinations"][0].update(all=[["fever"], []])) == {
        "combinations": {0: {"all": {1: ["Shorter than minimum length 1."]}}}
    }


def test_rejects_combination_that_cannot_escalate(raw):
    # Fever and a nerve sign are each at least same-day alone: same-day together adds nothing.
    i = _index(raw, "combinations", "fever-and-nerve-sign")
    assert load_errors(raw, lambda d: d["combinations"][i].update(level="same-day")) == {
        "combinations": {i: {"level": ["Must be more urgent than at least one of its signs alone."]}}
    }


def test_rejects_unknown_levels_and_reason_rules(raw):
    choices = "Must be one of: emergency, same-day, appointment (a yes must raise the urgency)."
    assert load_errors(raw, lambda d: d["signs"][2].update(level="urgent")) == {
        "signs": {2: {"level": [choices]}}
    }
    assert load_errors(raw, lambda d: d["combinations"][0].update(level="self-care")) == {
        "combinations": {0: {"level": [choices]}}
    }
    assert load_errors(raw, lambda d: d["signs"][0].pop("reason")) == {
        "signs": {0: {"reason": ["A sign with a level needs a reason."]}}
    }
    b = _index(raw, "signs", "pain-on-breathing-in")
    assert load_errors(raw, lambda d: d["signs"][b].update(reason="Worse on breathing in")) == {
        "signs": {b: {"reason": ["Only a sign with a level is shown as a reason."]}}
    }


def test_rejects_unknown_and_missing_keys(raw):
    assert load_errors(raw, lambda d: d["signs"][0].update(levle="emergency")) == {
        "signs": {0: {"levle": ["Unknown field."]}}
    }
    assert load_errors(raw, lambda d: d["questions"][3].pop("signs")) == {
        "questions": {3: {"signs": ["Missing data for required field."]}}
    }
    assert load_errors(raw, lambda d: d.update(extra=1)) == {"extra": ["Unknown field."]}


def test_rejects_question_that_is_not_a_question(raw):
    assert load_errors(raw, lambda d: d["questions"][0].update(text="Chest pain.")) == {
        "questions": {0: {"text": ["Must be a yes/no question ending with '?'."]}}
    }


def test_rejects_bad_numbers_and_services(raw):
    assert load_errors(raw, lambda d: d["emergency_numbers"].pop("default")) == {
        "emergency_numbers": ["Must include 'default', used when the region is unknown."]
    }
    assert load_errors(raw, lambda d: d["emergency_numbers"].update(US="9-1-1")) == {
        "emergency_numbers": {"US": {"value": ['Must be digits only, e.g. "112".']}}
    }
    # An unquoted number in YAML arrives as an int, which would lose a leading zero (000).
    assert load_errors(raw, lambda d: d["emergency_numbers"].update(AU=0)) == {
        "emergency_numbers": {"AU": {"value": ["Not a valid string."]}}
    }
    assert load_errors(raw, lambda d: d["emergency_numbers"].update(gb="999")) == {
        "emergency_numbers": {"gb": {"key": ["Must be 'default' or a two-letter region code in capitals, e.g. GB."]}}
    }
    assert load_errors(raw, lambda d: d["urgent_services"]["GB"].update(number="1 1 1")) == {
        "urgent_services": {"GB": {"value": {"number": ['Must be digits only, e.g. "112".']}}}
    }


def test_rejects_bad_version(raw):
    assert load_errors(raw, lambda d: d.update(version="v1")) == {
        "version": ["Must look like YYYY.MM.N, e.g. 2026.11.1."]
    }


# ---------------------------------------------------------------------- evaluation


def test_no_answers_is_self_care(rules, qids):
    assert evaluate(rules, {}) == Outcome("self-care", (), ())
    assert evaluate(rules, None) == Outcome("self-care", (), ())
    assert evaluate(rules, dict.fromkeys(qids, False)) == Outcome("self-care", (), ())
    assert unanswered(rules, {}) == qids
    assert unanswered(rules, {"chest-pain": False, "fever": "unsure"}) == [
        q for q in qids if q not in ("chest-pain", "fever")
    ]


def test_only_true_and_unsure_count(rules):
    assert evaluate(rules, {"chest-pain": "yes", "fever": 1, "both-legs-weak-numb": None,
                            "tearing-pain": "Unsure", "fainting": "maybe"}).level == "self-care"
    assert evaluate(rules, {"chest-pain": "unsure"}).level == "emergency"


@pytest.mark.parametrize("sign", sorted(EXPECTED_ALONE))
@pytest.mark.parametrize("value", [True, "unsure"])
def test_each_sign_alone_gives_its_level(rules, asking, sign, value):
    outcome = evaluate(rules, {asking[sign]: value})
    assert outcome.level == (EXPECTED_ALONE[sign] or "self-care")
    reason = next(s.get("reason") for s in rules["signs"] if s["id"] == sign)
    assert outcome.reasons == ((reason,) if reason else ())


@pytest.mark.parametrize(("groups", "level", "line"), EXPECTED_ESCALATIONS,
                         ids=[e[2][:40] for e in EXPECTED_ESCALATIONS])
def test_escalations(rules, asking, groups, level, line):
    # Every way of meeting the combination (one sign from each group) gives its level.
    for choice in itertools.product(*groups):
        outcome = evaluate(rules, {asking[s]: True for s in choice})
        assert outcome.level == level, (choice, line)
    # And no group alone does (only the combination escalates).
    for group in groups:
        for sign in group:
            alone = evaluate(rules, {asking[sign]: True}).level
            assert RANK[alone] > RANK[level] or EXPECTED_ALONE[sign] == level, (sign, line)


def test_named_combinations_give_their_reasons_and_advice(rules):
    outcome = evaluate(rules, {"cancer-history": True, "band-pain": "unsure", "not-improving": True})
    assert outcome == Outcome(
        "emergency",
        (
            "Having had cancer, together with new weakness, numbness, tingling, trouble walking or band-like pain",
            "Having had cancer",
            "Pain that wraps around the chest or tummy like a band",
            "Pain that is not improving after 2 weeks, or is getting worse",
        ),
        (
            "Tell them you have had cancer. If a cancer team looks after you, let their acute oncology line "
            "know as well.",
            "If a cancer team looks after you, also call their acute oncology line or your specialist nurse today "
            "and tell them about this back pain.",
        ),
    )
    pregnant = evaluate(rules, {"pregnant": True})
    assert pregnant.level == "self-care" and pregnant.reasons == ()
    assert pregnant.advice == (next(s["advice"] for s in rules["signs"] if s["id"] == "pregnant"),)


def test_every_single_pair_and_triple_matches_the_independent_rules(rules, asking):
    """All 40 + 780 + 9,880 sets of signs against the tables written out by hand."""
    signs = sorted(VOCABULARY)
    for size in (1, 2, 3):
        for chosen in itertools.combinations(signs, size):
            got = evaluate(rules, {asking[s]: True for s in chosen}).level
            assert got == expected_level(set(chosen)), chosen


def _expected_reasons(rules: dict[str, Any], present: frozenset[str]) -> list[str]:
    """The ordering rule written a second way: level by level, signs then combinations."""
    reasons: list[str] = []
    for level in LEVEL_IDS:
        reasons += [s["reason"] for s in rules["signs"] if s.get("level") == level and s["id"] in present]
        reasons += [c["reason"] for c in rules["combinations"]
                    if c["level"] == level and all(any(x in present for x in g) for g in c["all"])]
    return reasons


# ------------------------------------------------------------------ monotonicity

CODE = {True: "y", "unsure": "u", False: "n"}
DECODE = {v: k for k, v in CODE.items()}


def random_codes(rng: random.Random, n: int) -> str:
    """A random answer set, one character per question: . left out, n no, y yes,
    u not sure; the density of yes and not sure varies so that sparse sets (one or two
    signs) and dense ones both occur."""
    density = rng.choice([0.03, 0.08, 0.15, 0.3, 0.6])
    weights = [density / 2, density / 2, (1 - density) / 2, (1 - density) / 2]
    return "".join(rng.choices("yun.", weights=weights, k=n))


def decode(qids: list[str], codes: str) -> dict[str, Any]:
    return {qids[i]: DECODE[c] for i, c in enumerate(codes) if c != "."}


def test_monotonic_and_unsure_equals_yes(rules, qids):
    """One more yes (or not sure) never makes the advice less urgent, a not sure gives
    exactly what a yes gives, and the reasons follow the ordering rule."""
    rng = random.Random(9)
    for _ in range(600):
        answers = decode(qids, random_codes(rng, len(qids)))
        outcome = evaluate(rules, answers)
        assert list(outcome.reasons) == _expected_reasons(rules, present_signs(rules, answers))
        rank = RANK[outcome.level]
        for qid in qids:
            if answers.get(qid) in (True, "unsure"):
                continue
            raised = evaluate(rules, {**answers, qid: True})
            assert RANK[raised.level] <= rank, (answers, qid)
            assert set(outcome.reasons) <= set(raised.reasons)
            assert evaluate(rules, {**answers, qid: "unsure"}) == raised


# --------------------------------------------------------------- region and numbers

# (saved region, time zone, languages, saved number) -> (region, source, number, number source)
REGION_CASES: list[tuple[Any, Any, Any, Any, tuple[Any, str, str, str]]] = [
    (None, "Europe/London", ["en-US"], None, ("GB", "time-zone", "999", "region")),
    (None, "America/New_York", ["en-GB"], None, ("US", "time-zone", "911", "region")),
    (None, "Asia/Calcutta", ["en-US"], None, ("IN", "time-zone", "112", "region")),
    (None, "Australia/Sydney", [], None, ("AU", "time-zone", "000", "region")),
    (None, "Pacific/Auckland", ["en-GB"], None, ("NZ", "time-zone", "111", "region")),
    (None, "America/Sao_Paulo", ["en-US"], None, ("BR", "time-zone", "112", "default")),
    (None, "UTC", ["en"], None, (None, "none", "112", "default")),
    (None, "Etc/GMT+5", ["en-GB"], None, ("GB", "language", "999", "region")),
    (None, None, ["en", "fr"], None, (None, "none", "112", "default")),
    (None, None, ["en", "en-AU"], None, ("AU", "language", "000", "region")),
    (None, None, ["zh-Hant-TW"], None, ("TW", "language", "112", "default")),
    (None, None, ["sr-Latn-RS"], None, ("RS", "language", "112", "default")),
    (None, None, ["nb-NO"], None, ("NO", "language", "113", "region")),
    (None, None, ["de_DE"], None, ("DE", "language", "112", "region")),
    (None, None, ["en-gb"], None, ("GB", "language", "999", "region")),
    (None, None, ["es-419", "en-CA"], None, ("CA", "language", "911", "region")),
    (None, None, ["zh-yue-HK"], None, ("HK", "language", "112", "default")),
    (None, None, "ja-JP", None, ("JP", "language", "119", "region")),
    (None, None, [42, "en-IE"], None, ("IE", "language", "112", "region")),
    (None, None, None, None, (None, "none", "112", "default")),
    ("GB", "America/New_York", ["en-US"], None, ("GB", "setting", "999", "region")),
    ("gb", "America/New_York", ["en-US"], None, ("US", "time-zone", "911", "region")),
    ("GBR", None, ["en-GB"], None, ("GB", "language", "999", "region")),
    (None, "constructor", ["en-US"], None, ("US", "language", "911", "region")),
    (None, "__proto__", [], None, (None, "none", "112", "default")),
    (None, "Europe/London", [], "000", ("GB", "time-zone", "000", "setting")),
    (None, "Europe/London", [], "", ("GB", "time-zone", "999", "region")),
    (None, "Europe/London", [], "99 9", ("GB", "time-zone", "999", "region")),
    (None, "Europe/London", [], "+44", ("GB", "time-zone", "999", "region")),
    (None, "Europe/London", [], "911\n", ("GB", "time-zone", "999", "region")),
    (None, "Europe/London", [], "1", ("GB", "time-zone", "999", "region")),
    (None, "America/New_York", [], 999, ("US", "time-zone", "911", "region")),
]

# (region, saved number) -> warning
WARNING_CASES: list[tuple[Any, Any, Any]] = [
    ("GB", "111", {"expected": "999", "service": "NHS 111"}),
    ("GB", "112", {"expected": "999", "service": None}),
    ("GB", "999", None),
    ("NZ", "111", None),
    ("US", "999", {"expected": "911", "service": None}),
    ("BR", "192", None),
    (None, "111", None),
    ("GB", "", None),
    ("GB", None, None),
    ("default", "111", None),
]


@pytest.fixture(scope="module")
def zones() -> dict[str, str]:
    return zone_countries()


def test_zone_map(zones):
    assert zones["Europe/London"] == "GB"
    assert zones["America/New_York"] == "US"
    assert zones["Asia/Calcutta"] == zones["Asia/Kolkata"] == "IN"  # Chromium reports the old name
    assert zones["Europe/Kiev"] == "UA"
    assert zones["Europe/Zagreb"] == "HR"  # from zone.tab, not its link to Belgrade
    assert "UTC" not in zones and "Etc/UTC" not in zones and "Iceland" not in zones
    assert expand_zones(compact_zones(zones)) == zones
    assert 400 < len(zones) < 700


@pytest.mark.parametrize(("saved", "zone", "languages", "number", "expected"), REGION_CASES)
def test_region_and_number(rules, zones, saved, zone, languages, number, expected):
    place = region_for(zones, saved, zone, languages)
    assert (place["region"], place["source"]) == expected[:2]
    call = emergency_number(rules, place["region"], number)
    assert (call["number"], call["source"]) == expected[2:]


def test_urgent_service_only_where_known(rules):
    assert urgent_service(rules, "GB") == {"name": "NHS 111", "number": "111"}
    assert urgent_service(rules, "US") is None
    assert urgent_service(rules, None) is None


@pytest.mark.parametrize(("region", "saved", "expected"), WARNING_CASES)
def test_number_warning(rules, region, saved, expected):
    assert number_warning(rules, region, saved) == expected


# ----------------------------------------------------- the JS evaluator agrees exactly

NODE_SCRIPT = r"""
import { readFileSync } from 'node:fs';
const mod = await import(process.argv[2]);
const input = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const { rules, qids } = input;
const decode = { y: true, u: 'unsure', n: false };
const index = (texts) => { const m = new Map(); texts.forEach((t, i) => { if (!m.has(t)) m.set(t, i); }); return m; };
const reasonIndex = index(input.reason_table);
const adviceIndex = index(input.advice_table);
const ids = (texts, table) => texts.map((t) => table.get(t)).join(',');
const encode = (r) => `${mod.levelRank(rules, r.level)}|${ids(r.reasons, reasonIndex)}|${ids(r.advice, adviceIndex)}`;
const outcomes = input.sets.map((s) => {
  const answers = {};
  for (let i = 0; i < s.length; i += 1) if (s[i] !== '.') answers[qids[i]] = decode[s[i]];
  return encode(mod.evaluate(rules, answers));
});
const zones = mod.zonesFromCompact(input.compact);
const place = (c) => mod.regionFor(zones, c[0], c[1], c[2]);
const out = {
  outcomes,
  odd: input.odd.map((answers) => [mod.evaluate(rules, answers), mod.unanswered(rules, answers)]),
  zones,
  regions: input.region_cases.map((c) => {
    const p = place(c);
    return [p, mod.emergencyNumber(rules, p.region, c[3])];
  }),
  every_zone: input.zone_names.map((z) => mod.regionFor(zones, null, z, ['en-US']).region),
  services: input.service_regions.map((r) => mod.urgentService(rules, r)),
  warnings: input.warning_cases.map(([region, saved]) => mod.numberWarning(rules, region, saved)),
  ranks: rules.levels.map((level) => mod.levelRank(rules, level.id)).concat([mod.levelRank(rules, 'nope')]),
};
process.stdout.write(JSON.stringify(out));
"""

def answer_sets(rules: dict[str, Any], qids: list[str], asking: dict[str, str]) -> list[str]:
    """Every single answer, every pair and triple of yes/not sure, every answer set over
    each combination's questions (left out, no, yes, not sure), and 100,000 random sets.
    Encoded one character per question: . left out, n no, y yes, u not sure."""
    n = len(qids)
    position = {q: i for i, q in enumerate(qids)}
    sets: list[str] = []

    def encode(answers: dict[str, Any]) -> str:
        row = ["."] * n
        for qid, value in answers.items():
            row[position[qid]] = CODE[value]
        return "".join(row)

    for qid in qids:
        for value in (True, "unsure", False):
            sets.append(encode({qid: value}))
    for chosen in itertools.combinations(qids, 2):
        for values in itertools.product((True, "unsure"), repeat=2):
            sets.append(encode(dict(zip(chosen, values, strict=True))))
    # Every triple, with yes and not sure mixed in each of the 8 ways in turn.
    patterns = list(itertools.product((True, "unsure"), repeat=3))
    for k, chosen in enumerate(itertools.combinations(qids, 3)):
        sets.append(encode(dict(zip(chosen, patterns[k % len(patterns)], strict=True))))
    for combo in rules["combinations"]:
        members = [asking[s] for group in combo["all"] for s in group]
        for values in itertools.product((None, False, True, "unsure"), repeat=len(members)):
            sets.append(encode({q: v for q, v in zip(members, values, strict=True) if v is not None}))
    rng = random.Random(2026)
    sets += [random_codes(rng, n) for _ in range(100_000)]
    return sets


def test_js_agrees_with_python(rules, qids, asking, zones, tmp_path):
    node = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)
    if node is None:
        pytest.fail("node is required to check client/static/js/screening-rules.js")

    sets = answer_sets(rules, qids, asking)
    reason_table = [s.get("reason") for s in rules["signs"]] + [c["reason"] for c in rules["combinations"]]
    advice_table = [s.get("advice") for s in rules["signs"]] + [c.get("advice") for c in rules["combinations"]]
    reason_index = {t: reason_table.index(t) for t in reason_table if t}
    advice_index = {t: advice_table.index(t) for t in advice_table if t}
    def expected(s: str) -> str:
        o = evaluate(rules, decode(qids, s))
        return (f"{level_rank(rules, o.level)}|{','.join(str(reason_index[t]) for t in o.reasons)}"
                f"|{','.join(str(advice_index[t]) for t in o.advice)}")

    odd: list[dict[str, Any]] = [
        {},
        {"chest-pain": "yes", "fever": 1, "both-legs-weak-numb": None, "fainting": "UNSURE"},
        {"cancer-history": True, "band-pain": "unsure", "unknown-id": True},
        {"constructor": True, "toString": True, "__proto__": True, "hasOwnProperty": "unsure"},
        {"pregnant": "unsure", "headache-vision": True},
    ]
    region_cases = [[saved, zone, languages, number] for saved, zone, languages, number, _ in REGION_CASES]
    service_regions = ["GB", "US", None, "gb", "constructor", 7]
    warning_cases = [[region, saved] for region, saved, _ in WARNING_CASES]

    script = tmp_path / "run.mjs"
    script.write_text(NODE_SCRIPT, encoding="utf-8")
    data = tmp_path / "input.json"
    data.write_text(json.dumps({
        "rules": rules, "qids": qids, "sets": sets, "odd": odd, "reason_table": reason_table,
        "advice_table": advice_table, "compact": compact_zones(zones), "region_cases": region_cases,
        "service_regions": service_regions, "warning_cases": warning_cases, "zone_names": list(zones),
    }), encoding="utf-8")
    # One Node process evaluates every set while Python does the same alongside it.
    with subprocess.Popen([node, str(script), JS_MODULE.as_uri(), str(data)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        wanted = [expected(s) for s in sets]
        stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    got = json.loads(stdout)

    assert len(got["outcomes"]) == len(sets) > 135_000
    mismatches = [(s, want, have) for s, want, have in zip(sets, wanted, got["outcomes"], strict=True)
                  if want != have]
    assert not mismatches, mismatches[:3]
    assert got["odd"] == [[evaluate(rules, a).to_dict(), unanswered(rules, a)] for a in odd]
    assert got["zones"] == zones
    want_regions = []
    for saved, zone, languages, number in region_cases:
        place = region_for(zones, saved, zone, languages)
        want_regions.append([place, emergency_number(rules, place["region"], number)])
    assert got["regions"] == want_regions
    assert got["every_zone"] == [region_for(zones, None, z, ["en-US"])["region"] for z in zones]
    assert got["services"] == [urgent_service(rules, r) for r in service_regions]
    assert got["warnings"] == [number_warning(rules, r, s) for r, s in warning_cases]
    assert got["ranks"] == [*range(len(LEVEL_IDS)), -1]


def test_js_module_is_pure():
    source = JS_MODULE.read_text(encoding="utf-8")
    for forbidden in ("import ", "document", "window", "localStorage", "navigator"):
        assert forbidden not in source, forbidden
    for name in ("evaluate", "levelRank", "presentSigns", "unanswered", "regionFor", "emergencyNumber",
                 "urgentService", "numberWarning", "zonesFromCompact"):
        assert f"export function {name}(" in source
