"""The calendar file read back by two independent parsers - Python's icalendar (with
dateutil expanding the rules in wall-clock time) and Mozilla's ical.js (the parser of
Thunderbird and many web calendars, using only the file's own VTIMEZONE) - across clock
changes, and compared with the schedule rules. Also: links never come from the Host
header, and the cost of a file is bounded (cache, events per file)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from server.reminders import rules
from server.reminders.calendar import vtimezone_parts
from tests.conftest_push import ManualClock, push_config, push_service_fixture  # noqa: F401
from tests.test_push import counts, item, make_app, plan

TESTS = Path(__file__).resolve().parent
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2024, 3, 25, 7, tzinfo=LONDON).timestamp())


@pytest.fixture
def app(tmp_path, clock, push_service):
    app = make_app(str(tmp_path / "instance"), clock, push_service)
    yield app
    app.reminders.close()


def ical_js(ics: bytes, start: datetime, end: datetime) -> dict[str, dict]:
    script = TESTS / "js" / "ics_expand.mjs"
    if not (TESTS / "node_modules" / "ical.js").exists():
        pytest.fail("ical.js is not installed: run `npm ci` in tests/ (tests/run.sh does)")
    result = subprocess.run(["node", str(script), str(int(start.timestamp() * 1000)), str(int(end.timestamp() * 1000))],
                            input=ics, capture_output=True, cwd=TESTS, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def expected(the_plan: dict, start: datetime, end: datetime) -> dict[str, set[int]]:
    tz = rules.zone(the_plan["timezone"])
    return {t: {int(x.timestamp() * 1000) for x in rules.occurrences(rules.entry_from_plan(t, p), tz, start, end)}
            for t, p in the_plan["reminders"].items()}


def by_type(found: dict[str, dict]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for uid, event in found.items():
        out.setdefault(uid.split("@")[0].rsplit("-", 1)[0], set()).update(event["times"])
    return out


def test_calendar_export_parses_back_and_matches_the_plan(app, clock):
    client = app.test_client()
    # Two weeks from Monday 25 March 2024: London's clocks go forward on the 31st.
    start = datetime(2024, 3, 25, tzinfo=LONDON)
    the_plan = plan(item("posture-break", 45, [("08:30", "12:00"), ("13:00", "17:15")]),
                    item("hydration", 120, [("09:00", "18:00")], days=["mon", "wed", "sat"]),
                    item("breathing", 60, [("21:30", "01:00")], days=["fri", "sat"]))  # past midnight
    response = client.post("/api/v1/calendar/reminders.ics", json=the_plan)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    assert counts(app) == (0, 0)  # nothing stored

    calendar = Calendar.from_ical(response.data)
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/London"
    # RRULE-based rules, not a list of dates.
    assert sorted(c.name for c in zone.subcomponents) == ["DAYLIGHT", "STANDARD"]
    assert b"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" in response.data
    assert b"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n" in response.data
    assert b"RDATE" not in response.data
    end = start + timedelta(days=14)
    found: dict[str, set[int]] = {"posture-break": set(), "hydration": set(), "breathing": set()}
    texts = app.extensions["mbr_content"].reminders
    for event in calendar.walk("VEVENT"):
        kind = str(event["UID"]).split("@")[0].rsplit("-", 1)[0]
        assert str(event["SUMMARY"]) == texts[kind]["title"]
        assert [a["ACTION"] for a in event.walk("VALARM")] == ["DISPLAY"]
        assert event["TRANSP"] == "TRANSPARENT"
        first = event.decoded("DTSTART")
        assert first.tzinfo.key == "Europe/London"
        # Expand in wall-clock time, as calendar apps do for a TZID start.
        rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=first.replace(tzinfo=None))
        for wall in rule.between(start.replace(tzinfo=None), end.replace(tzinfo=None), inc=True):
            found[kind].add(int(wall.replace(tzinfo=LONDON).timestamp() * 1000))
    want = expected(the_plan, start, end)
    assert found == want
    assert all(len(v) >= 8 for v in want.values())
    # ical.js, with nothing but the file's VTIMEZONE, agrees to the millisecond.
    assert by_type(ical_js(response.data, start, end)) == want


ZONES = [
    # (zone, a day a few weeks before a clock change in 2027)
    ("Europe/London", datetime(2027, 3, 15)),  # +00 -> +01 on 28 March
    ("America/New_York", datetime(2027, 3, 1)),  # -05 -> -04 on 14 March
    ("Australia/Lord_Howe", datetime(2027, 3, 22)),  # +11 -> +10:30 on 4 April
    ("Pacific/Chatham", datetime(2027, 3, 22)),  # +13:45 -> +12:45 on 4 April
    ("Asia/Kolkata", datetime(2027, 3, 15)),  # no change at all
    ("Africa/Casablanca", datetime(2027, 1, 25)),  # Ramadan: +01 -> +00 in February
]


@pytest.mark.parametrize(("zone", "span_start"), ZONES, ids=[z for z, _ in ZONES])
def test_a_file_made_in_november_reads_right_across_next_years_clock_changes(tmp_path, push_service, zone,
                                                                           span_start):
    """The file is made on 23 November 2026 and read for weeks around a 2027 change:
    ical.js must place every reminder where the rules do (before RRULE-based
    VTIMEZONEs, it read London as GMT for all of 2027)."""
    tz = ZoneInfo(zone)
    clock = ManualClock(datetime(2026, 11, 23, 12, tzinfo=tz).timestamp())
    app = make_app(str(tmp_path / "instance"), clock, push_service)
    the_plan = plan(item("posture-break", 45, [("08:30", "12:00"), ("13:00", "17:15")], days=list(rules.DAY_NAMES)),
                    item("breathing", 60, [("22:30", "01:00")], days=["fri", "sat"]), timezone=zone)
    response = app.test_client().post("/api/v1/calendar/reminders.ics", json=the_plan)
    assert response.status_code == 200
    start = span_start.replace(tzinfo=tz)
    end = start + timedelta(days=63)
    found = ical_js(response.data, start, end)
    assert {event["zone"] for event in found.values()} == {zone}
    want = expected(the_plan, start, end)
    assert by_type(found) == want
    offsets = {int(tz.utcoffset(datetime.fromtimestamp(ms / 1000, UTC)).total_seconds()) for ms in want["breathing"]}
    assert len(offsets) == (1 if zone == "Asia/Kolkata" else 2)  # the span really crosses a change
    app.reminders.close()


def test_time_zone_rules_come_from_the_tz_database_rule_when_it_holds():
    assert [p.rrule for p in vtimezone_parts("America/New_York", 2026)] == [
        "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"]
    assert [p.rrule for p in vtimezone_parts("Asia/Kolkata", 2026)] == [None]
    # Morocco's Ramadan changes follow no yearly rule: one component per change.
    parts = vtimezone_parts("Africa/Casablanca", 2026)
    assert all(p.rrule is None for p in parts) and len(parts) > 6


def test_links_come_from_the_public_url_never_the_host_header(tmp_path, push_service, clock):
    the_plan = plan(item("posture-break", 60))
    plain = make_app(str(tmp_path / "a"), clock, push_service)
    body = plain.test_client().post("/api/v1/calendar/reminders.ics", json=the_plan,
                                    headers={"Host": "evil.example"}).data
    assert b"evil.example" not in body and b"localhost" not in body and b"\r\nURL:" not in body
    public = make_app(str(tmp_path / "b"), clock, push_service, PUBLIC_URL="https://relief.example")
    event = Calendar.from_ical(public.test_client().post("/api/v1/calendar/reminders.ics", json=the_plan,
                                                          headers={"Host": "evil.example"}).data).walk("VEVENT")[0]
    assert str(event["URL"]) == "https://relief.example/routines/desk-reset?start=1"
    assert str(event["DESCRIPTION"]).endswith("\nhttps://relief.example/routines/desk-reset?start=1")
    for app in (plain, public):
        app.reminders.close()


def test_the_heaviest_plan_is_bounded_and_built_once(app):
    """Every type, six windows, every 15 minutes, in a zone with odd offsets: at most 96
    events per type, and asking again costs a cache lookup, not a new file."""
    types = [t for t, text in app.reminders.texts.items() if not text.daily]
    daily = [t for t, text in app.reminders.texts.items() if text.daily]
    windows = [("00:00", "04:00"), ("04:00", "08:00"), ("08:00", "12:00"), ("12:00", "16:00"), ("16:00", "20:00"),
               ("20:00", "24:00")]
    heavy = plan(*(item(t, 15, windows, days=list(rules.DAY_NAMES)) for t in types),
                 *((t, {"time": "18:00", "days": list(rules.DAY_NAMES)}) for t in daily), timezone="Pacific/Chatham")
    client = app.test_client()
    first = client.post("/api/v1/calendar/reminders.ics", json=heavy)
    assert first.status_code == 200
    events = Calendar.from_ical(first.data).walk("VEVENT")
    assert len(events) == len(types) * 96 + len(daily)
    built = dict(app.reminders.calendars._items)
    assert len(built) == 1
    again = client.post("/api/v1/calendar/reminders.ics", json=heavy)
    assert again.data == first.data and dict(app.reminders.calendars._items) == built
    assert len(first.data) < 300_000
    # Overlapping windows on shifted grids would need far more events: refused, cheaply.
    shifted = [(f"00:0{i}", f"00:0{i}") for i in range(6)]  # six whole days, a minute apart
    crowded = plan(*(item(t, 15, shifted, days=list(rules.DAY_NAMES)) for t in types), timezone="Pacific/Chatham")
    refused = client.post("/api/v1/calendar/reminders.ics", json=crowded)
    assert refused.status_code == 422 and refused.get_json()["errors"] == {
        "reminders": ["Too many reminder times for one file."]}
    assert "2304 reminder times" in refused.get_json()["message"]


def test_calendar_export_validates_like_the_plan(app):
    response = app.test_client().post("/api/v1/calendar/reminders.ics", json=plan(item("posture-break", 5)))
    assert response.status_code == 422
    assert "plan" not in response.get_json()["errors"]  # the body is the plan itself
    assert "reminders" in response.get_json()["errors"]
