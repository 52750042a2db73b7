"""The reminder scheduler: finds due reminders, sends them by Web Push, records the next.

Any number of schedulers may run against one database (threads in the served app,
`python -m server worker` processes). Each claims a batch of due rows with a single
UPDATE that only matches unclaimed rows, so a row is only ever sent by the scheduler
that claimed it. A claim is a lease: if its scheduler dies, the row becomes claimable
again when the lease ends, so nothing is lost. The next due time is written with the
result, so a restart repeats nothing.

Delivery is at-least-once only in one case: a scheduler that dies after the push
service accepted a message but before it recorded that (a few milliseconds).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import delete, or_, select, update

from . import reminders as rem
from .db import Database, Device, Schedule
from .push import PushSender, SendResult

log = logging.getLogger(__name__)

BACKOFF_BASE = 30  # seconds before the first retry; doubles each time
BACKOFF_MAX = 15 * 60


def to_dt(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def to_epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def state_of(schedule: Schedule, device: Device) -> rem.State:
    return rem.State(
        snoozed_until=to_dt(schedule.snoozed_until),
        not_before=to_dt(schedule.not_before),
        paused_until=to_dt(device.paused_until),
    )


def plan_next(schedule: Schedule, device: Device, after: int) -> None:
    """Set the row's next due time (strictly after `after`) and reset its delivery state."""
    entry, tz = schedule.entry(), rem.zone(device.timezone)
    if schedule.snoozed_until is not None and (
        schedule.snoozed_until <= after or not rem.in_active_time(entry, tz, to_dt(schedule.snoozed_until))
    ):
        schedule.snoozed_until = None  # rung, or it would ring after hours: it never will
    due = rem.next_due(entry, tz, to_dt(after), state_of(schedule, device))
    schedule.due_at = schedule.send_at = to_epoch(due)
    schedule.attempts = 0
    # Whoever holds a claim on this row must not write their older idea of it back.
    schedule.claim_token = schedule.claimed_until = None
    if schedule.not_before is not None and schedule.not_before <= after:
        schedule.not_before = None


def backoff(attempts: int, retry_after: float | None) -> int:
    if retry_after is not None:
        return int(min(max(retry_after, 1), BACKOFF_MAX))
    return min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_MAX)


@dataclass
class Claimed:
    """What the scheduler needs from a claimed row, detached from any session."""

    schedule_id: int
    device_id: int
    type: str
    due_at: int
    attempts: int
    endpoint: str
    p256dh: str
    auth: str
    token: str
    entry: rem.Entry
    timezone: str
    state: rem.State


