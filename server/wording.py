"""Durations in words for the pages ("40 s", "1 min 40 s"), the same words the client's
client/static/js/format.js gives (tests/test_format.py compares them)."""

from __future__ import annotations


def duration_words(seconds: float) -> str:
    """Whole seconds in words: "40 s", "1 min", "1 min 40 s", "1 h 5 min"."""
    # JavaScript's Math.round rounds halves up; Python's round() rounds them to even.
    total = max(0, int(float(seconds) + 0.5)) if seconds else 0
    if total < 60:
        return f"{total} s"
    minutes, rest = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, mins = divmod(minutes, 60)
    return f"{hours} h {mins} min" if mins else f"{hours} h"
