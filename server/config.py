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
    # waitress: open connections at most, and seconds an idle or half-sent connection
    # may stay open. Phones on poor signal hold connections open; a client that sends
    # half a request and waits must not take a place for minutes.
    "CONNECTION_LIMIT": 1000,
    "CHANNEL_TIMEOUT": 20,
    # How many proxies in front of the app add X-Forwarded-For/-Proto (the TLS proxy the
    # README recommends is one). 0: the headers are ignored, the socket's address counts.
    "TRUSTED_PROXIES": 0,
    # The app's public origin (https://relief.example): absolute links in push messages
    # (Safari's Declarative Web Push opens them as they are) and in the calendar file.
    # Never taken from a request's Host header; without it, links are relative.
    "PUBLIC_URL": None,
    # HSTS only makes sense when the app is really reached over HTTPS (directly, or via
    # a trusted proxy's X-Forwarded-Proto).
    "FORCE_HSTS": False,
    # Prebuilt bodies answered below Flask (server/fastpath.py); False: Flask answers all.
    "FAST_PATH": True,
    # Reminders. None: SQLite in the instance folder; PostgreSQL for several instances.
    "DATABASE_URL": None,
    # None: created on first start in the instance folder (vapid_private.pem).
    "VAPID_PRIVATE_KEY": None,
    # Push services contact this address about problems; Apple rejects localhost.
    "VAPID_SUBJECT": "mailto:admin@localhost",
    # The server only POSTs to these push services ("*." allows subdomains).
    "PUSH_ALLOWED_HOSTS": (
        "fcm.googleapis.com",  # Chrome, Android browsers, Opera, Samsung Internet
        "android.googleapis.com",  # older Chrome subscriptions
        "updates.push.services.mozilla.com",  # Firefox
        "push.services.mozilla.com",
        "web.push.apple.com",  # Safari, iOS/iPadOS home-screen apps (16.4+)
        "*.push.apple.com",
        "*.notify.windows.com",  # Edge on Windows
    ),
    # Subscription, snooze, done, pause and calendar requests per client address a minute.
    "PUSH_RATE_LIMIT": 30,
    # Requests with a missing or unknown device token, per client address a minute.
    "AUTH_FAILURE_RATE_LIMIT": 10,
    # Devices stored at most; a new one past this gets 503 (Retry-After), not a bigger table.
    "MAX_DEVICES": 100_000,
    # Seconds a push service keeps a reminder for a phone that is offline.
    "PUSH_TTL": 900,
    "PUSH_SEND_THREADS": 4,
    # "app": `python -m server` runs the scheduler in a thread; "off" when workers do.
    "SCHEDULER": "app",
    "SCHEDULER_POLL_SECONDS": 5,
    # A claimed batch is the scheduler's for this long, renewed while it sends; after a
    # crash, what it had not sent goes out once the lease ends.
    "SCHEDULER_LEASE_SECONDS": 10,
    # A reminder more than this late (the scheduler was down) is skipped, not sent.
    "REMINDER_GRACE_SECONDS": 900,
}

# Environment variable -> (config key, parser). Prefixed so a stray PORT from a
# shell profile is still honoured (the README documents both spellings).
ENV_VARS: dict[str, tuple[str, type]] = {
    "HOST": ("HOST", str),
    "PORT": ("PORT", int),
    "MBR_THREADS": ("THREADS", int),
    "MBR_CONNECTION_LIMIT": ("CONNECTION_LIMIT", int),
    "MBR_CHANNEL_TIMEOUT": ("CHANNEL_TIMEOUT", int),
    "MBR_TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
    "MBR_PUBLIC_URL": ("PUBLIC_URL", str),
    "MBR_CONTENT_DIR": ("CONTENT_DIR", str),
    "MBR_INSTANCE_DIR": ("INSTANCE_DIR", str),
    "MBR_MAX_CONTENT_LENGTH": ("MAX_CONTENT_LENGTH", int),
    "MBR_FORCE_HSTS": ("FORCE_HSTS", lambda v: v.lower() in {"1", "true", "yes", "on"}),
    "DATABASE_URL": ("DATABASE_URL", str),
    "MBR_VAPID_PRIVATE_KEY": ("VAPID_PRIVATE_KEY", str),
    "MBR_VAPID_SUBJECT": ("VAPID_SUBJECT", str),
    "MBR_PUSH_ALLOWED_HOSTS": ("PUSH_ALLOWED_HOSTS", lambda v: tuple(h.strip() for h in v.split(",") if h.strip())),
    "MBR_PUSH_RATE_LIMIT": ("PUSH_RATE_LIMIT", int),
    "MBR_AUTH_FAILURE_RATE_LIMIT": ("AUTH_FAILURE_RATE_LIMIT", int),
    "MBR_MAX_DEVICES": ("MAX_DEVICES", int),
    "MBR_PUSH_SEND_THREADS": ("PUSH_SEND_THREADS", int),
    "MBR_SCHEDULER": ("SCHEDULER", str),
    "MBR_SCHEDULER_POLL_SECONDS": ("SCHEDULER_POLL_SECONDS", float),
    "MBR_SCHEDULER_LEASE_SECONDS": ("SCHEDULER_LEASE_SECONDS", float),
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
