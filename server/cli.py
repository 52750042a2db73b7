"""Content check: print every problem in content/ (file, item, field), or a summary.

It runs without building the app, because a broken content file stops the app itself
from starting; that is exactly when this command is needed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from .config import load_config
from .content import ContentError, load_content


def check_content(directory: str | None = None, out: TextIO = sys.stdout) -> int:
    """Validate content/ and its cross-references; return 0 when clean, 1 otherwise."""
    settings = load_config()
    target = directory or settings["CONTENT_DIR"]
    try:
        content = load_content(target, Path(settings["CLIENT_DIR"]) / "static" / "illustrations")
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=out)
        print(f"{len(exc.problems)} problem(s) in {target}", file=out)
        return 1
    print(
        f"content OK (version {content.version}): {len(content.categories)} categories, "
        f"{len(content.causes)} causes, {len(content.exercises)} exercises, "
        f"{len(content.routines)} routines, {len(content.reminders)} reminder types, "
        f"{len(content.screening['questions'])} screening questions, "
        f"{len(content.sources)} sources.",
        file=out,
    )
    return 0
