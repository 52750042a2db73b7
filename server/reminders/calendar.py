"""The plan as an iCalendar file (RFC 5545): one weekly recurring event with an alarm
per reminder time, for phones that cannot receive web push.

One event per time of day, recurring on the plan's days, is the form every calendar app
imports the same way; a single event with a minutely rule is not. The time zone is
written as RRULE-based VTIMEZONE rules, as most producers do, taken from the tz
database's own rule for the future (the POSIX TZ string at the end of the zone file)
and checked against zoneinfo's transitions for the next years; a zone whose rule cannot
be written that way (Morocco's Ramadan changes) gets one component per transition.

Cost is bounded: a file has at most MAX_EVENTS_PER_FILE events (one per reminder type
and time of day; a plan that needs more is refused before anything is built), files are
built once per plan and day (an LRU cache), as plain text without a calendar object model.
"""

from __future__ import annotations

import json
import re
import threading
import zoneinfo
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from . import rules
from .schemas import ReminderText

ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
POSIX_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # POSIX M rules count from Sunday
# Four types every 15 minutes around the clock need 4 x 96 = 384; overlapping windows
# with shifted grids could ask for several times that.
MAX_EVENTS_PER_FILE = 400
VERIFY_YEARS = 6  # how far ahead the RRULE form is checked against zoneinfo
FALLBACK_YEARS = 6  # how far ahead per-transition components are written


# --- Time zones ---------------------------------------------------------------------------


def _tzif_footer(key: str) -> str | None:
    """The POSIX TZ string that TZif version 2+ files end with (RFC 8536 section 3.3):
    the zone's rule for every instant after its last listed transition."""
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / key
        if path.is_file():
            data = path.read_bytes()
            break
    else:
        try:
            data = resources.files("tzdata.zoneinfo").joinpath(*key.split("/")).read_bytes()
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            return None
    if not data.startswith(b"TZif") or data[4:5] not in (b"2", b"3", b"4"):
        return None
    lines = data.rstrip(b"\n").rsplit(b"\n", 1)
    return lines[-1].decode("ascii", "replace") if len(lines) == 2 else None


_NAME = r"(<[^>]+>|[A-Za-z]{3,})"
_OFFSET = r"([+-]?\d{1,2}(?::\d{2}){0,2})"
_RULE = r"M(\d{1,2})\.(\d)\.(\d)(?:/" + _OFFSET + r")?"
_POSIX = re.compile(rf"{_NAME}{_OFFSET}(?:{_NAME}{_OFFSET}?,{_RULE},{_RULE})?")


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


@dataclass(frozen=True)
class _Rule:
    month: int
    week: int  # 1-4, or 5 for the last
    weekday: int  # 0 = Sunday
    at: int  # seconds after local midnight, in the offset before the change

    def day(self, year: int) -> date:
        first = date(year, self.month, 1)
        # date.weekday(): Monday=0; POSIX: Sunday=0.
        shift = (self.weekday - (first.weekday() + 1) % 7) % 7
        day = first + timedelta(days=shift + 7 * (self.week - 1))
        while day.month != self.month:
            day -= timedelta(days=7)
        return day

    def rrule(self) -> str:
        nth = -1 if self.week == 5 else self.week
        return f"FREQ=YEARLY;BYMONTH={self.month};BYDAY={nth}{POSIX_DAYS[self.weekday]}"


@dataclass(frozen=True)
class _Part:
    """One VTIMEZONE component."""

    kind: str  # STANDARD or DAYLIGHT
    name: str
    offset_from: int
    offset_to: int
    start: datetime  # naive local time in offset_from
    rrule: str | None = None


