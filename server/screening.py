"""Safety-check ("screening") rules: the schema for content/screening.yaml and the
pure functions that turn answers into an urgency level, and a region into the numbers
to call.

client/static/js/screening-rules.js implements the same functions for the offline app.
The two must agree exactly (level, the order of reasons, advice, numbers), because the
person may see either result; tests/test_screening_rules.py runs both on every single
answer, every pair and triple, every answer set over each combination's signs, and
100,000 random sets. Change both together.

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
# The one answer besides true and false. "Not sure" counts as yes: when in doubt, the
# check errs towards getting seen.
UNSURE = "unsure"

_SLUG = validate.Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z", error="Must be a lowercase slug (a-z, 0-9, -)."
)
# Digits only: the number is put into a tel: link and read aloud, so no spaces or "+".
# 2 to 6 digits, the same rule as the settings field. fullmatch, not `$` (which would
# also accept a trailing newline).
_NUMBER = re.compile(r"[0-9]{2,6}")
_REGION = re.compile(r"[A-Z]{2}")


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


def _trigger_level(required: bool = True) -> fields.String:
    # A yes that leads to "self-care" would be a rule that can never matter.
    return fields.String(
        required=required,
        validate=validate.OneOf(
            LEVEL_IDS[:-1], error="Must be one of: {choices} (a yes must raise the urgency)."
        ),
    )


def _phone_number() -> fields.String:
    return fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=6),
            validate.Regexp(r"^[0-9]+\Z", error='Must be digits only, e.g. "112".'),
        ],
    )


def _region_key() -> fields.String:
    return fields.String(
        validate=validate.Regexp(
            r"^(default|[A-Z]{2})\Z",
            error="Must be 'default' or a two-letter region code in capitals, e.g. GB.",
        )
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


class SignSchema(_Strict):
    id = fields.String(required=True, validate=_SLUG)
    # Optional: a sign without a level only counts in a combination (e.g. breathless).
    level = _trigger_level(required=False)
    reason = fields.String(validate=validate.Length(min=1, max=160))
    advice = fields.String(validate=validate.Length(min=1, max=300))
    sources = _sources()

    @validates_schema
    def _reason_with_level(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "level" in data and "reason" not in data:
            raise ValidationError("A sign with a level needs a reason.", "reason")
        if "reason" in data and "level" not in data:
            raise ValidationError("Only a sign with a level is shown as a reason.", "reason")


class AgeBandSchema(_Strict):
    min = fields.Integer(strict=True, validate=validate.Range(0, 130))
    max = fields.Integer(strict=True, validate=validate.Range(0, 130))

    @validates_schema
    def _bounds(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Give min, max or both.")
        if "min" in data and "max" in data and data["min"] > data["max"]:
            raise ValidationError("min must not be above max.", "min")


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
    signs = fields.List(fields.String(validate=_SLUG), required=True, validate=validate.Length(min=1))
    profile = fields.Boolean()
    age = fields.Nested(AgeBandSchema)
    ask_if = fields.List(fields.String(validate=_SLUG), validate=validate.Length(min=1))


class CombinationSchema(_Strict):
    id = fields.String(required=True, validate=_SLUG)
    # The YAML key is "all"; naming the field after it keeps loaded data identical to
    # the file (the client gets the same keys), at the cost of shadowing the builtin
    # inside this class body only. Each group is "any of these signs".
    all = fields.List(
        fields.List(fields.String(validate=_SLUG), validate=validate.Length(min=1)),
        required=True,
        validate=validate.Length(min=2, error="Must list at least {min} groups of signs."),
    )
    level = _trigger_level()
    reason = _text(160)
    advice = fields.String(validate=validate.Length(min=1, max=300))
    sources = _sources()


class UrgentServiceSchema(_Strict):
    name = _text(40)
    number = _phone_number()


class ScreeningFileSchema(_Strict):
    version = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[0-9]{4}\.[0-9]{1,2}\.[0-9]+\Z", error="Must look like YYYY.MM.N, e.g. 2026.11.1."
        ),
    )
    levels = fields.List(fields.Nested(LevelSchema), required=True)
    signs = fields.List(fields.Nested(SignSchema), required=True, validate=validate.Length(min=1))
    questions = fields.List(
        fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1)
    )
    combinations = fields.List(fields.Nested(CombinationSchema), load_default=list)
    emergency_numbers = fields.Dict(keys=_region_key(), values=_phone_number(), required=True)
    urgent_services = fields.Dict(
        keys=fields.String(
            validate=validate.Regexp(
                r"^[A-Z]{2}\Z", error="Must be a two-letter region code in capitals, e.g. GB."
            )
        ),
        values=fields.Nested(UrgentServiceSchema),
        load_default=dict,
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
        if not {"signs", "questions"} <= data.keys():
            return  # the missing list is reported on its own
        signs = data["signs"]
        questions = data["questions"]
        combinations = data.get("combinations", [])
        errors: dict[str, dict[int, dict[str, list[str]]]] = {}

        def add(kind: str, index: int, key: str, message: str) -> None:
            errors.setdefault(kind, {}).setdefault(index, {}).setdefault(key, []).append(message)

        level_of: dict[str, str | None] = {}
        for i, sign in enumerate(signs):
            if sign["id"] in level_of:
                add("signs", i, "id", f"Duplicate sign '{sign['id']}'.")
            level_of[sign["id"]] = sign.get("level")

        # Question and combination ids are unique across BOTH lists: saved screenings and
        # the UI refer to them without saying which list they came from.
        seen: dict[str, str] = {}
        for kind, items in (("questions", questions), ("combinations", combinations)):
            for i, item in enumerate(items):
                if item["id"] in seen:
                    add(kind, i, "id", f"Duplicate id '{item['id']}' (first used by {seen[item['id']]}).")
                else:
                    seen[item["id"]] = f"{kind}[{i}]"

        asked: set[str] = set()
        earlier: set[str] = set()
        for i, question in enumerate(questions):
            known = [s for s in question["signs"] if s in level_of]
            for sign in question["signs"]:
                if sign not in level_of:
                    add("questions", i, "signs", f"Unknown sign '{sign}'.")
            asked.update(known)
            # A yes means "at least one of these": only honest when each alone gives the
            # same level, so the answer cannot hide which one it was.
            if len({level_of[s] for s in known}) > 1:
                add("questions", i, "signs", "Signs asked together must give the same level on their own.")
            for parent in question.get("ask_if", []):
                if parent not in earlier:
                    add("questions", i, "ask_if", f"'{parent}' must be an earlier question.")
            if "age" in question and not question.get("profile"):
                add("questions", i, "age", "Only a profile question can be an age band.")
            earlier.add(question["id"])

        for i, sign in enumerate(signs):
            if sign["id"] not in asked:
                add("signs", i, "id", f"No question asks about '{sign['id']}'.")

        for i, combo in enumerate(combinations):
            members = [s for group in combo["all"] for s in group]
            unknown = [s for s in members if s not in level_of]
            for sign in unknown:
                add("combinations", i, "all", f"Unknown sign '{sign}'.")
            if len(set(members)) != len(members):
                add("combinations", i, "all", "Must not list the same sign twice.")
            if unknown:
                continue
            # A combination no more urgent than every one of its signs alone could only
            # repeat a reason; it is almost certainly a mistake in the level.
            rank = LEVEL_IDS.index(combo["level"])
            if not any(_sign_rank(level_of[s]) > rank for s in members):
                add(
                    "combinations",
                    i,
                    "level",
                    "Must be more urgent than at least one of its signs alone.",
                )
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]


def _sign_rank(level: str | None) -> int:
    # A sign without a level ranks below self-care: it raises nothing on its own.
    return LEVEL_IDS.index(level) if level is not None else len(LEVEL_IDS)


# ------------------------------------------------------------------------ evaluation


@dataclass(frozen=True)
class Outcome:
    level: str
    # Tuples so an Outcome can never be changed after evaluation.
    reasons: tuple[str, ...]
    advice: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The same shape the JS evaluator returns."""
        return {"level": self.level, "reasons": list(self.reasons), "advice": list(self.advice)}


