"""The reminder scheduler: claims due reminders, sends them by Web Push, records each
result as soon as its send completes.

Any number of schedulers may run against one database (a thread in the served app,
`python -m server worker` processes). A pass claims small batches of due rows with a
single UPDATE that only matches unclaimed rows (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so concurrent claimers take different rows without waiting), so a row is
only ever sent by the scheduler that claimed it. A claim is a lease of a few seconds
(`SCHEDULER_LEASE_SECONDS`), renewed while the batch is in flight, so a slow push
service never lets a second scheduler take rows that are still being sent.

Delivery guarantee. Each message's result (and the reminder's next due time) is
committed as soon as its send completes. So when a scheduler dies, even by SIGKILL in
the middle of a batch:
- at most the messages that were in flight at that instant - at most one per sender
  thread (`PUSH_SEND_THREADS`) - may be sent a second time, with the same reminder id,
  which the service worker shows only once;
- every other reminder of the batch, sent or not, is either recorded or still claimed
  under a lease that is no longer renewed; it is sent by the first pass of any
  scheduler after that lease expires: seconds, not minutes, with the defaults.
Nothing is lost, and nothing else is repeated: a restart reads each row's next due time.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select, update

from . import planning
from .planning import Due
from .push import PushSender, SendResult
from .schemas import ReminderText, reminder_payload
from .store import Device, Schedule, Store

log = logging.getLogger(__name__)

BACKOFF_BASE = 30  # seconds before the first retry; doubles each time
BACKOFF_MAX = 15 * 60


def backoff(attempts: int, retry_after: float | None) -> int:
    if retry_after is not None:
        return int(min(max(retry_after, 1), BACKOFF_MAX))
    return min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_MAX)


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


@dataclass
class Timings:
    """Where a scheduler's time goes, for the benchmark."""

    claim_seconds: float = 0.0
    claims: int = 0
    record_seconds: float = 0.0
    records: int = 0


