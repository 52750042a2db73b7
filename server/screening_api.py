"""The safety check over HTTP, for clients other than our own page.

The browser evaluates the same rules locally and never sends answers. This endpoint
evaluates on request and keeps nothing: no storage, no logging of the body.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from .api import API_PREFIX, ErrorSchema
from .screening import evaluate, validate_answers

blp = Blueprint(
    "screening_api", __name__, url_prefix=API_PREFIX,
    description="Safety screening: warning signs that need medical evaluation",
)


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


class AnswersIn(Schema):
    answers = fields.Dict(
        keys=fields.String(), values=fields.Raw(), required=True,
        metadata={"description": "Every question id mapped to true or false"},
    )


class OutcomeOut(Schema):
    level = fields.String(required=True)
    reasons = fields.List(fields.String(), required=True)
    version = fields.String(required=True)


def _rules() -> dict:
    return current_app.extensions["mbr_content"].screening


@blp.get("/screening")
@blp.response(200, RuleSetOut)
def rule_set():
    """The rule set's version, its questions and its outcome levels (most urgent first)."""
    rules = _rules()
    return {"version": rules["version"], "questions": rules["questions"], "levels": rules["levels"]}


@blp.post("/screening")
@blp.arguments(AnswersIn)
@blp.response(200, OutcomeOut)
@blp.alt_response(422, schema=ErrorSchema)
def screen(body: dict):
    """Evaluate a full set of answers. Nothing is stored or logged."""
    rules = _rules()
    problems = validate_answers(rules, body["answers"])
    if problems:
        abort(422, message="Some answers are missing or invalid.", errors={"answers": problems})
    outcome = evaluate(rules, body["answers"])
    return {"level": outcome.level, "reasons": list(outcome.reasons), "version": rules["version"]}


def init_app(app: Flask) -> None:
    app.extensions["mbr_smorest"].register_blueprint(blp)
