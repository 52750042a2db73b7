"""Limits on every JSON request body under /api: nesting depth and number size.

Python's json module turns a document nested a few thousand deep into RecursionError
and an integer of more than 4,300 digits into ValueError; neither is a client's mistake
the API may answer with 500. Each body is checked once here, before any view or schema
sees it, and refused with a 400 JSON error when it is too deep, has a number too long
to mean anything, or uses NaN/Infinity (not JSON).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request
from flask_smorest import abort

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40  # longer than any float or 64-bit integer needs


class _Refused(ValueError):
    pass


def _number(text: str) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number of {len(text)} characters is too long")
    return float(text) if any(c in text for c in ".eE") else int(text)


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON")


def depth(value: Any) -> int:
    """Nesting depth of parsed JSON (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item)
    return deepest


def problem(data: bytes) -> str | None:
    """Why `data` is not an acceptable JSON body, or None (also for invalid JSON, which
    the API's own parser answers)."""
    try:
        value = json.loads(data, parse_int=_number, parse_float=_number, parse_constant=_constant)
    except RecursionError:
        return f"The JSON document is nested too deeply (at most {MAX_DEPTH} levels)."
    except _Refused as exc:
        return f"The JSON document is not acceptable: {exc}."
    except ValueError:
        return None
    if depth(value) > MAX_DEPTH:
        return f"The JSON document is nested too deeply (at most {MAX_DEPTH} levels)."
    return None


def init_app(app: Flask, prefix: str) -> None:
    @app.before_request
    def check_json_body() -> None:
        if not request.path.startswith(prefix + "/") or not request.is_json:
            return
        # Bodies over MAX_CONTENT_LENGTH raise 413 here, before any parsing.
        reason = problem(request.get_data(cache=True))
        if reason:
            abort(400, message=reason)
