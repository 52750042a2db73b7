"""The device's schedule rules (client/static/js/reminder-rules.js, run in Node) give
exactly what the server's (server/reminders/rules.py) give.

One Node process evaluates every case, fed by JSON from here; Python computes the same
with the server's functions and the first difference fails the test with a readable
description. The cases are random but reproducible (a fixed seed, printed; set
REMINDER_PARITY_SEED to try another): over 2024-2027, most starting within a day and a
half of a clock change, in every IANA zone with a clock change in those years and in
the far offsets (UTC+12 and beyond, 30- and 45-minute offsets), with plans that put
slots in skipped and repeated wall times and window ends exactly on the grid, and with
snooze, done and pause states.

Both sides must read the same zone data first: Python takes its zones from the PyPI
`tzdata` package (pinned in pyproject.toml to Node's `process.versions.tz`), never from
the system's tz directory, and the Node process checks Intl's offsets at every clock
change and every week of those years against Python's before any case is compared.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import random
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import tzdata

from server.config import DEFAULTS
from server.pages import APP_DATA_MODULE
from server.reminders import rules as rem
from server.reminders.client import CLIENT_MODULE as REMINDER_CLIENT_MODULE
from tests.test_pages import module_data

ROOT = Path(__file__).resolve().parents[1]
JS_MODULE = ROOT / "client" / "static" / "js" / "reminder-rules.js"

SEED = int(os.environ.get("REMINDER_PARITY_SEED", "20260331"))
NEAR_CHANGE_CASES = 17_000  # most starting within 36 hours of a clock change
ANYWHERE_CASES = 3_000  # any instant of 2024-2027, any zone
YEARS = (2024, 2027)
# Zones the old 12-hour search got wrong, half-hour and 45-minute offsets, a DST change
# at midnight (Santiago), Ramadan changes (Casablanca), and zones that never change.
FAR_ZONES = (
    "Pacific/Chatham", "Pacific/Kiritimati", "Pacific/Auckland", "Australia/Lord_Howe", "America/St_Johns",
    "Asia/Kathmandu", "Africa/Casablanca", "America/Santiago", "Pacific/Tongatapu", "Pacific/Apia",
    "Pacific/Fakaofo", "Pacific/Kanton", "Asia/Kolkata", "Australia/Eucla", "Pacific/Marquesas",
    "Pacific/Pago_Pago", "Etc/GMT-14", "Etc/GMT+12", "Asia/Tehran", "Antarctica/Troll", "UTC",
)  # fmt: skip
NOT_ZONES = {"Factory", "localtime", "posixrules"}

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
GRACE_SECONDS = int(DEFAULTS["REMINDER_GRACE_SECONDS"])
TYPES = ("posture-break", "movement-snack", "hydration", "breathing")
DAILY_TYPE = "daily-checkin"
COMMON_INTERVALS = (15, 20, 25, 30, 35, 40, 45, 50, 60, 75, 90, 105, 120, 150, 180, 210, 240)


def ms_of(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def at(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def hhmm(minutes: int) -> str:
    return rem.format_hhmm(minutes)  # 1440 -> "24:00"


# ------------------------------------------------------------------ zone data


@cache
def tzdata_zone(name: str) -> ZoneInfo:
    """The zone from the tzdata package, never the system directory (which may hold
    another release than Node's)."""
    with importlib.resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as f:
        return ZoneInfo.from_file(f, key=name)


def tzdata_names() -> list[str]:
    names = importlib.resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return sorted(set(names) - NOT_ZONES)


def offset_ms(tz: ZoneInfo, seconds: int) -> int:
    return datetime.fromtimestamp(seconds, tz).utcoffset() // timedelta(milliseconds=1)


def transitions(tz: ZoneInfo) -> list[tuple[int, int, int]]:
    """(instant, offset before, offset after) of each UTC-offset change in YEARS, in ms;
    found three days at a time (a zone's changes are at least a week apart in the tz
    database; the Node side then checks every week too), then to the second by bisection."""
    first = int(datetime(YEARS[0], 1, 1, tzinfo=UTC).timestamp())
    stop = int(datetime(YEARS[1] + 1, 1, 1, tzinfo=UTC).timestamp())
    found = []
    previous = offset_ms(tz, first)
    step = 3 * 86_400
    for day in range(first, stop, step):
        following = offset_ms(tz, min(day + step, stop))
        if following != previous:
            lo, hi = day, min(day + step, stop)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset_ms(tz, mid) == previous:
                    lo = mid
                else:
                    hi = mid
            found.append((hi * 1000, previous, following))
        previous = following
    return found


@dataclass
class Zones:
    names: list[str]  # every zone the cases use
    changes: dict[str, list[tuple[int, int, int]]]


@pytest.fixture(scope="module")
def zones() -> Zones:
    changes = {name: transitions(tzdata_zone(name)) for name in tzdata_names()}
    changing = [name for name, found in changes.items() if found]
    assert len(changing) > 150, "expected well over 150 zones with clock changes in 2024-2027"
    names = sorted(set(changing) | set(FAR_ZONES))
    return Zones(names, {name: changes[name] for name in names})


# ------------------------------------------------------------------ the cases


def random_window(rng: random.Random, interval: int, change_wall: tuple[int, int] | None) -> tuple[int, int]:
    """A window as (start, end) minutes; end 1440 is "24:00"."""
    kind = rng.random()
    step = 1 if rng.random() < 0.2 else 5
    if change_wall is not None and kind < 0.35:
        # A slot inside the wall times the clock skips or repeats.
        lo, hi = change_wall
        slot = rng.randrange(lo, hi) if hi > lo else lo
        start = (slot - interval * rng.randint(1, 3)) % 1440
        end = (slot + interval * rng.randint(0, 3)) % 1440 if rng.random() < 0.6 else rng.randrange(0, 1441, step)
        return start, end or (1440 if rng.random() < 0.5 else 0)
    if kind < 0.65:
        # The end exactly on the grid (09:00-17:30 every 30 minutes ends on a slot).
        start = rng.randrange(0, 1440, step)
        k = rng.randint(1, max(1, 1440 // interval))
        end = start + k * interval
        if end > 1440:
            end -= 1440  # runs past midnight
            if end > start:
                end = start  # longer than a day cannot be said: a whole day instead
        return start, end
    if kind < 0.8:
        return rng.choice([(0, 1440), (0, 0), (360, 360), (540, 1050), (1320, 360), (1380, 1440), (1439, 1),
                           (1440, 360), (1440, 1440), (0, 240), (120, 240), (1050, 1050)])
    return rng.randrange(0, 1441, step), rng.randrange(0, 1441, step)


def daily_time(rng: random.Random, change_wall: tuple[int, int] | None) -> int:
    """A daily reminder's time: often inside the wall times a clock change skips or
    repeats, sometimes at the ends of the day."""
    if change_wall is not None and rng.random() < 0.5:
        lo, hi = change_wall
        return (rng.randrange(lo, hi) if hi > lo else lo) % 1440
    return rng.choice([0, 1, 1439, 1080, 540]) if rng.random() < 0.2 else rng.randrange(0, 1440)


def random_entry(rng: random.Random, change_wall: tuple[int, int] | None, change_weekday: int | None) -> dict:
    interval = rng.choice(COMMON_INTERVALS) if rng.random() < 0.6 else rng.randint(rem.MIN_INTERVAL, rem.MAX_INTERVAL)
    count = rng.choices([0, 1, 2, 3, 6], weights=[1, 50, 30, 15, 4])[0]
    windows = [random_window(rng, interval, change_wall) for _ in range(count)]
    shape = rng.random()
    if shape < 0.15:
        # Once a day at a time (the daily check-in): as the page builds it (dailyEntry).
        interval, windows = rem.ONCE, [(daily_time(rng, change_wall), 1440)]
    elif shape < 0.2:
        interval = rem.ONCE  # once as each of several windows opens
    roll = rng.random()
    if roll < 0.03:
        days: set[int] = set()
    elif roll < 0.33:
        days = set(range(7))
    else:
        days = set(rng.sample(range(7), rng.randint(1, 6)))
        if change_weekday is not None and rng.random() < 0.8:
            days |= {change_weekday, (change_weekday - 1) % 7}
    return {
        "type": DAILY_TYPE if interval == rem.ONCE else rng.choice(TYPES),
        "interval": interval,
        "windows": [{"start": hhmm(s), "end": hhmm(e)} for s, e in windows],
        "days": rem.day_names(days),
    }


def python_entry(item: dict) -> rem.Entry:
    return rem.entry_from_plan(item["type"], item)


def wall_range(tz: ZoneInfo, change: tuple[int, int, int]) -> tuple[date, int, int]:
    """The local date and [lo, hi) wall minutes that a clock change skips or repeats."""
    instant, before, after = change
    wall_before, wall_after = at(instant + before), at(instant + after)
    lo, hi = sorted((wall_before, wall_after))
    minutes = lo.hour * 60 + lo.minute
    return lo.date(), minutes, minutes + max(1, (hi - lo) // timedelta(minutes=1))


def random_state(rng: random.Random, entry: rem.Entry, tz: ZoneInfo, since: int, slots: list[int]) -> dict:
    state: dict[str, int] = {}
    if rng.random() < 0.25:
        if rng.random() < 0.6:  # "pause for today", pressed some time before
            state["pausedUntil"] = ms_of(rem.end_of_local_day(at(since - rng.randint(0, 30 * HOUR)), tz))
        else:
            state["pausedUntil"] = since + rng.randint(-2 * HOUR, 30 * HOUR)
    if rng.random() < 0.3:
        if rng.random() < 0.6:  # "done", pressed up to an interval ago
            pressed = since - rng.randint(0, entry.interval * MINUTE)
            state["notBefore"] = ms_of(rem.done_not_before(entry, at(pressed)))
        else:
            near = since + rng.randint(-HOUR, 3 * HOUR)
            state["notBefore"] = rng.choice(slots) if slots and rng.random() < 0.3 else near
    if rng.random() < 0.4:
        roll = rng.random()
        if roll < 0.4:  # snoozed a little while ago
            state["snoozedUntil"] = since + rng.choice(rem.SNOOZE_CHOICES) * MINUTE - rng.randint(0, 40 * MINUTE)
        elif roll < 0.7 and slots:  # on a slot or a window's edge, to the millisecond
            state["snoozedUntil"] = rng.choice(slots) + rng.choice([-1, 0, 0, 1])
        else:
            state["snoozedUntil"] = since + rng.randint(-HOUR, 6 * HOUR)
    return state


def make_case(rng: random.Random, zone: str, change: tuple[int, int, int] | None) -> dict:
    tz = tzdata_zone(zone)
    lo_ms = ms_of(datetime(YEARS[0], 1, 2, tzinfo=UTC))
    hi_ms = ms_of(datetime(YEARS[1], 12, 30, tzinfo=UTC))
    if change is not None:
        since = change[0] + rng.randint(-36 * HOUR, 36 * HOUR)
        change_day, wall_lo, wall_hi = wall_range(tz, change)
        item = random_entry(rng, (wall_lo, wall_hi), change_day.weekday())
    else:
        since = rng.randint(lo_ms, hi_ms)
        change_day, wall_lo, wall_hi = at(since + offset_ms(tz, since // 1000)).date(), 0, 1440
        item = random_entry(rng, None, None)
    entry = python_entry(item)
    # The day's slots, in the Python rules' own terms: edges for since, until and states.
    day = at(since).astimezone(tz).date()
    slots = [ms_of(t) for m in entry.minutes_on(day.weekday()) if (t := rem.local_instant(day, m, tz)) is not None]
    if slots and rng.random() < 0.15:
        since = rng.choice(slots) + rng.choice([-1, 0, 0, 1])
    span = rng.choices([0, 1, rng.randint(1, 2 * HOUR), rng.randint(0, 30 * HOUR)], weights=[2, 2, 6, 2])[0]
    until = since + span
    later = [s for s in slots if s > since]
    if later and rng.random() < 0.15:
        until = rng.choice(later) + rng.choice([-1, 0, 0, 1])
    state = random_state(rng, entry, tz, since, slots)
    if rng.random() < 0.7:  # in or beside the skipped or repeated wall times
        wall_minute = rng.randrange(max(0, wall_lo - 3), min(1440, wall_hi + 3))
    else:
        wall_minute = rng.randrange(1440)
    probes = [since, until, *state.values(), *(rng.choice(slots) + rng.choice([-1, 0, 1]) for _ in range(2) if slots)]
    return {
        "zone": zone,
        "near_change": change is not None,
        "entry": item,
        "since": since,
        "until": until,
        "state": state,
        "wall": [change_day.year, change_day.month, change_day.day, wall_minute],
        "probes": probes,
        "snooze_minutes": rng.choice([*rem.SNOOZE_CHOICES, *rem.SNOOZE_CHOICES, 15, 0]),
    }


def make_cases(zones: Zones) -> list[dict]:
    rng = random.Random(SEED)
    cases = []
    changing = [name for name in zones.names if zones.changes[name]]
    far = [name for name in FAR_ZONES if name in zones.names]
    far_changing = [name for name in far if zones.changes[name]]
    for i in range(NEAR_CHANGE_CASES):
        # Every zone in turn, the far zones several times as often.
        zone = changing[i % len(changing)] if i % 5 else rng.choice(far_changing)
        cases.append(make_case(rng, zone, rng.choice(zones.changes[zone])))
    for i in range(ANYWHERE_CASES):
        cases.append(make_case(rng, rng.choice(far if i % 2 else zones.names), None))
    return cases


# ------------------------------------------------------------------ what Python says


def or_error(fn, *args) -> Any:
    try:
        return fn(*args)
    except ValueError:
        return "error"


def ms_or_none(moment: datetime | None) -> int | None:
    return None if moment is None else ms_of(moment)


def python_results(case: dict) -> dict:
    tz = tzdata_zone(case["zone"])
    entry = python_entry(case["entry"])
    s = case["state"]
    state = rem.State(
        snoozed_until=at(s["snoozedUntil"]) if "snoozedUntil" in s else None,
        not_before=at(s["notBefore"]) if "notBefore" in s else None,
        paused_until=at(s["pausedUntil"]) if "pausedUntil" in s else None,
    )
    since, until = at(case["since"]), at(case["until"])
    local = since.astimezone(tz)
    y, m, d, minute = case["wall"]
    nxt = rem.next_due(entry, tz, since, state)
    latest = rem.latest_due(entry, tz, since, until, state)
    grace_since = max(since, until - timedelta(seconds=GRACE_SECONDS))
    return {
        # The functions the page calls first (a difference there is what a person would
        # notice), then the helpers they are built from.
        "nextDue": ms_or_none(nxt),
        "latestDue": ms_or_none(latest),
        # The same call twice is made once: the Python rules are the slow side.
        "latestWithinGrace": ms_or_none(
            latest if grace_since == since else rem.latest_due(entry, tz, grace_since, until, state)),
        "occurrences": [ms_of(t) for t in rem.occurrences(entry, tz, since, until)],
        "inActiveTime": [rem.in_active_time(entry, tz, at(t)) for t in case["probes"]],
        "endOfLocalDay": ms_of(rem.end_of_local_day(since, tz)),
        "doneNotBefore": ms_of(rem.done_not_before(entry, since)),
        "snoozeUntil": or_error(lambda: ms_of(rem.snooze_until(since, case["snooze_minutes"]))),
        "wallToInstant": ms_or_none(rem.local_instant(date(y, m, d), minute, tz)),
        "slotMinutes": entry.slot_minutes(),
        "minutesByWeekday": [list(entry.minutes_on(day)) for day in range(7)],
        "utcOffset": local.utcoffset() // timedelta(milliseconds=1),
        "zonedParts": {"y": local.year, "m": local.month, "d": local.day, "h": local.hour, "mi": local.minute,
                       "s": local.second, "ms": local.microsecond // 1000, "weekday": local.weekday()},
        "reminderId": None if nxt is None else rem.reminder_id(entry.type, nxt),
    }


# ------------------------------------------------------------------ the Node side

NODE_SCRIPT = r"""
import { readFileSync } from 'node:fs';
const rules = await import(process.argv[2]);
const input = JSON.parse(readFileSync(process.argv[3], 'utf8'));

// Zone data, straight from Intl (not through the module under test).
const formats = new Map();
function intlOffset(tz, ms) {
  if (!formats.has(tz)) {
    formats.set(tz, new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric',
      month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }));
  }
  const p = {};
  for (const part of formats.get(tz).formatToParts(new Date(ms))) p[part.type] = part.value;
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second) - ms;
}
const zoneData = [];
for (const { zone, changes, samples } of input.zones) {
  try {
    zoneData.push({
      zone,
      changes: changes.map(([t]) => [intlOffset(zone, t - 1000), intlOffset(zone, t)]),
      samples: samples.map(([t]) => intlOffset(zone, t)),
    });
  } catch (err) {
    zoneData.push({ zone, error: String(err) });
  }
}

function attempt(fn) {
  try {
    return fn();
  } catch (err) {
    return 'error';
  }
}

rules.configure(input.constants);
const results = input.cases.map((c) => {
  const { zone: tz, entry, since, until, state } = c;
  const next = rules.nextDue(entry, tz, since, state);
  return {
    slotMinutes: rules.slotMinutes(entry),
    minutesByWeekday: rules.minutesByWeekday(entry),
    utcOffset: rules.utcOffset(since, tz),
    zonedParts: rules.zonedParts(since, tz),
    wallToInstant: rules.wallToInstant(tz, ...c.wall),
    nextDue: next,
    latestDue: rules.latestDue(entry, tz, since, until, state),
    latestWithinGrace: rules.latestWithinGrace(entry, tz, since, until, state),
    occurrences: rules.occurrences(entry, tz, since, until),
    inActiveTime: c.probes.map((t) => rules.inActiveTime(entry, tz, t)),
    endOfLocalDay: rules.endOfLocalDay(since, tz),
    doneNotBefore: rules.doneNotBefore(entry, since),
    snoozeUntil: attempt(() => rules.snoozeUntil(since, c.snooze_minutes)),
    reminderId: next === null ? null : rules.reminderId(entry.type, next),
  };
});
// Offsets through the module exactly at each change, a millisecond either side.
const edges = input.zones.map(({ zone, changes }) => changes.map(([t]) => [t - 1, t, t + 1]
  .map((ms) => rules.utcOffset(ms, zone))));
// Entries the server refuses (an interval outside its limits) throw here too.
const refused = input.refused.map((entry) => attempt(() => rules.nextDue(entry, 'UTC', 0)));
const hhmm = input.hhmm.map((text) => { const v = rules.parseHHMM(text); return Number.isNaN(v) ? null : v; });
const formatted = input.minutes.map((m) => rules.formatHHMM(m));
const unconfigured = await import(process.argv[2] + '?fresh');
const beforeConfigure = attempt(() => unconfigured.nextDue(input.cases[0].entry, 'UTC', 0));
const badConfigure = attempt(() => unconfigured.configure({ ...input.constants, day_names: undefined }));
process.stdout.write(JSON.stringify({
  tz: process.versions.tz, zoneData, results, edges, refused, hhmm, formatted, constants: rules.constants(),
  daily: rules.dailyEntry('daily-checkin', '18:00', ['mon', 'sun']),
  beforeConfigure, badConfigure,
}));
"""


def node_binary() -> str:
    node = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)
    if node is None:
        pytest.fail("node is required to check client/static/js/reminder-rules.js")
    return node


def hhmm_inputs() -> list[str]:
    texts = [f"{h:02d}:{m:02d}" for h in range(26) for m in range(61)]
    return texts + ["", "9:30", "09:3", "0930", "09:30 ", " 09:30", "-1:00", "09-30", "ab:cd", "09:30:00", "+9:30",
                    "24:01", "1e1:00", "0x:10", "09:3a"]


@pytest.fixture(scope="module")
def run(zones: Zones, tmp_path_factory) -> dict:
    cases = make_cases(zones)
    print(f"\nreminder rules parity: seed {SEED}, {len(cases)} cases, {len(zones.names)} zones, "
          f"tzdata {tzdata.IANA_VERSION}")
    first = ms_of(datetime(YEARS[0], 1, 1, tzinfo=UTC))
    weeks = range(first, ms_of(datetime(YEARS[1] + 1, 1, 1, tzinfo=UTC)), 7 * DAY)
    zone_input = []
    for name in zones.names:
        tz = tzdata_zone(name)
        zone_input.append({
            "zone": name,
            "changes": zones.changes[name],
            "samples": [[t + 3 * HOUR, offset_ms(tz, t // 1000 + 3 * 3600)] for t in weeks],
        })
    folder = tmp_path_factory.mktemp("parity")
    script = folder / "run.mjs"
    script.write_text(NODE_SCRIPT, encoding="utf-8")
    data = folder / "input.json"
    data.write_text(json.dumps({
        "constants": {**rem.client_constants(), "grace_seconds": GRACE_SECONDS},
        "zones": zone_input,
        "cases": cases,
        "hhmm": hhmm_inputs(),
        "minutes": list(range(1441)),
        "refused": [refused for refused, _ in INTERVALS],
    }), encoding="utf-8")
    output = folder / "output.json"
    with output.open("w", encoding="utf-8") as out:
        node = subprocess.Popen([node_binary(), str(script), JS_MODULE.as_uri(), str(data)],
                                stdout=out, stderr=subprocess.PIPE, text=True)
        # Python's answers while Node works on its own.
        expected = [python_results(case) for case in cases]
        _, stderr = node.communicate(timeout=600)
    assert node.returncode == 0, stderr
    return {"cases": cases, "expected": expected, "zones": zone_input,
            **json.loads(output.read_text(encoding="utf-8"))}


# ------------------------------------------------------------------ the comparisons


def test_node_and_python_read_the_same_tz_release(run):
    assert run["tz"] == tzdata.IANA_VERSION, (
        f"Node's time zone data is {run['tz']} but the tzdata package is {tzdata.IANA_VERSION}: pin the PyPI "
        f"tzdata release for {run['tz']} in pyproject.toml's test extras"
    )


def test_node_and_python_agree_on_every_clock_change(run):
    """Before any rule is compared: Intl in Node and the tzdata package agree on the
    offset either side of every change and at every week of 2024-2027."""
    for want, got in zip(run["zones"], run["zoneData"], strict=True):
        zone = want["zone"]
        assert "error" not in got, f"Node does not know {zone}: {got.get('error')}"
        for (instant, before, after), (js_before, js_after) in zip(want["changes"], got["changes"], strict=True):
            assert (js_before, js_after) == (before, after), (
                f"zone data differ in {zone} at {at(instant).isoformat()}: Python {before / HOUR:+} -> "
                f"{after / HOUR:+} h, Node {js_before / HOUR:+} -> {js_after / HOUR:+} h")
        for (instant, offset), js_offset in zip(want["samples"], got["samples"], strict=True):
            assert js_offset == offset, (
                f"zone data differ in {zone} at {at(instant).isoformat()}: Python {offset / HOUR:+} h, "
                f"Node {js_offset / HOUR:+} h")


def test_the_module_finds_every_change_to_the_millisecond(run):
    for zone, edges in zip(run["zones"], run["edges"], strict=True):
        for (instant, before, after), got in zip(zone["changes"], edges, strict=True):
            assert got == [before, after, after], f"utcOffset in {zone['zone']} around {at(instant).isoformat()}"


def describe_instant(value: Any, zone: str) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return json.dumps(value)
    local = at(value).astimezone(tzdata_zone(zone))
    return f"{at(value).isoformat(timespec='milliseconds')} ({local:%a %Y-%m-%d %H:%M:%S} local, UTC{local:%z})"


# Results that are instants (shown in UTC and local time when they differ).
INSTANTS = {"nextDue", "latestDue", "latestWithinGrace", "occurrences", "endOfLocalDay", "doneNotBefore",
            "snoozeUntil", "wallToInstant"}


def describe_case(index: int, total: int, case: dict, name: str, want: Any, got: Any) -> str:
    zone = case["zone"]

    def instant(value: Any) -> str:
        return describe_instant(value, zone)

    state = ", ".join(f"{k} {instant(v)}" for k, v in case["state"].items()) or "none"
    if name not in INSTANTS:
        detail = f"  Python: {json.dumps(want)}\n  JS:     {json.dumps(got)}"
    elif isinstance(want, list) and isinstance(got, list):
        only_python = [instant(v) for v in want if v not in got]
        only_js = [instant(v) for v in got if v not in want]
        detail = f"  only Python: {only_python}\n  only JS:     {only_js}"
    else:
        detail = f"  Python: {instant(want)}\n  JS:     {instant(got)}"
    return (f"{name} differs in case {index} of {total} (seed {SEED}; rerun with REMINDER_PARITY_SEED={SEED})\n"
            f"  zone:  {zone}\n  plan:  {json.dumps(case['entry'])}\n  since: {instant(case['since'])}\n"
            f"  until: {instant(case['until'])}\n  state: {state}\n  wall:  {case['wall']}\n"
            f"  probes: {[instant(t) for t in case['probes']]}\n  snooze minutes: {case['snooze_minutes']}\n"
            f"{detail}")


def test_every_function_agrees_on_every_case(run):
    cases, results = run["cases"], run["results"]
    assert len(cases) == len(results) >= 20_000
    for index, (case, want, got) in enumerate(zip(cases, run["expected"], results, strict=True)):
        assert set(want) == set(got)
        for name, value in want.items():
            if got[name] != value:
                pytest.fail(describe_case(index, len(cases), case, name, value, got[name]), pytrace=False)


def test_the_cases_cover_what_matters(run):
    """The random cases really reach the hard parts (otherwise agreement proves little)."""
    cases = run["cases"]
    assert sum(c["near_change"] for c in cases) >= 0.75 * len(cases)
    stats = {"skipped": 0, "repeated": 0, "window end slots": 0, "snooze": 0, "done": 0, "pause": 0, "daily": 0,
             "daily at a clock change": 0, "zones": set()}
    for case in cases:
        tz = tzdata_zone(case["zone"])
        y, m, d, minute = case["wall"]
        wall = datetime(y, m, d, minute // 60, minute % 60, tzinfo=tz)
        if rem.local_instant(date(y, m, d), minute, tz) is None:
            stats["skipped"] += 1
        elif wall.replace(fold=1).utcoffset() != wall.utcoffset():
            stats["repeated"] += 1
        entry = python_entry(case["entry"])
        ends = {w.stop for w in entry.windows}
        stats["window end slots"] += bool(ends & set(entry.slot_minutes()))
        if entry.daily_time is not None and len(entry.windows) == 1 and entry.daily_time < 1440:
            stats["daily"] += 1
            t = entry.daily_time
            daily_wall = datetime(y, m, d, t // 60, t % 60, tzinfo=tz)
            stats["daily at a clock change"] += case["near_change"] and (
                rem.local_instant(date(y, m, d), t, tz) is None
                or daily_wall.replace(fold=1).utcoffset() != daily_wall.utcoffset())
        stats["snooze"] += "snoozedUntil" in case["state"]
        stats["done"] += "notBefore" in case["state"]
        stats["pause"] += "pausedUntil" in case["state"]
        stats["zones"].add(case["zone"])
    print({k: (len(v) if isinstance(v, set) else v) for k, v in stats.items()})
    assert stats["zones"] == {z["zone"] for z in run["zones"]}
    for key in ("skipped", "repeated", "window end slots", "snooze", "done", "pause", "daily"):
        assert stats[key] >= 1000, (key, stats[key])
    assert stats["daily at a clock change"] >= 200, stats["daily at a clock change"]


def test_a_daily_entry_is_built_alike(run):
    """The page's dailyEntry and the server's daily_entry (what the API builds from
    {time, days}) describe the same schedule."""
    assert run["daily"] == {"type": DAILY_TYPE, "interval": rem.ONCE, "windows": [{"start": "18:00", "end": "24:00"}],
                            "days": ["mon", "sun"]}
    python = rem.entry_from_plan(DAILY_TYPE, {"time": "18:00", "days": ["mon", "sun"]})
    assert python == python_entry(run["daily"])
    assert python.slot_minutes() == [18 * 60] and python.daily_time == 18 * 60


WINDOW = [{"start": "09:00", "end": "17:30"}]
INTERVALS = [
    ({"type": "posture-break", "interval": interval, "windows": WINDOW, "days": ["mon"]}, expected)
    for interval, expected in [(rem.MIN_INTERVAL - 1, "error"), (rem.MIN_INTERVAL, "ok"), (rem.MAX_INTERVAL, "ok"),
                               (rem.MAX_INTERVAL + 1, "error"), (rem.ONCE, "ok"), (1, "error"), (-30, "error"),
                               ("x", "error")]
]


def test_both_refuse_the_same_intervals(run):
    for (entry, expected), got in zip(INTERVALS, run["refused"], strict=True):
        python = or_error(lambda e=entry: rem.next_due(python_entry(e), tzdata_zone("UTC"), EPOCH) and "ok")
        assert (python, "ok" if got != "error" else "error") == (expected, expected), entry


def test_times_of_day_parse_and_format_alike(run):
    expected = [or_error(rem.parse_hhmm, text) for text in hhmm_inputs()]
    assert run["hhmm"] == [None if v == "error" else v for v in expected]
    assert run["formatted"] == [rem.format_hhmm(m) for m in range(1441)]


def test_constants_come_from_the_server(run):
    c = rem.client_constants()
    assert run["constants"] == {
        "dayNames": c["day_names"], "minInterval": c["min_interval"], "maxInterval": c["max_interval"],
        "onceInterval": c["once_interval"], "snoozeChoices": c["snooze_choices"], "searchDays": c["search_days"],
        "graceMs": GRACE_SECONDS * 1000,
    }
    # Unconfigured, the module refuses rather than guessing; a constant missing is an error.
    assert run["beforeConfigure"] == "error"
    assert run["badConfigure"] == "error"


def test_the_page_data_carries_the_constants(app):
    # The generated module every page's reminder code imports (reminder-store.js
    # configures the rules with it; storage.js's appData() takes the types from it), and
    # the only one: app-data.js does not repeat the constants or the reminder texts.
    with app.test_client() as client:
        device = module_data(client, REMINDER_CLIENT_MODULE)
        data = module_data(client, APP_DATA_MODULE)
    assert device["rules"] == {**rem.client_constants(), "grace_seconds": GRACE_SECONDS}
    assert "reminder_rules" not in data and "reminders" not in data
    assert all("reminders" not in choice for choice in data["choices"])


def test_module_is_pure_and_retypes_no_constant():
    source = JS_MODULE.read_text(encoding="utf-8")
    for forbidden in ("import ", "document", "window.", "globalThis", "localStorage", "navigator", "indexedDB",
                      "Date.now", "new Date()"):
        assert forbidden not in source, forbidden
    for name in ("configure", "nextDue", "latestDue", "latestWithinGrace", "occurrences", "inActiveTime",
                 "endOfLocalDay", "wallToInstant", "zonedParts", "utcOffset", "snoozeUntil", "doneNotBefore",
                 "reminderId", "slotMinutes", "minutesByWeekday", "parseHHMM", "formatHHMM"):
        assert f"export function {name}(" in source, name
    for constant in ("'mon'", '"mon"', "[10, 30]", "900", "240"):
        assert constant not in source, constant
    # No other module (the reminder store, the page, the in-app watcher) repeats a rule.
    for path in sorted((ROOT / "client" / "static" / "js").glob("*.js")):
        if path == JS_MODULE:
            continue
        page = path.read_text(encoding="utf-8")
        for duplicate in ("function wallToInstant", "function occurrences", "function nextDue", "function latestDue",
                          "function latestWithinGrace", "= 15;", "= 240;", "15 * MINUTE"):
            assert duplicate not in page, (path.name, duplicate)
