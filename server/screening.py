"""Safety-check ("screening") rules: the schema for content/screening.yaml and the
pure functions that turn yes/no answers into an urgency level.

client/static/js/screening-rules.js implements the same evaluation for the offline
app. The two must agree exactly (level AND the order of reasons), because the person
may see either result; tests/test_screening_rules.py compares them on every possible
set of answers. Change both together.

This module imports nothing from the rest of `server`, so the rules can be checked
and tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

# The four levels, MOST urgent first. Fixed rather than data-driven because the client
# shows different screens per level (emergency hides exercises, and so on); a new level
# would need code, so the schema refuses one.
LEVEL_IDS: tuple[str, ...] = ("emergency", "same-day", "appointment", "self-care")
SELF_CARE = "self-care"
MAX_QUESTIONS = 14  # the check must stay quick enough to finish while in pain

_SLUG = validate.Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z", error="Must be a lowercase slug (a-z, 0-9, -)."
)
# Digits only: the number is put into a tel: link and read aloud, so no spaces or "+".
# Used with fullmatch (not `$`, which would also accept a trailing newline).
_DIGITS = re.compile(r"[0-9]+")


# --------------------------------------------------------------------------- schema


class _Strict(Schema):
    # A typo in a key (e.g. "levle") must stop start-up, not silently drop a rule.
    class Meta:
        unknown = RAISE


def _text(max_len: int = 300) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=max_len))


def _sources() -> fields.List:
    # Whether each id exists in sources.yaml is checked by the content loader, which
    # knows every file; here we only check the shape.
    return fields.List(
        fields.String(validate=_SLUG), required=True, validate=validate.Length(min=1)
    )


def _trigger_level() -> fields.String:
    # A yes that leads to "self-care" would be a question that can never matter.
    return fields.String(
        required=True,
        validate=validate.OneOf(
            LEVEL_IDS[:-1], error="Must be one of: {choices} (a yes must raise the urgency)."
        ),
    )


class LevelSchema(_Strict):
    id = fields.String(required=True, validate=validate.OneOf(LEVEL_IDS))
    title = _text(80)
    summary = _text(400)
    next_steps = fields.List(
        fields.String(validate=validate.Length(min=1, max=400)),
        required=True,
        validate=validate.Length(min=1, max=8),
    )


class QuestionSchema(_Strict):
    id = fields.String(required=True, validate=_SLUG)
    text = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=200),
            validate.Regexp(r"(?s).*\?\Z", error="Must be a yes/no question ending with '?'."),
        ],
    )
    hint = fields.String(validate=validate.Length(min=1, max=200))
    level = _trigger_level()
    reason = _text(160)
    sources = _sources()


class CombinationSchema(_Strict):
    id = fields.String(required=True, validate=_SLUG)
    # The YAML key is "all"; naming the field after it keeps loaded data identical to
    # the file (the client gets the same keys), at the cost of shadowing the builtin
    # inside this class body only.
    all = fields.List(
        fields.String(validate=_SLUG),
        required=True,
        validate=validate.Length(min=2, error="Must list at least {min} question ids."),
    )
    level = _trigger_level()
    reason = _text(160)
    sources = _sources()


class ScreeningFileSchema(_Strict):
    version = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[0-9]{4}\.[0-9]{1,2}\.[0-9]+\Z", error="Must look like YYYY.MM.N, e.g. 2026.11.1."
        ),
    )
    levels = fields.List(fields.Nested(LevelSchema), required=True)
    questions = fields.List(
        fields.Nested(QuestionSchema),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_QUESTIONS, error="Must have between {min} and {max} questions."
        ),
    )
    combinations = fields.List(fields.Nested(CombinationSchema), load_default=list)
    emergency_numbers = fields.Dict(
        keys=fields.String(
            validate=validate.Regexp(
                r"^(default|[A-Z]{2})\Z",
                error="Must be 'default' or a two-letter region code in capitals, e.g. GB.",
            )
        ),
        values=fields.String(
            validate=[
                validate.Length(min=1, max=6),
                validate.Regexp(r"^[0-9]+\Z", error='Must be digits only, e.g. "112".'),
            ]
        ),
        required=True,
    )

    @validates_schema
    def _check_levels(self, data: dict[str, Any], **kwargs: Any) -> None:
        # The evaluators rank urgency by position, so the order is part of the meaning.
        ids = [level["id"] for level in data.get("levels", [])]
        if ids != list(LEVEL_IDS):
            raise ValidationError(
                f"Must be exactly these levels, most urgent first: {', '.join(LEVEL_IDS)} "
                f"(found: {', '.join(ids) or 'none'}).",
                "levels",
            )

    @validates_schema
    def _check_numbers(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "emergency_numbers" in data and "default" not in data["emergency_numbers"]:
            raise ValidationError(
                "Must include 'default', used when the region is unknown.", "emergency_numbers"
            )

    @validates_schema
    def _check_ids(self, data: dict[str, Any], **kwargs: Any) -> None:
        questions = data.get("questions", [])
        combinations = data.get("combinations", [])
        errors: dict[str, dict[int, dict[str, list[str]]]] = {}

        def add(kind: str, index: int, key: str, message: str) -> None:
            errors.setdefault(kind, {}).setdefault(index, {}).setdefault(key, []).append(message)

        # Ids are unique across BOTH lists: saved screenings and the UI refer to them
        # without saying which list they came from.
        seen: dict[str, str] = {}
        for kind, items in (("questions", questions), ("combinations", combinations)):
            for i, item in enumerate(items):
                where = f"{kind}[{i}]"
                if item["id"] in seen:
                    add(
                        kind,
                        i,
                        "id",
                        f"Duplicate id '{item['id']}' (first used by {seen[item['id']]}).",
                    )
                else:
                    seen[item["id"]] = where

        level_of = {q["id"]: q["level"] for q in questions}
        for i, combo in enumerate(combinations):
            unknown = [qid for qid in combo["all"] if qid not in level_of]
            for qid in unknown:
                add("combinations", i, "all", f"Unknown question id '{qid}'.")
            if len(set(combo["all"])) != len(combo["all"]):
                add("combinations", i, "all", "Must not list the same question twice.")
            if unknown:
                continue
            # A combination no more urgent than one of its own questions can never change
            # the outcome; it is almost certainly a mistake in the level.
            rank = LEVEL_IDS.index(combo["level"])
            milder = [qid for qid in combo["all"] if LEVEL_IDS.index(level_of[qid]) <= rank]
            if milder:
                add(
                    "combinations",
                    i,
                    "level",
                    f"Must be more urgent than each of its questions alone; "
                    f"'{milder[0]}' already gives '{level_of[milder[0]]}'.",
                )
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]


# ------------------------------------------------------------------------ evaluation


@dataclass(frozen=True)
class Outcome:
    level: str
    # A tuple so an Outcome can never be changed after evaluation.
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The same shape the JS evaluator returns: {"level": ..., "reasons": [...]}."""
        return {"level": self.level, "reasons": list(self.reasons)}