class Scheduler:
    def __init__(self, store: Store, sender: PushSender, texts: Mapping[str, ReminderText], *,
                 base_url: str = "", batch_size: int | None = None, lease_seconds: float = 10,
                 grace_seconds: int = 900, max_attempts: int = 5, threads: int = 4,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.sender = sender
        self.texts = texts
        self.base_url = base_url
        self.threads = max(1, threads)
        # Small claims: what a crash leaves waiting for its lease is at most one batch.
        self.batch_size = batch_size or 8 * self.threads
        self.lease_seconds = lease_seconds
        self.grace_seconds = grace_seconds
        self.max_attempts = max_attempts
        self.clock = clock
        self.passes = 0
        self.timings = Timings()
        self._pool: ThreadPoolExecutor | None = None
        self._timing_lock = threading.Lock()

    # --- one pass ------------------------------------------------------------------

    def run_once(self, now: float | None = None) -> RunStats:
        """One pass: send everything due at `now` (default: the clock), batch by batch."""
        now_s = int(self.clock() if now is None else now)
        self.passes += 1
        total = RunStats()
        while True:
            token, batch = self.claim(now_s)
            if not batch:
                break
            total.add(self._deliver(token, batch, now_s))
        log.debug("scheduler pass %d at %d: claimed %d sent %d retried %d gone %d failed %d skipped %d",
                  self.passes, now_s, total.claimed, total.sent, total.retried, total.gone, total.failed,
                  total.skipped)
        return total

    def claim(self, now: int, limit: int | None = None) -> tuple[str, list[Due]]:
        """Claim up to `limit` due rows under a new lease; return the claim's token and rows."""
        started = time.perf_counter()
        token = secrets.token_hex(16)
        claimable = (
            Schedule.send_at.is_not(None),
            Schedule.send_at <= now,
            or_(Schedule.claimed_until.is_(None), Schedule.claimed_until < now),
        )
        ids = select(Schedule.id).where(*claimable).order_by(Schedule.send_at).limit(limit or self.batch_size)
        if self.store.dialect == "postgresql":
            # Rows another scheduler is claiming right now are skipped, not waited for.
            ids = ids.with_for_update(skip_locked=True)
        with self.store.session.begin() as session:
            # The conditions are repeated on the UPDATE itself: PostgreSQL re-checks
            # them on a row another transaction just claimed, so it is skipped.
            session.execute(
                update(Schedule)
                .where(Schedule.id.in_(ids.scalar_subquery()), *claimable)
                .values(claim_token=token, claimed_until=now + self.lease_seconds)
                .execution_options(synchronize_session=False)
            )
            rows = session.execute(
                select(Schedule, Device).join(Device).where(Schedule.claim_token == token)
            ).all()
            batch = [planning.due_of(s, d) for s, d in rows]
        with self._timing_lock:
            self.timings.claim_seconds += time.perf_counter() - started
            self.timings.claims += 1
        return token, batch

    def _renew(self, token: str, now: int, stop: threading.Event) -> None:
        """Keep the lease of a batch in flight: a slow push service must not let another
        scheduler take (and send again) rows this one is still sending."""
        started = time.monotonic()
        interval = max(0.05, self.lease_seconds / 3)
        while not stop.wait(interval):
            until = now + int(time.monotonic() - started) + self.lease_seconds
            try:
                with self.store.session.begin() as session:
                    session.execute(update(Schedule).where(Schedule.claim_token == token)
                                    .values(claimed_until=until).execution_options(synchronize_session=False))
            except Exception:  # the next try may work; the lease is still a few seconds long
                log.exception("renewing the lease of claim %s failed", token)

    def _deliver(self, token: str, batch: list[Due], now: int) -> RunStats:
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(token, now, stop), name="lease-renewal", daemon=True)
        renewer.start()
        try:
            if self.threads > 1 and len(batch) > 1:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="push")
                results = list(self._pool.map(lambda item: self._send_and_record(token, item, now), batch))
            else:
                results = [self._send_and_record(token, item, now) for item in batch]
        finally:
            stop.set()
            renewer.join()
        stats = RunStats(claimed=len(batch))
        for part in results:
            stats.add(part)
        return stats

    def _send_and_record(self, token: str, item: Due, now: int) -> RunStats:
        due = planning.catch_up(item, now, self.grace_seconds)
        result: SendResult | None = None
        if due is not None:  # None: reminders this late would only confuse; the next one is soon
            payload = reminder_payload(self.texts[item.type], due, self.base_url)
            try:
                result = self.sender.send(item.endpoint, item.p256dh, item.auth, payload, topic=item.type)
            except Exception as exc:  # one broken subscription must not stop the batch
                log.exception("push to device %s failed", item.device_id)
                result = SendResult(400, detail=type(exc).__name__)
        started = time.perf_counter()
        try:
            return self._record(token, item, due, result, now)
        finally:
            with self._timing_lock:
                self.timings.record_seconds += time.perf_counter() - started
                self.timings.records += 1

    def _record(self, token: str, item: Due, due: int | None, result: SendResult | None, now: int) -> RunStats:
        """Write one result. Every write is conditional on the row still carrying this
        claim's token (one statement, no read first): if the person changed the reminder
        while it was being sent, or another scheduler took it over, their version wins."""
        stats = RunStats()
        if result is not None and result.ok:
            stats.sent = 1
            stats.sent_types.append((item.device_id, item.type, due))
        sent_due = due if due is not None else item.due_at
        ours = (Schedule.id == item.schedule_id, Schedule.claim_token == token)
        with self.store.engine.begin() as connection:
            if result is not None and result.gone:
                # Expired or revoked subscription: everything stored for it goes (unless
                # the browser renewed it meanwhile: then the endpoint is another one).
                stats.gone = 1
                # Its schedules go with it (ON DELETE CASCADE).
                connection.execute(delete(Device).where(Device.id == item.device_id, Device.endpoint == item.endpoint))
                return stats
            if result is not None and result.retry:
                attempts = item.attempts + 1
                retry_at = now + backoff(attempts, result.retry_after)
                if attempts < self.max_attempts and retry_at - sent_due <= self.grace_seconds:
                    stats.retried = 1
                    # The retry sends this same reminder.
                    connection.execute(update(Schedule).where(*ours).values(
                        due_at=sent_due, attempts=attempts, send_at=retry_at, claim_token=None, claimed_until=None))
                    return stats
                stats.failed = 1
                log.warning("push to device %s gave up after %s tries (%s)", item.device_id, attempts, result.status)
            elif result is None:
                stats.skipped = 1
            elif not result.ok:
                stats.failed = 1
                log.warning("push to device %s refused: %s %s", item.device_id, result.status, result.detail)
            next_due, snoozed_until, not_before = item.next_plan(max(sent_due, now))
            connection.execute(update(Schedule).where(*ours).values(
                due_at=next_due, send_at=next_due, attempts=0, snoozed_until=snoozed_until, not_before=not_before,
                claim_token=None, claimed_until=None))
        return stats

    # --- running ---------------------------------------------------------------------

    def run_forever(self, stop: threading.Event, poll_seconds: float = 5.0) -> None:
        log.info("reminder scheduler running (every %ss, lease %ss)", poll_seconds, self.lease_seconds)
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

    def start_background(self, poll_seconds: float = 5.0) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run_forever, args=(stop, poll_seconds),
                                  name="reminder-scheduler", daemon=True)
        thread.start()
        return thread, stop

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