@dataclass
class RunStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    gone: int = 0
    failed: int = 0
    skipped: int = 0  # too late to be useful (the scheduler was down), not sent
    sent_types: list[tuple[int, str, int]] = field(default_factory=list)  # (device, type, due)

    def add(self, other: RunStats) -> None:
        for name in ("claimed", "sent", "retried", "gone", "failed", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.sent_types.extend(other.sent_types)


class Scheduler:
    def __init__(self, db: Database, sender: PushSender, texts: dict[str, dict[str, str]], *,
                 batch_size: int = 100, lease_seconds: int = 300, grace_seconds: int = 900,
                 max_attempts: int = 5, threads: int = 4, clock: Callable[[], float] = time.time):
        self.db = db
        self.sender = sender
        self.texts = texts
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.grace_seconds = grace_seconds
        self.max_attempts = max_attempts
        self.threads = max(1, threads)
        self.clock = clock
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    def from_app(cls, app: Flask, **overrides) -> Scheduler:
        """A scheduler for an app built by create_app (its database, key and texts)."""
        config, ext = app.config, app.extensions
        settings = {
            "grace_seconds": int(config["REMINDER_GRACE_SECONDS"]),
            "threads": int(config["PUSH_SEND_THREADS"]),
        }
        settings.update(overrides)
        return cls(ext["mbr_db"], ext["mbr_push_sender"], ext["mbr_reminder_texts"], **settings)

    # --- one pass ------------------------------------------------------------------

    def run_once(self, now: float | None = None) -> RunStats:
        """Send everything due at `now` (default: the clock), batch by batch."""
        now_s = int(self.clock() if now is None else now)
        total = RunStats()
        while True:
            batch = self.claim(now_s)
            if not batch:
                return total
            total.add(self._deliver(batch, now_s))

    def claim(self, now: int) -> list[Claimed]:
        token = secrets.token_hex(16)
        claimable = (
            Schedule.send_at.is_not(None),
            Schedule.send_at <= now,
            or_(Schedule.claimed_until.is_(None), Schedule.claimed_until < now),
        )
        ids = select(Schedule.id).where(*claimable).order_by(Schedule.send_at).limit(self.batch_size)
        if self.db.dialect == "postgresql":
            ids = ids.with_for_update(skip_locked=True)
        with self.db.session.begin() as session:
            # The conditions are repeated on the UPDATE itself: PostgreSQL re-checks
            # them on a row another transaction just claimed, so it is skipped.
            session.execute(
                update(Schedule)
                .where(Schedule.id.in_(ids), *claimable)
                .values(claim_token=token, claimed_until=now + self.lease_seconds)
                .execution_options(synchronize_session=False)
            )
        with self.db.session() as session:
            rows = session.execute(
                select(Schedule, Device).join(Device).where(Schedule.claim_token == token)
            ).all()
            return [
                Claimed(s.id, d.id, s.type, s.due_at, s.attempts, d.endpoint, d.p256dh, d.auth, token,
                        s.entry(), d.timezone, state_of(s, d))
                for s, d in rows
            ] if rows else []

    def target(self, item: Claimed, now: int) -> int | None:
        """Which reminder to send now: the due one, or when the scheduler was down for
        longer than the grace time, the latest one still inside it (maybe none)."""
        if now - item.due_at <= self.grace_seconds:
            return item.due_at
        latest = rem.latest_due(item.entry, rem.zone(item.timezone), to_dt(now - self.grace_seconds),
                                to_dt(now), item.state)
        return to_epoch(latest)

    def _send(self, item: Claimed, now: int) -> SendResult | None:
        due = self.target(item, now)
        if due is None:
            return None  # reminders this late would only confuse; the next one is soon
        item.due_at = due
        text = self.texts.get(item.type, {})
        payload = {"type": item.type, "due": due, **text}
        try:
            return self.sender.send(item.endpoint, item.p256dh, item.auth, payload, topic=item.type)
        except Exception as exc:  # one broken subscription must not stop the batch
            log.exception("push to device %s failed", item.device_id)
            return SendResult(400, detail=type(exc).__name__)

    def _deliver(self, batch: list[Claimed], now: int) -> RunStats:
        if self.threads > 1 and len(batch) > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="push")
            results = list(self._pool.map(lambda item: self._send(item, now), batch))
        else:
            results = [self._send(item, now) for item in batch]
        return self._record(batch, results, now)

    def _record(self, batch: list[Claimed], results: list[SendResult | None], now: int) -> RunStats:
        stats = RunStats(claimed=len(batch))
        with self.db.session.begin() as session:
            rows = {
                s.id: (s, d)
                for s, d in session.execute(
                    select(Schedule, Device).join(Device).where(Schedule.id.in_([b.schedule_id for b in batch]))
                ).all()
            }
            gone_devices: set[int] = set()
            for item, result in zip(batch, results, strict=True):
                found = rows.get(item.schedule_id)
                if found is None:
                    continue  # unsubscribed meanwhile
                schedule, device = found
                if result is not None and result.ok:
                    stats.sent += 1
                    stats.sent_types.append((item.device_id, item.type, item.due_at))
                if schedule.claim_token != item.token:
                    # The person changed this reminder while we sent (their change wins), or
                    # our lease ran out and another scheduler holds the row now.
                    continue
                if result is None:
                    stats.skipped += 1
                    plan_next(schedule, device, max(item.due_at, now))
                elif result.ok:
                    plan_next(schedule, device, max(item.due_at, now))
                elif result.gone:
                    stats.gone += 1
                    gone_devices.add(device.id)
                elif result.retry:
                    attempts = schedule.attempts + 1
                    retry_at = now + backoff(attempts, result.retry_after)
                    if attempts >= self.max_attempts or retry_at - item.due_at > self.grace_seconds:
                        stats.failed += 1
                        log.warning("push to device %s gave up after %s tries (%s)", device.id, attempts,
                                    result.status)
                        plan_next(schedule, device, max(item.due_at, now))
                    else:
                        stats.retried += 1
                        schedule.due_at = item.due_at  # the retry sends this same reminder
                        schedule.attempts = attempts
                        schedule.send_at = retry_at
                        schedule.claim_token = schedule.claimed_until = None
                else:
                    stats.failed += 1
                    log.warning("push to device %s refused: %s %s", device.id, result.status, result.detail)
                    plan_next(schedule, device, max(item.due_at, now))
            if gone_devices:
                # Expired or revoked subscriptions: everything stored for them goes.
                session.execute(delete(Schedule).where(Schedule.device_id.in_(gone_devices)))
                session.execute(delete(Device).where(Device.id.in_(gone_devices)))
        return stats

    # --- running ---------------------------------------------------------------------

    def run_forever(self, stop: threading.Event, poll_seconds: float = 15.0) -> None:
        log.info("reminder scheduler running (every %ss)", poll_seconds)
        while not stop.is_set():
            try:
                stats = self.run_once()
                if stats.claimed:
                    log.info("reminders: %s sent, %s retried later, %s gone, %s failed, %s skipped",
                             stats.sent, stats.retried, stats.gone, stats.failed, stats.skipped)
            except Exception:  # a database hiccup must not end the loop
                log.exception("reminder scheduler pass failed")
            stop.wait(poll_seconds)
        self.close()

    def start_background(self, poll_seconds: float = 15.0) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run_forever, args=(stop, poll_seconds),
                                  name="reminder-scheduler", daemon=True)
        thread.start()
        return thread, stop

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def reminder_texts(reminders: Iterable[dict]) -> dict[str, dict[str, str]]:
    """What a notification says for each type; the service worker has the same texts
    built in, so a payload with only the type still shows the right words offline."""
    return {
        r["id"]: {"title": r["title"], "body": r["message"], "url": f"/routines/{r['routine']}"}
        for r in reminders
    }
