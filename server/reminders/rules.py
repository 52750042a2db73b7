"""When is the next reminder due? Pure functions over a plan entry and a clock.

A plan entry says: every `interval` minutes inside the active windows (local wall-clock
ranges such as 09:00-12:30 and 13:30-17:30) on the chosen days, in an IANA time zone.
Reminders fall on a fixed grid: one interval after each window opens, then every
interval until the window closes (the close is included). A window whose end is not
after its start runs past midnight (22:00-06:00 for a night shift) and belongs to the
day it starts on; equal start and end make a 24-hour window. An entry with the interval
ONCE (0) instead rings once as each window opens: a daily reminder at a chosen time (the
daily check-in) is one window from that time to midnight, so a snooze still rings that
evening and nothing rings after midnight. A fixed grid, rather than
"interval after the last one", is what a calendar file can express, so the `.ics`
export and push delivery agree to the minute, and a late or retried send never shifts
the rest of the day.

Daylight saving: slots are wall-clock times, so 09:30 stays 09:30 on the day the clocks
change. A wall time the clock skips (spring forward) does not happen and is skipped; a
wall time that happens twice (fall back) fires once, at its first occurrence.

All instants are timezone-aware `datetime`s; the functions never read the real clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MIN_INTERVAL = 15
MAX_INTERVAL = 240
# The interval of a reminder that rings once as each of its windows opens, not on a grid.
ONCE = 0
SNOOZE_CHOICES = (10, 30)
# A snooze or done tapped offline reaches the server when the phone is back online; one
# older than this is about a day that is over, and is refused rather than applied.
MAX_ACTION_AGE_SECONDS = 12 * 3600
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
# A plan has at most 7 active days, so the next slot (if any) is within 8 local days;
# two more cover a pause that runs into tomorrow and a search that starts late at night.
SEARCH_DAYS = 10


def client_constants() -> dict[str, object]:
    """The constants the device's copy of these rules (client/static/js/reminder-rules.js)
    is configured with, so they are written in one place only."""
    return {
        "day_names": list(DAY_NAMES),
        "min_interval": MIN_INTERVAL,
        "max_interval": MAX_INTERVAL,
        "once_interval": ONCE,
        "snooze_choices": list(SNOOZE_CHOICES),
        "search_days": SEARCH_DAYS,
    }


@dataclass(frozen=True)
class Window:
    """An active range in local minutes since midnight of the day it starts on."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start <= MINUTES_PER_DAY and 0 <= self.end <= MINUTES_PER_DAY):
            raise ValueError(f"window {self.start}-{self.end}: times are 00:00 to 24:00")

    @property
    def stop(self) -> int:
        """The end in minutes since the start day's midnight (past 1440 overnight)."""
        return self.end if self.end > self.start else self.end + MINUTES_PER_DAY

    @classmethod
    def parse(cls, start: str, end: str) -> Window:
        return cls(parse_hhmm(start), parse_hhmm(end))

    def label(self) -> str:
        return f"{format_hhmm(self.start)}-{format_hhmm(self.end)}"


@dataclass(frozen=True)
class Entry:
    """One reminder type in a person's plan: what delivery needs, nothing more."""

    type: str
    interval: int
    windows: tuple[Window, ...]
    days: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))  # Monday=0

    def __post_init__(self) -> None:
        if not (self.interval == ONCE or MIN_INTERVAL <= self.interval <= MAX_INTERVAL):
            raise ValueError(f"interval must be {MIN_INTERVAL}-{MAX_INTERVAL} minutes (or {ONCE}: once a day)")
        if not all(0 <= d <= 6 for d in self.days):
            raise ValueError("days are 0 (Monday) to 6 (Sunday)")

    def slot_minutes(self) -> list[int]:
        """Minutes of every slot after the start day's midnight (1440 and more fall on
        the next day), sorted, without repeats."""
        minutes: set[int] = set()
        for w in self.windows:
            if self.interval == ONCE:
                minutes.add(w.start)
            else:
                minutes.update(range(w.start + self.interval, w.stop + 1, self.interval))
        return sorted(minutes)

    @property
    def daily_time(self) -> int | None:
        """The time of day of a once-a-day entry (minutes after midnight), else None."""
        return self.windows[0].start if self.interval == ONCE and self.windows else None

    def minutes_on(self, weekday: int) -> tuple[int, ...]:
        """Wall-clock minutes of the slots on a calendar day with this weekday: its own
        windows' and the overnight part of the day before's."""
        return _minutes_by_weekday(self)[weekday]


