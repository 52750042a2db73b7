"""Configuration: embedded defaults, then environment variables, then the factory's mapping."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    "CONTENT_DIR": str(ROOT / "content"),
    "CLIENT_DIR": str(ROOT / "client"),
    "INSTANCE_DIR": str(ROOT / "instance"),
    # Request bodies are small JSON documents; anything larger is refused with 413.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "THREADS": 8,
    # HSTS only makes sense when the app is really reached over HTTPS.
    "FORCE_HSTS": False,
}

# Environment variable -> (config key, parser). Prefixed so a stray PORT from a
# shell profile is still honoured (the README documents both spellings).
ENV_VARS: dict[str, tuple[str, type]] = {
    "HOST": ("HOST", str),
    "PORT": ("PORT", int),
    "MBR_THREADS": ("THREADS", int),
    "MBR_CONTENT_DIR": ("CONTENT_DIR", str),
    "MBR_INSTANCE_DIR": ("INSTANCE_DIR", str),
    "MBR_MAX_CONTENT_LENGTH": ("MAX_CONTENT_LENGTH", int),
    "MBR_FORCE_HSTS": ("FORCE_HSTS", lambda v: v.lower() in {"1", "true", "yes", "on"}),
}


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Merge defaults, environment and explicit overrides (in that order of precedence)."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for var, (key, parse) in ENV_VARS.items():
        raw = environ.get(var)
        if raw is None or raw == "":
            continue
        try:
            config[key] = parse(raw)
        except ValueError as exc:
            raise ValueError(f"environment variable {var}={raw!r} is not valid: {exc}") from exc
    if overrides:
        config.update(overrides)
    return config