def _posix_parts(footer: str) -> list[_Part] | None:
    match = _POSIX.fullmatch(footer)
    if not match:
        return None
    std_name, std_off, dst_name, dst_off, *rule_parts = match.groups()
    std = -_seconds(std_off)  # POSIX offsets are west of Greenwich
    if dst_name is None:
        return [_Part("STANDARD", std_name.strip("<>"), std, std, datetime(1970, 1, 1))]
    dst = -_seconds(dst_off) if dst_off else std + 3600
    rules_ = []
    for m, w, d, t in (rule_parts[:4], rule_parts[4:]):
        at = _seconds(t) if t else 7200
        if not (0 <= at < 86400) or not (1 <= int(m) <= 12) or not (1 <= int(w) <= 5) or int(d) > 6:
            return None  # an extended time (-1 or 25 hours) does not fit BYDAY: fall back
        rules_.append(_Rule(int(m), int(w), int(d), at))
    to_dst, to_std = rules_
    parts = []
    for kind, name, before, after, rule in (("DAYLIGHT", dst_name, std, dst, to_dst),
                                             ("STANDARD", std_name, dst, std, to_std)):
        start = datetime.combine(rule.day(1970), datetime.min.time()) + timedelta(seconds=rule.at)
        parts.append(_Part(kind, name.strip("<>"), before, after, start, rule.rrule()))
    return parts


def _transitions(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int, int, bool]]:
    """zoneinfo's offset changes in [start, end): (UTC instant, offset before, after, is DST)."""
    def offset_at(instant: datetime) -> timedelta:
        # ZoneInfo.utcoffset() reads a datetime as local wall time; convert instead.
        return instant.astimezone(tz).utcoffset()

    found = []
    moment = start
    offset = offset_at(moment)
    while moment < end:
        nxt = moment + timedelta(days=1)
        after = offset_at(nxt)
        if after != offset:
            low, high = moment, nxt
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                if offset_at(mid) == offset:
                    low = mid
                else:
                    high = mid
            instant = high.replace(microsecond=0)
            dst = bool(instant.astimezone(tz).dst())
            found.append((instant, int(offset.total_seconds()), int(after.total_seconds()), dst))
            offset = after
        moment = nxt
    return found


def _expanded(parts: list[_Part], start: datetime, end: datetime) -> list[tuple[datetime, int, int]]:
    rrules = {p.kind: p for p in parts if p.rrule}
    out = []
    for year in range(start.year, end.year + 1):
        for part in rrules.values():
            rule = _rule_of(part)
            local = datetime.combine(rule.day(year), datetime.min.time()) + timedelta(seconds=rule.at)
            instant = (local - timedelta(seconds=part.offset_from)).replace(tzinfo=UTC)
            if start <= instant < end:
                out.append((instant, part.offset_from, part.offset_to))
    return sorted(out)


def _rule_of(part: _Part) -> _Rule:
    fields_ = dict(f.split("=") for f in part.rrule.split(";"))
    byday = fields_["BYDAY"]
    nth, day = int(byday[:-2]), byday[-2:]
    return _Rule(int(fields_["BYMONTH"]), 5 if nth == -1 else nth, POSIX_DAYS.index(day),
                 part.start.hour * 3600 + part.start.minute * 60 + part.start.second)


@lru_cache(maxsize=512)
def vtimezone_parts(key: str, year: int) -> tuple[_Part, ...]:
    """The VTIMEZONE components for zone `key`, valid from the start of `year` on."""
    tz = ZoneInfo(key)
    start = datetime(year, 1, 1, tzinfo=UTC)
    footer = _tzif_footer(key)
    parts = _posix_parts(footer) if footer else None
    if parts is not None:
        end = start.replace(year=year + VERIFY_YEARS)
        actual = [(t, a, b) for t, a, b, _ in _transitions(tz, start, end)]
        offset_holds = parts[0].rrule or int(start.astimezone(tz).utcoffset().total_seconds()) == parts[0].offset_to
        if actual == _expanded(parts, start, end) and offset_holds:
            return tuple(parts)
    # One component per change over the next years, plus the offset in force at the start.
    local_start = start.astimezone(tz)
    offset = int(local_start.utcoffset().total_seconds())
    first = _Part("DAYLIGHT" if local_start.dst() else "STANDARD", local_start.tzname() or key, offset, offset,
                  (start + timedelta(seconds=offset)).replace(tzinfo=None))
    out = [first]
    for instant, before, after, dst in _transitions(tz, start, start.replace(year=year + FALLBACK_YEARS)):
        local = (instant + timedelta(seconds=before)).replace(tzinfo=None)
        out.append(_Part("DAYLIGHT" if dst else "STANDARD", instant.astimezone(tz).tzname() or key,
                         before, after, local))
    return tuple(out)