@lru_cache(maxsize=4096)
def _minutes_by_weekday(entry: Entry) -> tuple[tuple[int, ...], ...]:
    slots = entry.slot_minutes()
    own = [m for m in slots if m < MINUTES_PER_DAY]
    spill = [m - MINUTES_PER_DAY for m in slots if MINUTES_PER_DAY <= m < 2 * MINUTES_PER_DAY]
    return tuple(
        tuple(sorted(set((own if d in entry.days else []) + (spill if (d - 1) % 7 in entry.days else []))))
        for d in range(7)
    )


@dataclass(frozen=True)
class State:
    """What the person did that moves the grid: all optional instants."""

    snoozed_until: datetime | None = None  # a one-off extra slot
    not_before: datetime | None = None  # "done": grid slots before this are skipped
    paused_until: datetime | None = None  # "pause for today": nothing before this


def parse_hhmm(text: str) -> int:
    """'09:30' -> 570; '24:00' is allowed as the end of a day."""
    hours, sep, minutes = text.partition(":")
    # ASCII digits only: str.isdigit() also accepts "²" and other digits int() refuses.
    if not sep or len(hours) != 2 or len(minutes) != 2 or not all(c in "0123456789" for c in hours + minutes):
        raise ValueError(f"{text!r} is not HH:MM")
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m != 0):
        raise ValueError(f"{text!r} is not a time of day")
    return h * 60 + m


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# Files the system tz directory holds that are not zones a person lives in.
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_ZONES


def zone(name: str) -> ZoneInfo:
    """An IANA zone by name; only names from the tz database (no file paths, no 'localtime')."""
    if name not in known_timezones():
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - listed but unreadable
        raise ValueError(f"unknown time zone {name!r}") from exc


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return moment


def local_instant(day: date, minutes: int, tz: ZoneInfo) -> datetime | None:
    """The instant a wall clock in `tz` shows `minutes` on `day`, or None when the clock
    skips that time. For a time shown twice, the first (fold=0) is returned."""
    wall = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
    instant = wall.astimezone(UTC)
    # zoneinfo maps a skipped wall time to a real instant with another wall time; the
    # round trip exposes it.
    back = instant.astimezone(tz)
    if (back.date(), back.hour, back.minute) != (day, wall.hour, wall.minute):
        return None
    return instant


