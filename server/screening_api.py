"""The safety check over HTTP, for clients other than our own page.

The browser evaluates the same rules locally and never sends answers. This endpoint
evaluates on request and keeps nothing: no storage, no logging of the body.

The request schema is built from the rule set at start-up, so the OpenAPI description
names every question id and the three answers each accepts, and a client (or a fuzzer)
knows exactly what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields

from .api import API_PREFIX, ErrorSchema
from .screening import UNSURE, evaluate, unanswered

ANSWER_ERROR = 'Must be true, false or "unsure".'


class AgeBandOut(Schema):
    min = fields.Integer()
    max = fields.Integer()


class QuestionOut(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)
    hint = fields.String()
    signs = fields.List(
        fields.String(), required=True,
        metadata={"description": "The warning signs a yes (or \"unsure\") says may be present"},
    )
    profile = fields.Boolean(
        required=True,
        metadata={"description": "A fact about the person, asked once and remembered"},
    )
    age = fields.Nested(
        AgeBandOut, metadata={"description": "An age band: ask the age once and answer every band from it"}
    )
    ask_if = fields.List(
        fields.String(), required=True,
        metadata={"description": "A follow-up: ask only when one of these questions was answered yes or unsure"},
    )


class SignOut(Schema):
    id = fields.String(required=True)
    level = fields.String(
        allow_none=True, required=True,
        metadata={"description": "The level this sign gives on its own; null: only in a combination"},
    )
    reason = fields.String(allow_none=True, required=True)


class CombinationOut(Schema):
    id = fields.String(required=True)
    all = fields.List(
        fields.List(fields.String()), required=True,
        metadata={"description": "Triggers when every group has at least one sign present"},
    )
    level = fields.String(required=True)
    reason = fields.String(required=True)


class LevelOut(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    next_steps = fields.List(fields.String(), required=True)


class RuleSetOut(Schema):
    version = fields.String(required=True)
    questions = fields.List(
        fields.Nested(QuestionOut), required=True,
        metadata={"description": "Every question in the order asked, profile and follow-up questions included"},
    )
    signs = fields.List(fields.Nested(SignOut), required=True)
    combinations = fields.List(fields.Nested(CombinationOut), required=True)
    levels = fields.List(
        fields.Nested(LevelOut), required=True,
        metadata={"description": "Outcome levels, most urgent first"},
    )


class OutcomeOut(Schema):
    level = fields.String(required=True)
    reasons = fields.List(fields.String(), required=True, metadata={"description": "Most urgent first"})
    advice = fields.List(fields.String(), required=True)
    unanswered = fields.List(
        fields.String(), required=True,
        metadata={"description": "Question ids left out, which were counted as no"},
    )
    version = fields.String(required=True)


class Answer(fields.Field):
    """JSON true, false or the string "unsure". "yes", 1 or null are not answers."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, str) and value == UNSURE):
            return value
        raise ValidationError(ANSWER_ERROR)


def answers_schema(rules: Mapping[str, Any]) -> type[Schema]:
    answer_fields = {
        q["id"]: Answer(
            error_messages={"null": ANSWER_ERROR},
            metadata={
                "description": q["text"],
                # Stated exactly, so a fuzzer's "valid" data really is valid.
                "oneOf": [{"type": "boolean"}, {"type": "string", "enum": [UNSURE]}],
            },
        )
        for q in rules["questions"]
    }
    # marshmallow's default for unknown keys is RAISE, so an unknown question id is an error.
    answer_schema = Schema.from_dict(answer_fields, name="ScreeningAnswers")
    answer_schema.error_messages = {
        "type": 'Must be an object of question id to true, false or "unsure".',
        "unknown": "Unknown question id.",
    }

    class AnswersIn(Schema):
        class Meta:
            unknown = RAISE

        answers = fields.Nested(
            answer_schema, required=True,
            metadata={"description": 'Question id to true, false or "unsure" ("not sure" counts as yes); '
                                     "a question left out counts as no"},
        )

    return AnswersIn


def _rules() -> dict:
    return current_app.extensions["mbr_content"].screening


def make_blueprint(rules: Mapping[str, Any]) -> Blueprint:
    blp = Blueprint(
        "screening_api", __name__, url_prefix=API_PREFIX,
        description="Safety screening: warning signs that need medical evaluation",
    )

    @blp.get("/screening")
    @blp.response(200, RuleSetOut)
    def rule_set():
        """The rule set: its questions (with the warning signs each asks about), signs,
        combinations and outcome levels (most urgent first)."""
        current = _rules()
        return {
            "version": current["version"],
            "questions": [
                {"profile": False, "ask_if": [], **q} for q in current["questions"]
            ],
            "signs": [
                {"id": s["id"], "level": s.get("level"), "reason": s.get("reason")} for s in current["signs"]
            ],
            "combinations": current["combinations"],
            "levels": current["levels"],
        }

    @blp.post("/screening")
    @blp.arguments(answers_schema(rules))
    @blp.response(200, OutcomeOut)
    @blp.alt_response(422, schema=ErrorSchema)
    def screen(body: dict):
        """Evaluate answers. A question left out counts as no and is listed in
        `unanswered`. Nothing is stored or logged."""
        current = _rules()
        outcome = evaluate(current, body["answers"])
        return {**outcome.to_dict(), "unanswered": unanswered(current, body["answers"]),
                "version": current["version"]}

    return blp


def init_app(app: Flask) -> None:
    rules = app.extensions["mbr_content"].screening
    app.extensions["mbr_smorest"].register_blueprint(make_blueprint(rules))