def _utc_offset(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    text = f"{sign}{seconds // 3600:02d}{seconds % 3600 // 60:02d}"
    return text + (f"{seconds % 60:02d}" if seconds % 60 else "")


def vtimezone_lines(key: str, year: int) -> list[str]:
    lines = ["BEGIN:VTIMEZONE", f"TZID:{key}"]
    for part in vtimezone_parts(key, year):
        lines += [f"BEGIN:{part.kind}", f"TZNAME:{_text(part.name)}",
                  f"TZOFFSETFROM:{_utc_offset(part.offset_from)}", f"TZOFFSETTO:{_utc_offset(part.offset_to)}",
                  f"DTSTART:{part.start:%Y%m%dT%H%M%S}"]
        if part.rrule:
            lines.append(f"RRULE:{part.rrule}")
        lines.append(f"END:{part.kind}")
    lines.append("END:VTIMEZONE")
    return lines


# --- The file -----------------------------------------------------------------------------


def _text(value: str) -> str:
    """An RFC 5545 TEXT value."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    chunks, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > (75 if not chunks else 74):
            chunks.append(current)
            current, size = "", 0
        current += char
        size += width
    chunks.append(current)
    return "\r\n ".join(chunks)


def _days_at(entry: rules.Entry) -> dict[int, list[int]]:
    """Wall-clock minute -> the weekdays it rings on (night windows spill into the next day)."""
    days_at: dict[int, list[int]] = {}
    for weekday in range(7):
        for minute in entry.minutes_on(weekday):
            days_at.setdefault(minute, []).append(weekday)
    return days_at


def event_count(entries: Iterable[rules.Entry]) -> int:
    """How many events the file for these entries has (one per type and time of day)."""
    return sum(len(_days_at(e)) for e in entries if e.days and e.windows)


def build_calendar(entries: Iterable[rules.Entry], tz: ZoneInfo, texts: Mapping[str, ReminderText],
                   base_url: str, today: date, stamp: datetime) -> bytes:
    """A calendar with one weekly recurring event (with an alarm) per reminder time.

    Links are absolute only when the app's public URL is configured (never taken from
    a request's Host header); otherwise the description names the routine page."""
    base = base_url.rstrip("/")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Mid-Back Relief//Reminders//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "X-WR-CALNAME:Mid-Back Relief reminders", f"X-WR-TIMEZONE:{tz.key}"]
    lines += vtimezone_lines(tz.key, today.year - 1)
    dtstamp = f"{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    for entry in entries:
        if not entry.days or not entry.windows:
            continue
        text = texts[entry.type]
        url = f"{base}{text.opens}" if base else ""
        description = f"{text.body}\n{url}" if url else text.body
        for minute, weekdays in sorted(_days_at(entry).items()):
            first = next(d for d in (today + timedelta(days=i) for i in range(7)) if d.weekday() in weekdays)
            lines += [
                "BEGIN:VEVENT",
                f"UID:{entry.type}-{rules.format_hhmm(minute).replace(':', '')}@mid-back-relief",
                f"DTSTAMP:{dtstamp}",
                f"DTSTART;TZID={tz.key}:{first:%Y%m%d}T{minute // 60:02d}{minute % 60:02d}00",
                "DURATION:PT5M",
                f"RRULE:FREQ=WEEKLY;BYDAY={','.join(ICAL_DAYS[d] for d in weekdays)};WKST=MO",
                f"SUMMARY:{_text(text.title)}",
                f"DESCRIPTION:{_text(description)}",
            ]
            if url:
                lines.append(f"URL:{url}")
            lines += [
                "CATEGORIES:Mid-Back Relief",
                "TRANSP:TRANSPARENT",  # a reminder, not a meeting: do not show as busy
                "BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{_text(text.body)}", "TRIGGER:PT0S", "END:VALARM",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


class CalendarCache:
    """Built files by (plan, local date): the same plan asked again costs a lookup."""

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, plan: Mapping, today: date, build) -> bytes:
        key = (json.dumps(plan, sort_keys=True, separators=(",", ":")), today.isoformat())
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
                return body
        body = build()
        with self._lock:
            self._items[key] = body
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return body