def is_positive(value: Any) -> bool:
    """True or "unsure" (not sure counts as yes). Anything else, "yes", 1 or None
    included, is not an answer and counts as no; the JS side uses the same test."""
    return value is True or (value.__class__ is str and value == UNSURE)


def level_rank(rules: Mapping[str, Any], level_id: str) -> int:
    """0 for the most urgent level; -1 if `level_id` is not in the rules."""
    for rank, level in enumerate(rules["levels"]):
        if level["id"] == level_id:
            return rank
    return -1


def present_signs(rules: Mapping[str, Any], answers: Mapping[str, Any] | None) -> frozenset[str]:
    """Every sign of every question answered true or "unsure"."""
    given: Mapping[str, Any] = answers or {}
    present: set[str] = set()
    for question in rules["questions"]:
        value = given.get(question["id"])
        # is_positive, inlined: this runs for every question of every evaluation.
        if value is True or (value.__class__ is str and value == UNSURE):
            present.update(question["signs"])
    return frozenset(present)


def evaluate(rules: Mapping[str, Any], answers: Mapping[str, Any] | None) -> Outcome:
    """The most urgent level any present sign (or triggered combination) gives, with
    every reason and every piece of advice.

    An answer left out counts as no. Reasons are ordered most urgent level first;
    within a level, file order with signs before combinations. Advice: triggered
    combinations first, then present signs, each in file order.
    """
    present = present_signs(rules, answers)
    ranks = {level["id"]: rank for rank, level in enumerate(rules["levels"])}
    triggered: list[tuple[int, int, int, str]] = []  # (rank, signs first, index, reason)
    advice: list[str] = []
    for index, sign in enumerate(rules["signs"]):
        if sign["id"] in present and sign.get("level"):
            triggered.append((_known_rank(ranks, sign), 0, index, sign["reason"]))
    for index, combo in enumerate(rules.get("combinations") or []):
        if all(not present.isdisjoint(group) for group in combo["all"]):
            triggered.append((_known_rank(ranks, combo), 1, index, combo["reason"]))
            if combo.get("advice"):
                advice.append(combo["advice"])
    advice += [s["advice"] for s in rules["signs"] if s["id"] in present and s.get("advice")]

    if not triggered:
        return Outcome(SELF_CARE, (), tuple(advice))
    triggered.sort()  # keys are unique per item, so the reason text never decides order
    return Outcome(
        rules["levels"][triggered[0][0]]["id"], tuple(t[3] for t in triggered), tuple(advice)
    )


