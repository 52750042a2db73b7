"""Tests for the safety-check rules (content/screening.yaml) and both evaluators.

Pure: no server. The expected minimum levels below are written out by hand from
/work/shared/reference/clinical-facts.md section 1 (taking the more cautious urgency
where sources disagree), so a change to the YAML that weakens a rule fails here.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from marshmallow import ValidationError

from server.screening import (
    LEVEL_IDS,
    Outcome,
    ScreeningFileSchema,
    emergency_number,
    evaluate,
    level_rank,
    validate_answers,
)

ROOT = Path(__file__).resolve().parents[1]
RULES_PATH = ROOT / "content" / "screening.yaml"
JS_MODULE = ROOT / "client" / "static" / "js" / "screening-rules.js"

# Source ids defined in content/sources.yaml that the screening rules may cite.
ALLOWED_SOURCES = {
    "nhs-back-pain", "nt-physio", "chcp-msk", "nhs-heart-attack", "hse-aortic-dissection",
    "nice-ng234", "scot-cancer-referral", "rnoh-mscc", "devon-thoracic", "glos-red-flags",
    "nice-ng59", "aafp-choosing-wisely", "acp-imaging", "ahcpr", "downie-2013",
    "verhagen-2016", "physiopedia-thoracic", "nice-ng12",
}  # fmt: skip

# The least urgent level each warning sign may give ON ITS OWN (reference section 1).
# Every question in the file must be listed, so a new question needs a decision here.
EXPECTED_MIN_LEVEL = {
    # 1.A: 999 / A&E.
    "chest-pain": "emergency",  # NHS-BP, NHS-HA
    "tearing-pain": "emergency",  # HSE-AD (possible aortic dissection)
    "both-legs": "emergency",  # NHS-BP, NT
    "bladder-bowel": "emergency",  # NHS-BP, NT
    "serious-injury": "emergency",  # NHS-BP, NT
    # 1.B: urgent, same day.
    "numbness": "same-day",  # CHCP, DEVON
    "weakness-walking": "same-day",  # CHCP, NT
    "band-pain": "same-day",  # NT, CG75 public version, RNOH
    "fever": "same-day",  # NHS-BP, CHCP
    "cancer-history": "same-day",  # CG75, SCOT ("urgently, within 24 hours")
    "minor-injury-fragile": "same-day",  # disagreement (NT says 999): at least same-day
    "weight-loss": "same-day",  # NHS-BP urgent list
    "night-pain": "same-day",  # NHS-BP urgent list
    # 1.C: routine appointment.
    "not-improving": "appointment",  # NHS-BP, PP, GLOS
}

# Answers that must give at least this level TOGETHER (reference 1.A: a person with
# cancer who develops neurological symptoms is an oncological emergency).
EXPECTED_MIN_LEVEL_TOGETHER = [
    (("cancer-history", "numbness"), "emergency"),
    (("cancer-history", "weakness-walking"), "emergency"),
    (("cancer-history", "band-pain"), "emergency"),
    (("cancer-history", "both-legs"), "emergency"),
    (("cancer-history", "bladder-bowel"), "emergency"),
    (("weight-loss", "night-pain"), "same-day"),
    (("weight-loss", "cancer-history"), "same-day"),
]

RANK = {level: i for i, level in enumerate(LEVEL_IDS)}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rules(raw: dict[str, Any]) -> dict[str, Any]:
    return ScreeningFileSchema().load(raw)


@pytest.fixture(scope="module")
def qids(rules: dict[str, Any]) -> list[str]:
    return [q["id"] for q in rules["questions"]]


def all_answer_sets(qids: list[str]) -> list[dict[str, bool]]:
    """Every combination of yes/no, in a fixed order (bit i of the index = question i)."""
    return [{q: bool(mask >> i & 1) for i, q in enumerate(qids)} for mask in range(1 << len(qids))]


# ------------------------------------------------------------------------ the file


def test_schema_accepts_file_and_changes_nothing(raw: dict[str, Any], rules: dict[str, Any]):
    # The client gets the same data as JSON, so loading must not add or rename keys.
    assert rules == raw
    assert [level["id"] for level in rules["levels"]] == list(LEVEL_IDS)
    assert 1 <= len(rules["questions"]) <= 14


def test_every_question_has_an_expected_level(qids: list[str]):
    assert sorted(qids) == sorted(EXPECTED_MIN_LEVEL)


def test_only_known_sources(rules: dict[str, Any]):
    for item in rules["questions"] + rules["combinations"]:
        assert set(item["sources"]) <= ALLOWED_SOURCES, item["id"]


def test_self_care_says_when_to_screen_again(rules: dict[str, Any]):
    steps = " ".join(rules["levels"][-1]["next_steps"]).lower()
    assert "screen again" in steps and "week" in steps
    assert "watch for" in steps


def test_wording_does_not_diagnose(rules: dict[str, Any]):
    # Outcome wording (not the questions, which may ask "Do you have a ...?").
    texts = [item["reason"] for item in rules["questions"] + rules["combinations"]]
    for level in rules["levels"]:
        texts += [level["summary"], *level["next_steps"]]
    for text in texts:
        lowered = text.lower()
        for word in ("you have a", "you are having", "this is a", "diagnos"):
            if word == "diagnos" and "not a diagnosis" in lowered:
                continue
            assert word not in lowered, text


def test_emergency_numbers(rules: dict[str, Any]):
    numbers = rules["emergency_numbers"]
    assert numbers["default"] == "112"
    expected = {"US": "911", "CA": "911", "GB": "999", "AU": "000", "NZ": "111", "IE": "112"}
    for region, number in expected.items():
        assert numbers[region] == number
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in numbers.items())


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


def test_rejects_missing_or_extra_level(raw):
    assert load_errors(raw, lambda d: d["levels"].pop(2)) == {
        "levels": [
            "Must be exactly these levels, most urgent first: emergency, same-day, "
            "appointment, self-care (found: emergency, same-day, self-care)."
        ]
    }

    def rename(d):
        d["levels"][3]["id"] = "ok"

    assert load_errors(raw, rename) == {
        "levels": {3: {"id": ["Must be one of: emergency, same-day, appointment, self-care."]}}
    }


def test_rejects_too_many_and_no_questions(raw):
    def add_one(d):
        extra = dict(d["questions"][-1], id="extra-question")
        d["questions"] += [extra] * (15 - len(d["questions"]))

    assert load_errors(raw, add_one) == {"questions": ["Must have between 1 and 14 questions."]}
    assert load_errors(raw, lambda d: d.update(questions=[])) == {
        "questions": ["Must have between 1 and 14 questions."]
    }


def test_rejects_duplicate_ids_across_questions_and_combinations(raw):
    fever = _index(raw, "questions", "fever")
    assert load_errors(raw, lambda d: d["combinations"][0].update(id="fever")) == {
        "combinations": {0: {"id": [f"Duplicate id 'fever' (first used by questions[{fever}])."]}}
    }
    assert load_errors(raw, lambda d: d["questions"][1].update(id=d["questions"][0]["id"])) == {
        "questions": {
            1: {"id": [f"Duplicate id '{raw['questions'][0]['id']}' (first used by questions[0])."]}
        }
    }


def test_rejects_bad_combination_members(raw):
    assert load_errors(raw, lambda d: d["combinations"][0].update(all=["fever"])) == {
        "combinations": {0: {"all": ["Must list at least 2 question ids."]}}
    }
    assert load_errors(raw, lambda d: d["combinations"][1].update(all=["fever", "nope"])) == {
        "combinations": {1: {"all": ["Unknown question id 'nope'."]}}
    }
    assert load_errors(raw, lambda d: d["combinations"][0].update(all=["fever", "fever"])) == {
        "combinations": {0: {"all": ["Must not list the same question twice."]}}
    }


def test_rejects_combination_that_cannot_escalate(raw):
    assert load_errors(raw, lambda d: d["combinations"][0].update(level="same-day")) == {
        "combinations": {
            0: {
                "level": [
                    "Must be more urgent than each of its questions alone; "
                    "'cancer-history' already gives 'same-day'."
                ]
            }
        }
    }


def test_rejects_unknown_levels(raw):
    choices = "Must be one of: emergency, same-day, appointment (a yes must raise the urgency)."
    assert load_errors(raw, lambda d: d["questions"][2].update(level="urgent")) == {
        "questions": {2: {"level": [choices]}}
    }
    assert load_errors(raw, lambda d: d["combinations"][0].update(level="self-care")) == {
        "combinations": {0: {"level": [choices]}}
    }


def test_rejects_unknown_and_missing_keys(raw):
    assert load_errors(raw, lambda d: d["questions"][0].update(levle="emergency")) == {
        "questions": {0: {"levle": ["Unknown field."]}}
    }
    assert load_errors(raw, lambda d: d["questions"][3].pop("reason")) == {
        "questions": {3: {"reason": ["Missing data for required field."]}}
    }
    assert load_errors(raw, lambda d: d.update(extra=1)) == {"extra": ["Unknown field."]}


def test_rejects_question_that_is_not_a_question(raw):
    assert load_errors(raw, lambda d: d["questions"][0].update(text="Chest pain.")) == {
        "questions": {0: {"text": ["Must be a yes/no question ending with '?'."]}}
    }


def test_rejects_bad_emergency_numbers(raw):
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
        "emergency_numbers": {
            "gb": {"key": ["Must be 'default' or a two-letter region code in capitals, e.g. GB."]}
        }
    }


def test_rejects_bad_version(raw):
    assert load_errors(raw, lambda d: d.update(version="v1")) == {
        "version": ["Must look like YYYY.MM.N, e.g. 2026.11.1."]
    }


# ---------------------------------------------------------------------- evaluation


def test_no_answers_is_self_care(rules, qids):
    assert evaluate(rules, {}) == Outcome("self-care", ())
    assert evaluate(rules, dict.fromkeys(qids, False)) == Outcome("self-care", ())


def test_only_true_counts_as_yes(rules):
    assert evaluate(rules, {"chest-pain": "yes", "fever": 1, "both-legs": None}).level == (
        "self-care"
    )


@pytest.mark.parametrize("question_id", sorted(EXPECTED_MIN_LEVEL))
def test_each_sign_alone_gives_at_least_reference_level(rules, question_id):
    outcome = evaluate(rules, {question_id: True})
    assert RANK[outcome.level] <= RANK[EXPECTED_MIN_LEVEL[question_id]], outcome
    question = next(q for q in rules["questions"] if q["id"] == question_id)
    assert outcome.reasons == (question["reason"],)


@pytest.mark.parametrize(("question_ids", "minimum"), EXPECTED_MIN_LEVEL_TOGETHER)
def test_signs_together_give_at_least_reference_level(rules, question_ids, minimum):
    outcome = evaluate(rules, dict.fromkeys(question_ids, True))
    assert RANK[outcome.level] <= RANK[minimum], outcome


def test_combination_adds_its_reason_first(rules):
    outcome = evaluate(rules, {"not-improving": True, "numbness": True, "cancer-history": True})
    assert outcome == Outcome(
        "emergency",
        (
            "A history of cancer together with new numbness or tingling",
            "New numbness or tingling in the chest, tummy, arms or legs",
            "A history of cancer",
            "Pain that is not improving, is getting worse, or is stopping everyday activities",
        ),
    )


def _expected_reasons(rules: dict[str, Any], answers: dict[str, bool]) -> list[str]:
    """The ordering rule written a second way: level by level, questions then combinations."""
    reasons: list[str] = []
    for level in LEVEL_IDS:
        reasons += [
            q["reason"] for q in rules["questions"] if q["level"] == level and answers[q["id"]]
        ]
        reasons += [
            c["reason"]
            for c in rules["combinations"]
            if c["level"] == level and all(answers[q] for q in c["all"])
        ]
    return reasons


@pytest.fixture(scope="module")
def every_outcome(rules, qids) -> list[tuple[dict[str, bool], Outcome]]:
    return [(answers, evaluate(rules, answers)) for answers in all_answer_sets(qids)]


def test_every_combination_monotonic_and_ordered(rules, qids, every_outcome):
    ranks = [level_rank(rules, outcome.level) for _, outcome in every_outcome]
    single = [level_rank(rules, q["level"]) for q in rules["questions"]]
    for mask, (answers, outcome) in enumerate(every_outcome):
        # Adding a yes never makes the outcome milder.
        for bit in range(len(qids)):
            if not mask >> bit & 1:
                assert ranks[mask | 1 << bit] <= ranks[mask], (answers, qids[bit])
        # Never milder than any single yes on its own.
        yes_ranks = [single[bit] for bit in range(len(qids)) if mask >> bit & 1]
        assert ranks[mask] <= min(yes_ranks, default=RANK["self-care"]), answers
        # Reasons: all triggered, most urgent level first, file order, questions first.
        assert list(outcome.reasons) == _expected_reasons(rules, answers), answers
        if outcome.reasons:
            assert ranks[mask] == min(yes_ranks + _combo_ranks(rules, answers))
        else:
            assert outcome.level == "self-care"


def _combo_ranks(rules: dict[str, Any], answers: dict[str, bool]) -> list[int]:
    return [RANK[c["level"]] for c in rules["combinations"] if all(answers[q] for q in c["all"])]


# ------------------------------------------------------------------ answer checking


def test_validate_answers(rules, qids):
    complete = dict.fromkeys(qids, False)
    assert validate_answers(rules, complete) == {}
    assert validate_answers(rules, {**complete, "chest-pian": True}) == {
        "chest-pian": ["Unknown question id."]
    }
    partial = {q: False for q in qids if q != "fever"}
    assert validate_answers(rules, partial) == {"fever": ["Missing answer: must be true or false."]}
    assert validate_answers(rules, {**complete, "fever": "yes", "numbness": 1}) == {
        "fever": ["Must be true or false."],
        "numbness": ["Must be true or false."],
    }
    assert validate_answers(rules, ["fever"]) == {
        "_schema": ["Answers must be an object of question id to true or false."]
    }


# ---------------------------------------------------------------- emergency number

LOCALE_CASES: list[tuple[Any, Any, str]] = [
    (["en-GB"], None, "999"),
    (["en-US", "en-GB"], None, "911"),
    (["en", "fr"], None, "112"),
    (["en", "en-AU"], None, "000"),
    (["en-XX", "en-NZ"], None, "111"),
    (["zh-Hant-TW"], None, "112"),
    (["sr-Latn-RS"], None, "112"),
    (["nb-NO"], None, "113"),
    (["de_DE"], None, "112"),
    (["en-gb"], None, "999"),
    (["es-419", "en-CA"], None, "911"),
    (["zh-yue-HK"], None, "112"),
    ("ja-JP", None, "119"),
    ([], None, "112"),
    (None, None, "112"),
    (["en-GB"], "000", "000"),
    (["en-GB"], "", "999"),
    (["en-GB"], "99 9", "999"),
    (["en-GB"], "+44", "999"),
    (["en-GB"], "911\n", "999"),
    (["en-US"], 999, "911"),
    ([42, "en-IE"], None, "112"),
]


@pytest.mark.parametrize(("locales", "override", "expected"), LOCALE_CASES)
def test_emergency_number(rules, locales, override, expected):
    assert emergency_number(rules, locales, override) == expected


# ----------------------------------------------------- the JS evaluator agrees exactly

NODE_SCRIPT = """
import { readFileSync } from 'node:fs';
const mod = await import(process.argv[2]);
const input = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const out = {
  outcomes: input.answer_sets.map((answers) => mod.evaluate(input.rules, answers)),
  numbers: input.locale_cases.map(([locales, override]) =>
    mod.emergencyNumber(input.rules, locales, override ?? undefined)),
  ranks: input.rules.levels.map((level) => mod.levelRank(input.rules, level.id))
    .concat([mod.levelRank(input.rules, 'nope')]),
};
process.stdout.write(JSON.stringify(out));
"""


def test_js_evaluator_matches_python_on_every_combination(rules, qids, every_outcome, tmp_path):
    node = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)
    if node is None:
        pytest.fail("node is required to check client/static/js/screening-rules.js")

    odd_answer_sets: list[dict[str, Any]] = [
        {},
        {"chest-pain": "yes", "fever": 1, "numbness": None},
        {"cancer-history": True},
        {"cancer-history": True, "numbness": True, "unknown-id": True},
        {"constructor": True, "toString": True, "__proto__": True},
    ]
    answer_sets = [answers for answers, _ in every_outcome] + odd_answer_sets
    expected = [outcome.to_dict() for _, outcome in every_outcome] + [
        evaluate(rules, answers).to_dict() for answers in odd_answer_sets
    ]
    locale_cases = [[locales, override] for locales, override, _ in LOCALE_CASES]

    script = tmp_path / "run.mjs"
    script.write_text(NODE_SCRIPT, encoding="utf-8")
    data = tmp_path / "input.json"
    data.write_text(
        json.dumps({"rules": rules, "answer_sets": answer_sets, "locale_cases": locale_cases}),
        encoding="utf-8",
    )
    result = subprocess.run(
        [node, str(script), JS_MODULE.as_uri(), str(data)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)

    assert len(got["outcomes"]) == len(expected) == (1 << len(qids)) + len(odd_answer_sets)
    mismatches = [
        (answers, want, have)
        for answers, want, have in zip(answer_sets, expected, got["outcomes"], strict=True)
        if want != have
    ]
    assert not mismatches, mismatches[:3]
    assert got["numbers"] == [expected for _, _, expected in LOCALE_CASES]
    assert got["ranks"] == [*range(len(LEVEL_IDS)), -1]


def test_js_module_is_pure():
    source = JS_MODULE.read_text(encoding="utf-8")
    for forbidden in ("import ", "document", "window", "localStorage", "navigator"):
        assert forbidden not in source, forbidden
    for name in ("evaluate", "levelRank", "emergencyNumber"):
        assert f"export function {name}(" in source