def occurrences(entry: Entry, tz: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
    """Every grid slot with start <= slot < end, in order, as UTC instants."""
    start, end = _aware(start).astimezone(UTC), _aware(end).astimezone(UTC)
    if not entry.windows or not entry.days or end <= start:
        return
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    seen: set[datetime] = set()
    while day <= last:
        for m in entry.minutes_on(day.weekday()):
            instant = local_instant(day, m, tz)
            if instant is None or instant in seen or not (start <= instant < end):
                continue
            seen.add(instant)
            yield instant
        day += timedelta(days=1)


def in_active_time(entry: Entry, tz: ZoneInfo, moment: datetime) -> bool:
    """Whether `moment` falls inside a window (ends included) of an active day, counting
    a window that runs past midnight as part of the day it started."""
    local = _aware(moment).astimezone(tz)
    minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6
    weekday = local.weekday()
    for w in entry.windows:
        if weekday in entry.days and w.start <= minute <= w.stop:
            return True
        if (weekday - 1) % 7 in entry.days and w.start <= minute + MINUTES_PER_DAY <= w.stop:
            return True
    return False


def next_due(entry: Entry, tz: ZoneInfo, after: datetime, state: State | None = None) -> datetime | None:
    """The first reminder strictly after `after`, honouring snooze, done and pause.

    A snooze is a one-off slot; like every slot it only fires inside active time, so a
    snooze that would ring after hours is dropped rather than moved. None means the
    entry never fires (no days or no windows).
    """
    state = state or State()
    after = _aware(after).astimezone(UTC)
    # The earliest instant anything may fire at: strictly after `after`, not while paused.
    earliest = after + timedelta(microseconds=1)
    if state.paused_until is not None:
        earliest = max(earliest, _aware(state.paused_until).astimezone(UTC))
    grid_earliest = earliest
    if state.not_before is not None:
        grid_earliest = max(grid_earliest, _aware(state.not_before).astimezone(UTC))

    candidates: list[datetime] = []
    first = next(occurrences(entry, tz, grid_earliest, grid_earliest + timedelta(days=SEARCH_DAYS)), None)
    if first is not None:
        candidates.append(first)
    if state.snoozed_until is not None:
        snooze = _aware(state.snoozed_until).astimezone(UTC)
        if snooze >= earliest and in_active_time(entry, tz, snooze):
            candidates.append(snooze)
    return min(candidates) if candidates else None


def latest_due(entry: Entry, tz: ZoneInfo, since: datetime, until: datetime,
               state: State | None = None) -> datetime | None:
    """The last reminder with since < t <= until: what a scheduler that was down should
    still send (one reminder, the most recent, never a burst of old ones)."""
    state = state or State()
    since, until = _aware(since).astimezone(UTC), _aware(until).astimezone(UTC)
    earliest = since + timedelta(microseconds=1)
    if state.paused_until is not None:
        earliest = max(earliest, _aware(state.paused_until).astimezone(UTC))
    grid_earliest = earliest
    if state.not_before is not None:
        grid_earliest = max(grid_earliest, _aware(state.not_before).astimezone(UTC))
    candidates = list(occurrences(entry, tz, grid_earliest, until + timedelta(microseconds=1)))[-1:]
    if state.snoozed_until is not None:
        snooze = _aware(state.snoozed_until).astimezone(UTC)
        if earliest <= snooze <= until and in_active_time(entry, tz, snooze):
            candidates.append(snooze)
    return max(candidates) if candidates else None


def end_of_local_day(moment: datetime, tz: ZoneInfo) -> datetime:
    """The next local midnight after `moment` (what "pause for today" pauses until)."""
    local = _aware(moment).astimezone(tz)
    tomorrow = local.date() + timedelta(days=1)
    # Midnight exists in every zone we know of; the loop guards against a zone that
    # skips it (a DST change at 00:00) by taking the first wall minute that exists.
    for minute in range(0, 120):
        instant = local_instant(tomorrow, minute, tz)
        if instant is not None:
            return instant
    raise ValueError(f"no wall time near midnight on {tomorrow} in {tz.key}")  # pragma: no cover


def snooze_until(now: datetime, minutes: int) -> datetime:
    if minutes not in SNOOZE_CHOICES:
        raise ValueError(f"snooze is {' or '.join(map(str, SNOOZE_CHOICES))} minutes")
    return _aware(now).astimezone(UTC) + timedelta(minutes=minutes)


def snooze_outlived_by_done(snoozed_until: datetime | None, done_at: datetime) -> bool:
    """Whether a stored snooze was surely set after a "done" tapped at `done_at` (one that
    arrives late, from a phone that was offline): it ends later than any snooze set by
    then could, so the later snooze stands and the older "done" does not cancel it."""
    if snoozed_until is None:
        return False
    latest = _aware(done_at).astimezone(UTC) + timedelta(minutes=max(SNOOZE_CHOICES))
    return _aware(snoozed_until).astimezone(UTC) > latest


def done_not_before(entry: Entry, now: datetime) -> datetime:
    """After "done", a grid slot closer than half an interval is skipped: the person has
    just moved, and a nudge a few minutes later would only annoy."""
    return _aware(now).astimezone(UTC) + timedelta(minutes=entry.interval / 2)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def reminder_id(type_: str, due: datetime) -> str:
    """A reminder's id: its type and due instant in UTC milliseconds, the same string the
    device builds (reminderId in reminder-rules.js), so one reminder is shown once."""
    return f"{type_}:{(_aware(due) - _EPOCH) // timedelta(milliseconds=1)}"


def days_from_names(names: Iterable[str]) -> frozenset[int]:
    return frozenset(DAY_NAMES.index(n) for n in names)


def day_names(days: Iterable[int]) -> list[str]:
    return [DAY_NAMES[d] for d in sorted(set(days))]


def daily_entry(type_: str, minutes: int, days: Iterable[int]) -> Entry:
    """A reminder once a day at `minutes` after midnight on `days`: one window from that
    time to midnight, so a snooze can still ring the same evening."""
    if not 0 <= minutes < MINUTES_PER_DAY:
        raise ValueError("a daily reminder's time is 00:00 to 23:59")
    return Entry(type=type_, interval=ONCE, windows=(Window(minutes, MINUTES_PER_DAY),), days=frozenset(days))


def entry_from_plan(type_: str, item: dict) -> Entry:
    """Build an Entry from the API's plan item: {interval, windows, days}, or for a daily
    reminder {time, days}."""
    if "time" in item:
        return daily_entry(type_, parse_hhmm(item["time"]), days_from_names(item["days"]))
    windows: Sequence[Window] = [Window.parse(w["start"], w["end"]) for w in item["windows"]]
    return Entry(
        type=type_,
        interval=int(item["interval"]),
        windows=tuple(sorted(set(windows), key=lambda w: (w.start, w.end))),
        days=days_from_names(item["days"]),
    )