def unanswered(rules: Mapping[str, Any], answers: Mapping[str, Any] | None) -> list[str]:
    """Question ids with no answer (counted as no), in the order they are asked."""
    given: Mapping[str, Any] = answers or {}
    return [q["id"] for q in rules["questions"] if q["id"] not in given]


def _known_rank(ranks: Mapping[str, int], item: Mapping[str, Any]) -> int:
    # Fail loudly: silently ranking an unknown level could hide an emergency.
    if item["level"] not in ranks:
        raise ValueError(f"'{item['id']}' has unknown level '{item['level']}'")
    return ranks[item["level"]]


# ------------------------------------------------------------ region and numbers


def region_from_language(tag: Any) -> str | None:
    """The region subtag of a BCP 47 tag ("en-GB" -> "GB", "zh-Hant-TW" -> "TW")."""
    if not isinstance(tag, str):
        return None
    for part in re.split(r"[-_]", tag)[1:]:
        if len(part) == 2 and part.isascii() and part.isalpha():
            return part.upper()
        # Skip a script ("Hant") or extended language ("yue"); anything else (a numeric
        # region such as 419, a variant, an extension) means there is no usable region.
        if part.isascii() and part.isalpha() and len(part) in (3, 4):
            continue
        return None
    return None


def region_for(
    zones: Mapping[str, str],
    saved: Any = None,
    time_zone: Any = None,
    languages: Iterable[Any] | str | None = None,
) -> dict[str, str | None]:
    """Where the person probably is: their saved setting first, then the device's time
    zone (through the zone-to-country map), then the first browser language that names
    a region. {"region": "GB" | None, "source": "setting" | "time-zone" | "language" | "none"}.

    The time zone comes before the languages because many phones report US English
    wherever they are; a time zone follows the clock, which people do set.
    """
    if isinstance(saved, str) and _REGION.fullmatch(saved):
        return {"region": saved, "source": "setting"}
    if isinstance(time_zone, str) and time_zone in zones:
        return {"region": zones[time_zone], "source": "time-zone"}
    if isinstance(languages, str):
        languages = [languages]
    for tag in languages or []:
        region = region_from_language(tag)
        if region is not None:
            return {"region": region, "source": "language"}
    return {"region": None, "source": "none"}


def valid_number(value: Any) -> bool:
    return isinstance(value, str) and _NUMBER.fullmatch(value) is not None


def emergency_number(
    rules: Mapping[str, Any], region: Any, override: Any = None
) -> dict[str, str]:
    """The number to offer: the person's own (2-6 digits) wins; else the region's; else
    the rules' `default`. {"number": ..., "source": "setting" | "region" | "default"};
    "default" means we do not know the person's number (show how to set it)."""
    if valid_number(override):
        return {"number": override, "source": "setting"}
    numbers = rules["emergency_numbers"]
    if isinstance(region, str) and region != "default" and region in numbers:
        return {"number": str(numbers[region]), "source": "region"}
    return {"number": str(numbers["default"]), "source": "default"}


def urgent_service(rules: Mapping[str, Any], region: Any) -> dict[str, str] | None:
    """The region's urgent, non-emergency service ({"name", "number"}), or None: then
    the advice keeps "your doctor's urgent line or out-of-hours service"."""
    services = rules.get("urgent_services") or {}
    if isinstance(region, str) and region in services:
        return {"name": services[region]["name"], "number": services[region]["number"]}
    return None


def number_warning(rules: Mapping[str, Any], region: Any, saved: Any) -> dict[str, Any] | None:
    """A saved number that is not the emergency number of a known region (111 in GB,
    its urgent but non-emergency line) gets a warning: {"expected": "999",
    "service": "NHS 111" | None}. None when there is nothing to warn about."""
    if not valid_number(saved):
        return None
    numbers = rules["emergency_numbers"]
    if not isinstance(region, str) or region == "default" or region not in numbers:
        return None
    expected = str(numbers[region])
    if saved == expected:
        return None
    service = urgent_service(rules, region)
    return {
        "expected": expected,
        "service": service["name"] if service and service["number"] == saved else None,
    }
