"""From a person's plan to schedule rows and back: next due times, what snooze, done and
pause change, and the status a device reads. Plain data in, ORM rows changed; no HTTP
and no sending (the API and the scheduler both call this)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from . import rules
from .store import Device, Schedule, days_to_bits, sha256_hex, windows_to_text


def to_dt(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def to_epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def reminder_id(type_: str, due_seconds: int) -> str:
    """The id every side computes for one reminder: its type and due instant in UTC
    milliseconds ("posture-break:1764072000000"). A repeat of the same reminder has
    the same id, so the service worker can show it once."""
    return f"{type_}:{int(due_seconds) * 1000}"


def state_of(schedule: Schedule, device: Device) -> rules.State:
    return rules.State(
        snoozed_until=to_dt(schedule.snoozed_until),
        not_before=to_dt(schedule.not_before),
        paused_until=to_dt(device.paused_until),
    )


def next_plan(entry: rules.Entry, timezone: str, snoozed_until: int | None, not_before: int | None,
              paused_until: int | None, after: int) -> tuple[int | None, int | None, int | None]:
    """The next due time strictly after `after`, and what is left of the snooze and of
    "done": (due, snoozed_until, not_before), all epoch seconds or None."""
    tz = rules.zone(timezone)
    if snoozed_until is not None and (
        snoozed_until <= after or not rules.in_active_time(entry, tz, to_dt(snoozed_until))
    ):
        snoozed_until = None  # rung, or it would ring after hours: it never will
    state = rules.State(to_dt(snoozed_until), to_dt(not_before), to_dt(paused_until))
    due = to_epoch(rules.next_due(entry, tz, to_dt(after), state))
    if not_before is not None and not_before <= after:
        not_before = None
    return due, snoozed_until, not_before


def plan_next(schedule: Schedule, device: Device, after: int) -> None:
    """Set the row's next due time (strictly after `after`) and reset its delivery state."""
    due, schedule.snoozed_until, schedule.not_before = next_plan(
        schedule.entry(), device.timezone, schedule.snoozed_until, schedule.not_before, device.paused_until, after)
    schedule.due_at = schedule.send_at = due
    schedule.attempts = 0
    # Whoever holds a claim on this row must not write their older idea of it back.
    schedule.claim_token = schedule.claimed_until = None


def apply_subscription(device: Device, subscription: dict) -> None:
    device.endpoint = subscription["endpoint"]
    device.endpoint_hash = sha256_hex(subscription["endpoint"])
    device.p256dh = subscription["keys"]["p256dh"]
    device.auth = subscription["keys"]["auth"]


def same_keys(device: Device, subscription: dict) -> bool:
    """The same browser subscribing again sends the same keys; someone who only knows the
    endpoint does not have them."""
    keys = subscription["keys"]
    return device.p256dh == keys["p256dh"] and device.auth == keys["auth"]


def apply_plan(session: Session, device: Device, plan: dict, now: int) -> None:
    device.timezone = plan["timezone"]
    wanted = {type_: rules.entry_from_plan(type_, item) for type_, item in plan["reminders"].items()}
    for schedule in list(device.schedules):
        if schedule.type not in wanted:
            device.schedules.remove(schedule)
            session.delete(schedule)
    existing = {s.type: s for s in device.schedules}
    for type_, entry in wanted.items():
        schedule = existing.get(type_)
        if schedule is None:
            schedule = Schedule(type=type_, attempts=0)
            device.schedules.append(schedule)
        changed = (schedule.interval_minutes, schedule.windows, schedule.days) != (
            entry.interval, windows_to_text(entry.windows), days_to_bits(entry.days))
        schedule.interval_minutes = entry.interval
        schedule.windows = windows_to_text(entry.windows)
        schedule.days = days_to_bits(entry.days)
        if changed:
            schedule.snoozed_until = schedule.not_before = None
        plan_next(schedule, device, now)


def find_schedule(device: Device, type_: str) -> Schedule | None:
    return next((s for s in device.schedules if s.type == type_), None)


class StaleAction(Exception):
    """An action that arrived too late to mean anything (a snooze that has run out)."""


