"""The safety check over HTTP, for clients other than our own page.

The browser evaluates the same rules locally and never sends answers. This endpoint
evaluates on request and keeps nothing: no storage, no logging of the body.

The request schema is built from the rule set at start-up, so the OpenAPI description
names every question id and a client (or a fuzzer) knows exactly what is required.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields

from .api import API_PREFIX, ErrorSchema
from .screening import evaluate


class QuestionOut(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)
    hint = fields.String(allow_none=True)
    level = fields.String(required=True, metadata={"description": "Outcome a yes gives alone"})


class LevelOut(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    next_steps = fields.List(fields.String(), required=True)


class RuleSetOut(Schema):
    version = fields.String(required=True)
    questions = fields.List(fields.Nested(QuestionOut), required=True)
    levels = fields.List(
        fields.Nested(LevelOut), required=True,
        metadata={"description": "Outcome levels, most urgent first"},
    )


class OutcomeOut(Schema):
    level = fields.String(required=True)
    reasons = fields.List(fields.String(), required=True)
    version = fields.String(required=True)


class StrictBoolean(fields.Boolean):
    """Only JSON true or false: "yes", 1 or null are not answers."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value


def answers_schema(rules: dict) -> type[Schema]:
    answer_fields = {
        q["id"]: StrictBoolean(
            required=True,
            error_messages={"required": "Missing answer: must be true or false."},
            metadata={"description": q["text"]},
        )
        for q in rules["questions"]
    }
    # marshmallow's default for unknown keys is RAISE, so an unknown question id is an error.
    answer_schema = Schema.from_dict(answer_fields, name="ScreeningAnswers")

    class AnswersIn(Schema):
        class Meta:
            unknown = RAISE

        answers = fields.Nested(
            answer_schema, required=True,
            metadata={"description": "Every question id mapped to true or false"},
        )

    return AnswersIn


def _rules() -> dict:
    return current_app.extensions["mbr_content"].screening


def make_blueprint(rules: dict) -> Blueprint:
    blp = Blueprint(
        "screening_api", __name__, url_prefix=API_PREFIX,
        description="Safety screening: warning signs that need medical evaluation",
    )

    @blp.get("/screening")
    @blp.response(200, RuleSetOut)
    def rule_set():
        """The rule set's version, its questions and its outcome levels (most urgent first)."""
        current = _rules()
        return {"version": current["version"], "questions": current["questions"],
                "levels": current["levels"]}

    @blp.post("/screening")
    @blp.arguments(answers_schema(rules))
    @blp.response(200, OutcomeOut)
    @blp.alt_response(422, schema=ErrorSchema)
    def screen(body: dict):
        """Evaluate a full set of answers. Nothing is stored or logged."""
        current = _rules()
        outcome = evaluate(current, body["answers"])
        return {"level": outcome.level, "reasons": list(outcome.reasons), "version": current["version"]}

    return blp


def init_app(app: Flask) -> None:
    rules = app.extensions["mbr_content"].screening
    app.extensions["mbr_smorest"].register_blueprint(make_blueprint(rules))
