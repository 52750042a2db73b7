"""JSON API under /api/v1, built with flask-smorest so its OpenAPI description is
generated from the same marshmallow schemas that shape the responses.

Content is fixed for the life of the process, so each GET body is serialised once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, render_template, request
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from . import content_schemas as cs
from .content import Content
from .http import Body
from .inline import finish_page

API_PREFIX = "/api/v1"

blp = Blueprint(
    "api", __name__, url_prefix=API_PREFIX, description="Mid-Back Relief content (read-only)"
)


class ErrorSchema(Schema):
    status = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    error = fields.String(required=True, metadata={"description": "HTTP status name"})
    message = fields.String(metadata={"description": "What went wrong, in words"})
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "Problems per field: {field: [messages]}"},
    )


class ContentVersionSchema(Schema):
    version = fields.String(required=True, metadata={"description": "Hash of content/"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class CategoryOut(cs.CategorySchema):
    causes = fields.List(fields.String(), required=True)


class RoutineOut(cs.RoutineSchema):
    total_seconds = fields.Integer(required=True)


class ContentSchema(Schema):
    version = fields.String(required=True)
    categories = fields.List(fields.Nested(CategoryOut), required=True)
    causes = fields.List(fields.Nested(cs.CauseSchema), required=True)
    exercises = fields.List(fields.Nested(cs.ExerciseSchema), required=True)
    routines = fields.List(fields.Nested(RoutineOut), required=True)
    reminders = fields.List(fields.Nested(cs.ReminderSchema), required=True)
    sources = fields.List(fields.Nested(cs.SourceSchema), required=True)


def _json(data: Any) -> Body:
    return Body.of(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "application/json")


def _bodies(content: Content) -> dict[str, Body]:
    """Serialise every read-only answer once, through the schema that documents it."""
    categories = [
        {**c, "causes": [x["id"] for x in content.causes_in(c["id"])]}
        for c in content.categories.values()
    ]
    routines = [
        {**r, "total_seconds": content.routine_seconds(r["id"])} for r in content.routines.values()
    ]
    whole = ContentSchema().dump(
        {
            "version": content.version,
            "categories": categories,
            "causes": list(content.causes.values()),
            "exercises": list(content.exercises.values()),
            "routines": routines,
            "reminders": list(content.reminders.values()),
            "sources": list(content.sources.values()),
        }
    )
    bodies = {"content": _json(whole)}
    bodies["version"] = _json(
        ContentVersionSchema().dump(
            {
                "version": content.version,
                "counts": {k: len(v) for k, v in whole.items() if isinstance(v, list)},
            }
        )
    )
    for key in ("categories", "causes", "exercises", "routines", "reminders", "sources"):
        bodies[key] = _json(whole[key])
        for item in whole[key]:
            bodies[f"{key}/{item['id']}"] = _json(item)
    return bodies


def body_urls(bodies: dict[str, Body]) -> list[str]:
    """The URL of every prebuilt answer (server/fastpath.py serves them below Flask)."""
    return [f"{API_PREFIX}/{'content/version' if key == 'version' else key}" for key in bodies]


def _serve(key: str):
    body = current_app.extensions["mbr_api"].get(key)
    if body is None:
        from flask_smorest import abort

        abort(404, message=f"No such item: {key}")
    return body.respond(request)


@blp.get("/content/version")
@blp.response(200, ContentVersionSchema)
def content_version():
    """The content version and how many items of each kind there are."""
    return _serve("version")


@blp.get("/content")
@blp.response(200, ContentSchema)
def content_all():
    """All content in one document (what the app shows offline)."""
    return _serve("content")


def _collection(name: str, schema: type[Schema], item_label: str) -> None:
    def list_view():
        return _serve(name)

    def item_view(item_id: str):
        return _serve(f"{name}/{item_id}")

    list_view.__name__ = f"list_{name}"
    list_view.__doc__ = f"Every {item_label}."
    item_view.__name__ = f"get_{name}"
    item_view.__doc__ = f"One {item_label} by id."
    blp.get(f"/{name}")(blp.response(200, schema(many=True))(list_view))
    blp.get(f"/{name}/<item_id>")(
        blp.alt_response(404, schema=ErrorSchema)(blp.response(200, schema)(item_view))
    )


_collection("categories", CategoryOut, "cause category")
_collection("causes", cs.CauseSchema, "cause")
_collection("exercises", cs.ExerciseSchema, "exercise")
_collection("routines", RoutineOut, "routine")
_collection("reminders", cs.ReminderSchema, "reminder type")
_collection("sources", cs.SourceSchema, "source")


def _flatten_locations(errors: Any) -> Any:
    """webargs nests problems by location ({"json": {...}}); clients want the fields."""
    if isinstance(errors, Mapping) and set(errors) <= {"json", "query", "form", "files"}:
        merged: dict[str, Any] = {}
        for location, value in errors.items():
            if isinstance(value, Mapping):
                merged.update(value)
            else:
                merged.setdefault("_" + location, []).extend(
                    value if isinstance(value, list) else [value]
                )
        return merged
    return errors


def _error_page(html: str) -> tuple[str, str]:
    """finish_page for error pages, kept per distinct page: every 404 renders the same
    HTML, so a scan of missing URLs costs a render and a lookup, not a pass over the
    stylesheet each time. Bounded: error descriptions could vary."""
    done = current_app.extensions.setdefault("mbr_error_pages", {})
    if html not in done:
        if len(done) >= 32:
            done.clear()
        done[html] = finish_page(html)
    return done[html]


class MidBackApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        if not request.path.startswith(API_PREFIX + "/") and request.path != API_PREFIX:
            # Pages get a readable HTML page, not JSON.
            html, policy = _error_page(render_template("pages/error.html", error=error, nav=""))
            return html, error.code, {"Content-Security-Policy": policy}
        data = getattr(error, "data", None) or {}
        payload: dict[str, Any] = {"status": error.code, "error": error.name}
        payload["message"] = data.get("message") or error.description or error.name
        errors = data.get("errors", data.get("messages"))
        if errors is not None:
            payload["errors"] = _flatten_locations(errors)
        headers = dict(data.get("headers") or {})
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return payload, error.code, headers


def init_app(app: Flask) -> Api:
    app.config.setdefault("API_TITLE", "Mid-Back Relief API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    # No Swagger UI: it would load scripts from a CDN, and no third-party request is allowed.
    api = MidBackApi(app)
    api.register_blueprint(blp)
    # Feature modules (screening, reminders) register their own blueprints on this Api.
    app.extensions["mbr_smorest"] = api
    app.extensions["mbr_api"] = _bodies(app.extensions["mbr_content"])
    return api