def snooze(schedule: Schedule, device: Device, now: int, minutes: int, tapped: int | None = None) -> None:
    """Snooze from the moment the person tapped (`tapped`, default now): a snooze tapped
    offline and sent later rings when the person asked, or not at all when that moment
    has passed (StaleAction) - never `minutes` after the phone came back online."""
    until = to_epoch(rules.snooze_until(to_dt(now if tapped is None else tapped), minutes))
    if until <= now:
        raise StaleAction(f"This {minutes}-minute snooze has already run out.")
    schedule.snoozed_until = until
    plan_next(schedule, device, now)


def done(schedule: Schedule, device: Device, now: int, tapped: int | None = None) -> None:
    """Done at the moment the person tapped (`tapped`, default now). A done that arrives
    late cancels only a snooze that could have been set before it."""
    tapped = now if tapped is None else tapped
    if not rules.snooze_outlived_by_done(to_dt(schedule.snoozed_until), to_dt(tapped)):
        schedule.snoozed_until = None
    not_before = to_epoch(rules.done_not_before(schedule.entry(), to_dt(tapped)))
    # A later "done" already skips further; an older one arriving now must not shorten it.
    schedule.not_before = max(not_before, schedule.not_before or not_before)
    plan_next(schedule, device, now)


def pause_today(device: Device, now: int) -> None:
    device.paused_until = to_epoch(rules.end_of_local_day(to_dt(now), rules.zone(device.timezone)))
    for schedule in device.schedules:
        plan_next(schedule, device, now)


def resume(device: Device, now: int) -> None:
    device.paused_until = None
    for schedule in device.schedules:
        plan_next(schedule, device, now)


def _schedule_status(schedule: Schedule) -> dict[str, Any]:
    entry = schedule.entry()
    out: dict[str, Any] = {
        "interval": schedule.interval_minutes,
        "windows": [{"start": rules.format_hhmm(w.start), "end": rules.format_hhmm(w.end)} for w in entry.windows],
        "days": rules.day_names(entry.days),
        "next_due": to_dt(schedule.due_at),
        "next_id": None if schedule.due_at is None else reminder_id(schedule.type, schedule.due_at),
        "snoozed_until": to_dt(schedule.snoozed_until),
    }
    if entry.daily_time is not None:
        out["time"] = rules.format_hhmm(entry.daily_time)
    return out


def status(device: Device, token: str | None = None) -> dict[str, Any]:
    """What a device reads back: its plan and each reminder's next due time."""
    out: dict[str, Any] = {
        "timezone": device.timezone,
        "paused_until": to_dt(device.paused_until),
        "reminders": {s.type: _schedule_status(s) for s in device.schedules},
    }
    if token is not None:
        out["device"] = token
    return out


@dataclass(frozen=True)
class Due:
    """What the scheduler needs to send one reminder, detached from any session."""

    schedule_id: int
    device_id: int
    type: str
    due_at: int
    attempts: int
    endpoint: str
    p256dh: str
    auth: str
    entry: rules.Entry
    timezone: str
    snoozed_until: int | None
    not_before: int | None
    paused_until: int | None

    @property
    def state(self) -> rules.State:
        return rules.State(to_dt(self.snoozed_until), to_dt(self.not_before), to_dt(self.paused_until))

    def next_plan(self, after: int) -> tuple[int | None, int | None, int | None]:
        return next_plan(self.entry, self.timezone, self.snoozed_until, self.not_before, self.paused_until, after)


def due_of(schedule: Schedule, device: Device) -> Due:
    return Due(schedule.id, device.id, schedule.type, schedule.due_at, schedule.attempts, device.endpoint,
               device.p256dh, device.auth, schedule.entry(), device.timezone, schedule.snoozed_until,
               schedule.not_before, device.paused_until)


def catch_up(item: Due, now: int, grace_seconds: int) -> int | None:
    """Which reminder to send now: the due one, or when the scheduler was down for
    longer than the grace time, the latest one still inside it (maybe none)."""
    if now - item.due_at <= grace_seconds:
        return item.due_at
    latest = rules.latest_due(item.entry, rules.zone(item.timezone), to_dt(now - grace_seconds), to_dt(now),
                              item.state)
    return to_epoch(latest)
