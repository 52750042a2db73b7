"""Reminder delivery on the server: pure schedule rules (`rules`), planning, the store
with its migrations, Web Push (`push`), the scheduler, the calendar file, schemas, rate
limits and thin API views.

`setup()` builds the services once - store (migrated under a lock), push sender, texts,
rate limits - and returns them as one `Reminders` object. The app (`create_app`) and the
worker (`python -m server worker`) both call it; code that needs a service is handed it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .calendar import CalendarCache
from .push import PushSender, load_or_create_vapid, public_key_b64
from .ratelimit import RateLimiter
from .scheduler import Scheduler
from .schemas import ReminderText, reminder_payload, reminder_texts
from .store import SchemaTooNew, Store, default_url

__all__ = ["Reminders", "SchemaTooNew", "Settings", "setup"]


@dataclass(frozen=True)
class Settings:
    """The configuration reminder delivery reads (see server/config.py)."""

    public_url: str = ""
    allowed_hosts: tuple[str, ...] = ()
    rate_limit: int = 30
    auth_failure_limit: int = 10
    max_devices: int = 100_000
    ttl: int = 900
    send_threads: int = 4
    lease_seconds: float = 10
    poll_seconds: float = 5
    grace_seconds: int = 900

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            public_url=(config.get("PUBLIC_URL") or "").rstrip("/"),
            allowed_hosts=tuple(config["PUSH_ALLOWED_HOSTS"]),
            rate_limit=int(config["PUSH_RATE_LIMIT"]),
            auth_failure_limit=int(config["AUTH_FAILURE_RATE_LIMIT"]),
            max_devices=int(config["MAX_DEVICES"]),
            ttl=int(config["PUSH_TTL"]),
            send_threads=int(config["PUSH_SEND_THREADS"]),
            lease_seconds=float(config["SCHEDULER_LEASE_SECONDS"]),
            poll_seconds=float(config["SCHEDULER_POLL_SECONDS"]),
            grace_seconds=int(config["REMINDER_GRACE_SECONDS"]),
        )


@dataclass
class Reminders:
    """The reminder services of one process."""

    settings: Settings
    store: Store
    sender: PushSender
    vapid_public_key: str
    texts: dict[str, ReminderText]
    clock: Callable[[], float] = time.time
    limiter: RateLimiter = field(init=False)
    auth_failures: RateLimiter = field(init=False)
    calendars: CalendarCache = field(default_factory=CalendarCache)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.settings.rate_limit)
        self.auth_failures = RateLimiter(self.settings.auth_failure_limit)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(self.texts)

    def now(self) -> int:
        return int(self.clock())

    def scheduler(self, **overrides: Any) -> Scheduler:
        options: dict[str, Any] = {
            "base_url": self.settings.public_url,
            "lease_seconds": self.settings.lease_seconds,
            "grace_seconds": self.settings.grace_seconds,
            "threads": self.settings.send_threads,
            "clock": self.clock,
        }
        options.update(overrides)
        return Scheduler(self.store, self.sender, self.texts, **options)

    def payload_templates(self) -> dict[str, dict]:
        """Each type's payload without a due time: what the service worker completes
        for reminders it shows itself (the same schema as a push message)."""
        return {t: reminder_payload(text, None, self.settings.public_url) for t, text in self.texts.items()}

    def close(self) -> None:
        self.store.dispose()


def setup(config: Mapping[str, Any], reminder_content: Iterable[Mapping[str, Any]], *,
          migrate: bool = True, clock: Callable[[], float] = time.time) -> Reminders:
    """Build the reminder services from the app's configuration and content/'s
    reminder types. Upgrades the database first (under a lock; raises SchemaTooNew
    when it is newer than this code)."""
    settings = Settings.from_config(config)
    store = Store(config.get("DATABASE_URL") or default_url(config["INSTANCE_DIR"]))
    if migrate:
        try:
            store.upgrade()
        except Exception:
            store.dispose()
            raise
    vapid = load_or_create_vapid(config["INSTANCE_DIR"], config.get("VAPID_PRIVATE_KEY"))
    sender = PushSender(vapid, str(config["VAPID_SUBJECT"]), settings.allowed_hosts, ttl=settings.ttl)
    return Reminders(settings, store, sender, public_key_b64(vapid), reminder_texts(reminder_content), clock)