def level_rank(rules: Mapping[str, Any], level_id: str) -> int:
    """0 for the most urgent level; -1 if `level_id` is not in the rules."""
    for rank, level in enumerate(rules["levels"]):
        if level["id"] == level_id:
            return rank
    return -1


def evaluate(rules: Mapping[str, Any], answers: Mapping[str, Any] | None) -> Outcome:
    """The most urgent level any yes (or all-yes combination) gives, with every reason.

    Only a real `True` counts as yes: an unanswered question, `False`, or a malformed
    value such as "yes" triggers nothing (validate_answers reports those), and the JS
    evaluator uses the same `=== true` test so both always agree.

    Reasons are ordered most urgent level first; within a level, file order with
    questions before combinations.
    """

    given: Mapping[str, Any] = answers or {}  # None counts as "nothing answered", as in JS

    def is_yes(question_id: str) -> bool:
        return given.get(question_id) is True

    triggered: list[tuple[int, int, int, str]] = []  # (rank, questions first, index, reason)
    for index, question in enumerate(rules["questions"]):
        if is_yes(question["id"]):
            triggered.append((_known_rank(rules, question), 0, index, question["reason"]))
    for index, combo in enumerate(rules.get("combinations") or []):
        if all(is_yes(qid) for qid in combo["all"]):
            triggered.append((_known_rank(rules, combo), 1, index, combo["reason"]))

    if not triggered:
        return Outcome(SELF_CARE, ())
    triggered.sort()  # keys are unique per item, so the reason text never decides order
    return Outcome(rules["levels"][triggered[0][0]]["id"], tuple(t[3] for t in triggered))


def _known_rank(rules: Mapping[str, Any], item: Mapping[str, Any]) -> int:
    # Fail loudly: silently ranking an unknown level could hide an emergency.
    rank = level_rank(rules, item["level"])
    if rank < 0:
        raise ValueError(f"'{item['id']}' has unknown level '{item['level']}'")
    return rank


def validate_answers(rules: Mapping[str, Any], answers: Any) -> dict[str, list[str]]:
    """Problems per key, empty when the answers are complete and well formed.

    The result has marshmallow's error shape ({field: [messages]}, "_schema" for the
    whole body), so an API schema can `raise ValidationError(validate_answers(...))`
    from a @validates_schema hook and return it as a 422 unchanged.
    """
    if not isinstance(answers, Mapping):
        return {"_schema": ["Answers must be an object of question id to true or false."]}
    problems: dict[str, list[str]] = {}
    known = [q["id"] for q in rules["questions"]]
    for question_id in known:
        if question_id not in answers:
            problems[question_id] = ["Missing answer: must be true or false."]
        elif not isinstance(answers[question_id], bool):
            # bool only: 1 and "yes" are refused rather than guessed at.
            problems[question_id] = ["Must be true or false."]
    known_set = set(known)
    for key in answers:
        if key not in known_set:
            problems[str(key)] = ["Unknown question id."]
    return problems


# ----------------------------------------------------------------- emergency number


def _region(locale: str) -> str | None:
    """The region subtag of a BCP 47 tag ("en-GB" -> "GB", "zh-Hant-TW" -> "TW")."""
    parts = re.split(r"[-_]", locale)
    for part in parts[1:]:
        if len(part) == 2 and part.isascii() and part.isalpha():
            return part.upper()
        # Skip a script ("Hant") or extended language ("yue"); anything else (a numeric
        # region such as 419, a variant, an extension) means there is no usable region.
        if part.isascii() and part.isalpha() and len(part) in (3, 4):
            continue
        return None
    return None


def emergency_number(
    rules: Mapping[str, Any],
    locales: Iterable[str] | str | None,
    override: str | None = None,
) -> str:
    """The number to show: a digits-only `override` (the person's own setting) wins;
    else the first locale whose region is listed; else the rules' `default`."""
    if isinstance(override, str) and _DIGITS.fullmatch(override):
        return override
    numbers = rules["emergency_numbers"]
    if isinstance(locales, str):
        locales = [locales]
    for locale in locales or []:
        if not isinstance(locale, str):
            continue
        region = _region(locale)
        if region is not None and region in numbers:
            return str(numbers[region])
    return str(numbers["default"])
