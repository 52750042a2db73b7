"""Schedule logic as pure functions with a controlled clock: every instant below is
written out, nothing reads the real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.reminders import rules as r

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))


def entry(interval=30, windows=(("09:00", "17:30"),), days=WEEKDAYS, type_="posture-break") -> r.Entry:
    return r.Entry(type_, interval, tuple(r.Window.parse(a, b) for a, b in windows), frozenset(days))


def local(tz, *args) -> datetime:
    return datetime(*args, tzinfo=tz)


def wall(moment: datetime, tz=LONDON) -> str:
    return moment.astimezone(tz).strftime("%a %H:%M")


def day_slots(e: r.Entry, tz, y, m, d) -> list[str]:
    start = local(tz, y, m, d)
    end = start.replace(tzinfo=None) + timedelta(days=1)
    return [x.astimezone(tz).strftime("%H:%M") for x in r.occurrences(e, tz, start, end.replace(tzinfo=tz))]


# 2024-06-03 is a Monday; no clock change in London that week.


def test_first_reminder_is_one_interval_after_the_window_opens():
    e = entry()
    assert wall(r.next_due(e, LONDON, local(LONDON, 2024, 6, 3, 7, 0))) == "Mon 09:30"
    assert wall(r.next_due(e, LONDON, local(LONDON, 2024, 6, 3, 9, 30))) == "Mon 10:00"
    assert wall(r.next_due(e, LONDON, local(LONDON, 2024, 6, 3, 9, 31))) == "Mon 10:00"


def test_interval_grid_covers_the_window_and_includes_its_end():
    slots = day_slots(entry(), LONDON, 2024, 6, 3)
    assert slots[0] == "09:30" and slots[-1] == "17:30" and len(slots) == 17
    # An interval that does not divide the window stops at the last slot inside it.
    assert day_slots(entry(45, [("09:00", "11:00")]), LONDON, 2024, 6, 3) == ["09:45", "10:30"]
    assert day_slots(entry(240, [("09:00", "12:00")]), LONDON, 2024, 6, 3) == []


def test_several_windows_and_nothing_in_between():
    e = entry(60, [("09:00", "12:30"), ("13:30", "17:30")])
    assert day_slots(e, LONDON, 2024, 6, 3) == ["10:00", "11:00", "12:00", "14:30", "15:30", "16:30", "17:30"]
    assert wall(r.next_due(e, LONDON, local(LONDON, 2024, 6, 3, 12, 0))) == "Mon 14:30"
    # Overlapping windows never fire the same minute twice.
    overlap = entry(30, [("09:00", "11:00"), ("09:00", "10:00")])
    assert day_slots(overlap, LONDON, 2024, 6, 3) == ["09:30", "10:00", "10:30", "11:00"]


def test_after_the_last_slot_comes_the_next_active_day():
    e = entry()
    assert wall(r.next_due(e, LONDON, local(LONDON, 2024, 6, 3, 17, 30))) == "Tue 09:30"
    # Friday evening skips the weekend.
    assert wall(r.next_due(e, LONDON, local(LONDON, 2024, 6, 7, 17, 30))) == "Mon 09:30"
    weekend = entry(days={5, 6})
    assert wall(r.next_due(weekend, LONDON, local(LONDON, 2024, 6, 3, 8))) == "Sat 09:30"
    assert r.next_due(entry(days=set()), LONDON, local(LONDON, 2024, 6, 3, 8)) is None


def test_nothing_fires_outside_active_hours_or_days_over_a_week():
    e = entry(25, [("08:10", "12:00"), ("13:00", "18:05")], days={0, 2, 4})
    start = local(LONDON, 2024, 6, 3)
    found = list(r.occurrences(e, LONDON, start, start + timedelta(days=7)))
    assert found
    assert len(found) == 3 * len(e.slot_minutes())
    for moment in found:
        assert r.in_active_time(e, LONDON, moment), wall(moment)
        assert moment.astimezone(LONDON).weekday() in {0, 2, 4}


def test_next_due_agrees_with_the_occurrence_list_at_every_instant():
    """next_due(t) is the first occurrence after t, checked every 7 minutes for two weeks
    that include a clock change."""
    e = entry(35, [("06:00", "12:00"), ("12:30", "22:00")], days=EVERY_DAY)
    start = local(LONDON, 2024, 3, 24)
    end = start + timedelta(days=14)
    slots = list(r.occurrences(e, LONDON, start, end + timedelta(days=2)))
    t = start
    i = 0
    while t < end:
        while slots[i] <= t:
            i += 1
        assert r.next_due(e, LONDON, t) == slots[i], t
        t += timedelta(minutes=7)


def test_snooze_adds_a_one_off_reminder_inside_active_hours():
    e = entry()
    now = local(LONDON, 2024, 6, 3, 10, 5)
    state = r.State(snoozed_until=r.snooze_until(now, 10))
    assert wall(r.next_due(e, LONDON, now, state)) == "Mon 10:15"
    # After the snoozed one fires, the grid carries on.
    assert wall(r.next_due(e, LONDON, local(LONDON, 2024, 6, 3, 10, 15), state)) == "Mon 10:30"
    # A 30-minute snooze later than the next slot changes nothing before it.
    state30 = r.State(snoozed_until=r.snooze_until(now, 30))
    assert wall(r.next_due(e, LONDON, now, state30)) == "Mon 10:30"
    assert wall(r.next_due(e, LONDON, local(LONDON, 2024, 6, 3, 10, 30), state30)) == "Mon 10:35"
    # A snooze that would ring after hours is dropped, not moved into the night.
    late = local(LONDON, 2024, 6, 3, 17, 30)
    assert wall(r.next_due(e, LONDON, late, r.State(snoozed_until=r.snooze_until(late, 30)))) == "Tue 09:30"
    with pytest.raises(ValueError):
        r.snooze_until(now, 15)


def test_done_skips_a_slot_that_is_too_close():
    e = entry()
    # Done right after a reminder: the next grid slot still comes.
    early = local(LONDON, 2024, 6, 3, 10, 2)
    assert wall(r.next_due(e, LONDON, early, r.State(not_before=r.done_not_before(e, early)))) == "Mon 10:30"
    # Done 10 minutes before a slot: that slot is skipped.
    close = local(LONDON, 2024, 6, 3, 10, 20)
    assert wall(r.next_due(e, LONDON, close, r.State(not_before=r.done_not_before(e, close)))) == "Mon 11:00"


def test_pause_for_today_silences_until_local_midnight():
    e = entry(days=EVERY_DAY)
    now = local(LONDON, 2024, 6, 3, 11, 0)
    until = r.end_of_local_day(now, LONDON)
    assert until == local(LONDON, 2024, 6, 4, 0, 0)
    paused = r.State(paused_until=until, snoozed_until=r.snooze_until(now, 10))
    assert wall(r.next_due(e, LONDON, now, paused)) == "Tue 09:30"
    # Tomorrow the pause is over without anyone touching it.
    assert wall(r.next_due(e, LONDON, local(LONDON, 2024, 6, 4, 9, 40), paused)) == "Tue 10:00"


def test_spring_forward_keeps_wall_clock_times():
    """Europe/London went from GMT to BST at 01:00 on Sunday 31 March 2024."""
    e = entry(days=EVERY_DAY)
    saturday = r.next_due(e, LONDON, local(LONDON, 2024, 3, 30, 8))
    sunday = r.next_due(e, LONDON, local(LONDON, 2024, 3, 30, 17, 45))
    assert saturday == datetime(2024, 3, 30, 9, 30, tzinfo=UTC)  # GMT = UTC
    assert sunday == datetime(2024, 3, 31, 8, 30, tzinfo=UTC)  # 09:30 BST
    assert wall(sunday) == "Sun 09:30"
    assert len(day_slots(e, LONDON, 2024, 3, 30)) == len(day_slots(e, LONDON, 2024, 3, 31)) == 17
    # Pause for today on the short day ends at the next local midnight, 23 hours later.
    noon = local(LONDON, 2024, 3, 31, 12)
    assert r.end_of_local_day(noon, LONDON) == datetime(2024, 3, 31, 23, 0, tzinfo=UTC)


def test_wall_times_the_clock_skips_do_not_fire():
    night = entry(30, [("00:00", "04:00")], days=EVERY_DAY)
    sunday = day_slots(night, LONDON, 2024, 3, 31)
    assert sunday == ["00:30", "02:00", "02:30", "03:00", "03:30", "04:00"]
    instants = list(r.occurrences(night, LONDON, local(LONDON, 2024, 3, 31), local(LONDON, 2024, 3, 31, 5)))
    assert instants[1] - instants[0] == timedelta(minutes=30)  # 00:30 GMT to 02:00 BST


def test_wall_times_the_clock_repeats_fire_once():
    """Europe/London went back from 02:00 BST to 01:00 GMT on Sunday 27 October 2024."""
    night = entry(30, [("00:00", "03:00")], days=EVERY_DAY)
    start, end = local(LONDON, 2024, 10, 27), local(LONDON, 2024, 10, 27, 4)
    instants = list(r.occurrences(night, LONDON, start, end))
    assert [x.astimezone(LONDON).strftime("%H:%M") for x in instants] == [
        "00:30", "01:00", "01:30", "02:00", "02:30", "03:00"]
    assert len(set(instants)) == len(instants)
    assert instants[2] == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # the first 01:30 (BST)
    assert instants[3] - instants[2] == timedelta(minutes=90)
    # Daytime reminders on the long day keep their wall times too.
    day = entry(days=EVERY_DAY)
    assert r.next_due(day, LONDON, local(LONDON, 2024, 10, 27, 8)) == datetime(2024, 10, 27, 9, 30, tzinfo=UTC)


def test_the_person_time_zone_decides_not_the_server():
    e = entry(60, [("09:00", "17:00")])
    # New York changed on 10 March 2024, London not until 31 March.
    friday = r.next_due(e, NEW_YORK, datetime(2024, 3, 8, 13, 0, tzinfo=UTC))
    monday = r.next_due(e, NEW_YORK, datetime(2024, 3, 9, 12, 0, tzinfo=UTC))
    assert friday == datetime(2024, 3, 8, 15, 0, tzinfo=UTC)  # 10:00 EST
    assert monday == datetime(2024, 3, 11, 14, 0, tzinfo=UTC)  # 10:00 EDT
    assert r.next_due(e, r.zone("UTC"), datetime(2024, 3, 11, 9, 5, tzinfo=UTC)).hour == 10


@pytest.mark.parametrize("value", [14, 241, 1, -30])
def test_interval_outside_15_to_240_is_refused(value):
    with pytest.raises(ValueError):
        entry(value)


@pytest.mark.parametrize("text", ["9:00", "09:60", "25:00", "24:30", "ab:cd", "0900", "", "09:00:00", "09:00\n",
                                  "0\u0669:00", "\u00b9\u00b2:00"])
def test_bad_times_of_day_are_refused(text):
    with pytest.raises(ValueError):
        r.parse_hhmm(text)


def test_windows_past_midnight_belong_to_the_day_they_start():
    friday_night = entry(60, [("22:00", "02:00")], days={4})
    start = local(LONDON, 2024, 6, 7)
    found = [wall(x) for x in r.occurrences(friday_night, LONDON, start, start + timedelta(days=3))]
    assert found == ["Fri 23:00", "Sat 00:00", "Sat 01:00", "Sat 02:00"]
    assert r.in_active_time(friday_night, LONDON, local(LONDON, 2024, 6, 8, 1, 30))
    assert not r.in_active_time(friday_night, LONDON, local(LONDON, 2024, 6, 8, 2, 30))
    assert not r.in_active_time(friday_night, LONDON, local(LONDON, 2024, 6, 9, 1, 0))  # Saturday is off
    assert not r.in_active_time(friday_night, LONDON, local(LONDON, 2024, 6, 7, 21, 59))
    assert wall(r.next_due(friday_night, LONDON, local(LONDON, 2024, 6, 8, 0, 0))) == "Sat 01:00"
    # "Until 24:00" includes midnight; equal start and end is a whole day.
    late = entry(60, [("21:00", "24:00")], days={0})
    assert [wall(x) for x in r.occurrences(late, LONDON, local(LONDON, 2024, 6, 3), local(LONDON, 2024, 6, 5))] == [
        "Mon 22:00", "Mon 23:00", "Tue 00:00"]
    whole = entry(240, [("06:00", "06:00")], days={0})
    assert [wall(x) for x in r.occurrences(whole, LONDON, local(LONDON, 2024, 6, 3), local(LONDON, 2024, 6, 5))] == [
        "Mon 10:00", "Mon 14:00", "Mon 18:00", "Mon 22:00", "Tue 02:00", "Tue 06:00"]
    assert r.Window.parse("24:00", "02:00").stop == 1560


def test_a_night_window_across_a_clock_change():
    """Saturday night into Sunday 27 October 2024, when London's 01:00-02:00 happens twice."""
    night = entry(30, [("23:00", "03:00")], days={5})
    start = local(LONDON, 2024, 10, 26, 12)
    instants = list(r.occurrences(night, LONDON, start, start + timedelta(days=1)))
    assert [x.astimezone(LONDON).strftime("%H:%M") for x in instants] == [
        "23:30", "00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "03:00"]
    assert all(b > a for a, b in zip(instants, instants[1:], strict=False))


@pytest.mark.parametrize("name", ["Mars/Olympus", "localtime", "../../etc/passwd", "", "europe/london"])
def test_only_tz_database_names_are_time_zones(name):
    with pytest.raises(ValueError):
        r.zone(name)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        r.next_due(entry(), LONDON, datetime(2024, 6, 3, 9))


def test_entry_from_plan_item():
    e = r.entry_from_plan("hydration", {"interval": 120,
                           "windows": [{"start": "13:00", "end": "17:00"}, {"start": "09:00", "end": "12:00"}],
                           "days": ["sat", "mon"]})
    assert e.days == frozenset({0, 5})
    assert [w.label() for w in e.windows] == ["09:00-12:00", "13:00-17:00"]
    assert r.day_names(e.days) == ["mon", "sat"]


# --- Once a day at a chosen time (the daily check-in) ---------------------------------

CHECKIN = "daily-checkin"


def daily(time="18:00", days=EVERY_DAY) -> r.Entry:
    return r.entry_from_plan(CHECKIN, {"time": time, "days": r.day_names(days)})


def test_a_daily_reminder_rings_once_a_day_at_its_time_on_its_days():
    e = daily("18:00", days={0, 2, 4})  # Mon, Wed, Fri
    assert e.interval == r.ONCE and e.daily_time == 18 * 60
    # Monday 3 June 2024, London (BST): 18:00 local is 17:00 UTC.
    week = list(r.occurrences(e, LONDON, local(LONDON, 2024, 6, 3), local(LONDON, 2024, 6, 10)))
    assert [wall(x) for x in week] == ["Mon 18:00", "Wed 18:00", "Fri 18:00"]
    assert week[0] == datetime(2024, 6, 3, 17, 0, tzinfo=UTC)
    assert r.next_due(e, LONDON, local(LONDON, 2024, 6, 3, 18, 0)) == local(LONDON, 2024, 6, 5, 18, 0)
    assert r.next_due(e, LONDON, local(LONDON, 2024, 6, 3, 17, 59)) == local(LONDON, 2024, 6, 3, 18, 0)


def test_a_daily_reminder_at_midnight_and_just_before():
    first = daily("00:00")
    assert day_slots(first, LONDON, 2024, 6, 3) == ["00:00"]
    last = daily("23:59", days={0})
    assert day_slots(last, LONDON, 2024, 6, 3) == ["23:59"]
    assert day_slots(last, LONDON, 2024, 6, 4) == []  # the window ends at midnight: nothing spills over


def test_a_daily_snooze_rings_the_same_evening_but_never_after_midnight():
    e = daily("18:00")
    rang = local(LONDON, 2024, 6, 3, 18, 0)
    snoozed = r.State(snoozed_until=r.snooze_until(rang, 30))
    assert r.next_due(e, LONDON, rang, snoozed) == local(LONDON, 2024, 6, 3, 18, 30)
    late = daily("23:50")
    at_late = local(LONDON, 2024, 6, 3, 23, 50)
    dropped = r.State(snoozed_until=r.snooze_until(at_late, 30))  # 00:20: tomorrow, dropped
    assert r.next_due(late, LONDON, at_late, dropped) == local(LONDON, 2024, 6, 4, 23, 50)


def test_not_today_leaves_tomorrow_as_the_next_one():
    e = daily("18:00")
    tapped = local(LONDON, 2024, 6, 3, 18, 10)
    state = r.State(not_before=r.done_not_before(e, tapped))
    assert r.next_due(e, LONDON, tapped, state) == local(LONDON, 2024, 6, 4, 18, 0)


def test_a_daily_reminder_keeps_its_wall_time_across_clock_changes():
    """London: 31 March 2024 (GMT to BST) and 27 October 2024 (BST to GMT)."""
    e = daily("18:00")
    spring = list(r.occurrences(e, LONDON, local(LONDON, 2024, 3, 30), local(LONDON, 2024, 4, 1)))
    assert spring == [datetime(2024, 3, 30, 18, 0, tzinfo=UTC), datetime(2024, 3, 31, 17, 0, tzinfo=UTC)]
    autumn = list(r.occurrences(e, LONDON, local(LONDON, 2024, 10, 26), local(LONDON, 2024, 10, 28)))
    assert autumn == [datetime(2024, 10, 26, 17, 0, tzinfo=UTC), datetime(2024, 10, 27, 18, 0, tzinfo=UTC)]
    assert autumn[1] - autumn[0] == timedelta(hours=25)


def test_a_daily_time_the_clock_skips_or_repeats():
    """01:30 does not exist in London on 31 March 2024 and happens twice on 27 October."""
    e = daily("01:30")
    assert day_slots(e, LONDON, 2024, 3, 30) == ["01:30"]
    assert day_slots(e, LONDON, 2024, 3, 31) == []  # skipped that day, back the next
    assert day_slots(e, LONDON, 2024, 4, 1) == ["01:30"]
    repeated = list(r.occurrences(e, LONDON, local(LONDON, 2024, 10, 27), local(LONDON, 2024, 10, 27, 4)))
    assert repeated == [datetime(2024, 10, 27, 0, 30, tzinfo=UTC)]  # the first 01:30 (BST), once


def test_a_daily_reminder_follows_the_person_zone():
    e = daily("08:00")
    # New York went to EDT on 10 March 2024; Chatham (UTC+13:45 in March) and Kolkata never lose a day.
    assert r.next_due(e, NEW_YORK, datetime(2024, 3, 9, 14, 0, tzinfo=UTC)) == datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
    assert r.next_due(e, NEW_YORK, datetime(2024, 3, 8, 14, 0, tzinfo=UTC)) == datetime(2024, 3, 9, 13, 0, tzinfo=UTC)
    chatham = r.zone("Pacific/Chatham")
    due = r.next_due(e, chatham, datetime(2024, 3, 1, 0, 0, tzinfo=UTC))
    assert due.astimezone(chatham).strftime("%H:%M") == "08:00"
    kolkata = r.zone("Asia/Kolkata")
    assert r.next_due(e, kolkata, datetime(2024, 6, 3, 0, 0, tzinfo=UTC)) == datetime(2024, 6, 3, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["24:00", "18:60", "6pm", "", "18:00\n"])
def test_a_daily_time_must_be_a_time_of_day(text):
    with pytest.raises(ValueError):
        r.entry_from_plan(CHECKIN, {"time": text, "days": ["mon"]})
