"""The daily check-in reminder on the server: once a day at the person's time, on their
days, in their zone. The plan API takes it as {time, days} and refuses anything else with
a 422 that names the field; its push payload opens the check-in (never a routine) and
offers "Check in", a snooze and "Not today"; the calendar file has one daily event at
that time, read back alike by icalendar and ical.js across a clock change. Nothing about
check-ins themselves reaches the server: the plan says only when to ask."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar
from marshmallow import ValidationError

from server.content_schemas import ReminderSchema
from server.reminders import rules
from server.reminders.schemas import ReminderPayloadSchema
from tests.conftest_push import ManualClock, push_config, push_service_fixture  # noqa: F401
from tests.test_calendar import by_type, expected, ical_js
from tests.test_push import at, bearer, counts, delivered, item, make_app, plan, scheduler_for, subscribe

CHECKIN = "daily-checkin"
EVERY_DAY = list(rules.DAY_NAMES)
LONDON = ZoneInfo("Europe/London")


def daily(time: str = "18:00", days=EVERY_DAY) -> tuple[str, dict]:
    return CHECKIN, {"time": time, "days": list(days)}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(at(8))


@pytest.fixture
def app(tmp_path, clock, push_service):
    app = make_app(str(tmp_path / "instance"), clock, push_service)
    yield app
    app.reminders.close()


@pytest.fixture
def client(app):
    return app.test_client()


def test_content_makes_it_a_daily_type_that_opens_the_checkin(app):
    text = app.reminders.texts[CHECKIN]
    assert text.daily and text.opens == "/progress#checkin" and not text.starts_routine
    assert text.actions == ("checkin", "snooze", "skip")
    content = app.extensions["mbr_content"].reminders[CHECKIN]
    assert content["default_time"] == "18:00" and content["routine"] is None
    # Gentle words: a question, no counts, no "you missed".
    assert content["message"].startswith("How is your back today?")
    for word in ("missed", "streak", "forgot", "should have"):
        assert word not in content["message"].lower()
    # Off by default: no "My back" choice turns it on.
    assert not any(CHECKIN in c["reminders"] for c in app.extensions["mbr_content"].choices.values())


def test_it_rings_once_a_day_at_the_chosen_time_and_opens_the_checkin(app, client, clock, push_service):
    sub = push_service.subscribe()
    token = subscribe(client, sub, plan(item("posture-break", 30), daily("18:00", ["mon", "wed"])))
    status = client.get("/api/v1/push/device", headers=bearer(token)).get_json()["reminders"][CHECKIN]
    assert status["time"] == "18:00" and status["interval"] == rules.ONCE
    assert status["days"] == ["mon", "wed"]
    assert datetime.fromisoformat(status["next_due"]).timestamp() == at(18)
    scheduler = scheduler_for(app, clock)
    assert scheduler.run_once(at(17, 30)).sent == 1  # the last posture break only
    assert scheduler.run_once(at(17, 59)).sent == 0
    assert scheduler.run_once(at(18)).sent == 1
    assert delivered(push_service, sub)[-1] == (CHECKIN, at(18))
    message = push_service.messages_for(sub)[-1]
    assert ReminderPayloadSchema().validate(message) == {}
    note = message["notification"]
    assert note["title"] == "Daily check-in" and note["navigate"] == "/progress#checkin"
    rid = f"{CHECKIN}%3A{at(18) * 1000}"
    assert [(a["action"], a["title"], a["navigate"]) for a in note["actions"]] == [
        ("checkin", "Check in", "/progress#checkin"),
        ("snooze", "Snooze 10 min", f"/reminders?action=snooze&reminder={rid}"),
        ("skip", "Not today", f"/reminders?action=skip&reminder={rid}"),
    ]
    # Nothing more that evening or on Tuesday; Wednesday at 18:00 again.
    assert [d for t, d in delivered(push_service, sub) if t == CHECKIN] == [at(18)]
    body = client.get("/api/v1/push/device", headers=bearer(token)).get_json()
    assert datetime.fromisoformat(body["reminders"][CHECKIN]["next_due"]).timestamp() == at(18, day=2)


def test_snooze_rings_that_evening_and_not_today_waits_for_tomorrow(app, client, clock, push_service):
    sub = push_service.subscribe()
    token = subscribe(client, sub, plan(daily("18:00")))
    scheduler = scheduler_for(app, clock)
    assert scheduler.run_once(at(18)).sent == 1
    clock.set(at(18, 1))
    body = client.post("/api/v1/push/device/snooze", headers=bearer(token),
                       json={"type": CHECKIN, "minutes": 30}).get_json()
    assert datetime.fromisoformat(body["reminders"][CHECKIN]["next_due"]).timestamp() == at(18, 31)
    assert scheduler.run_once(at(18, 31)).sent == 1
    # "Not today" is "done" for the schedule: the snooze goes, tomorrow 18:00 is next.
    clock.set(at(18, 32))
    assert client.post("/api/v1/push/device/snooze", headers=bearer(token),
                       json={"type": CHECKIN, "minutes": 10}).status_code == 200
    body = client.post("/api/v1/push/device/done", headers=bearer(token), json={"type": CHECKIN}).get_json()
    assert body["reminders"][CHECKIN]["snoozed_until"] is None
    assert datetime.fromisoformat(body["reminders"][CHECKIN]["next_due"]).timestamp() == at(18, day=1)
    assert scheduler.run_once(at(18, 42)).sent == 0
    assert [d for _, d in delivered(push_service, sub)] == [at(18), at(18, 31)]


def test_it_follows_the_person_zone_and_a_clock_change(tmp_path, push_service):
    """New York put its clocks forward on Sunday 10 March 2024: 08:00 stays 08:00."""
    new_york = ZoneInfo("America/New_York")
    saturday = datetime(2024, 3, 9, 7, tzinfo=new_york)
    clock = ManualClock(saturday.timestamp())
    app = make_app(str(tmp_path / "instance"), clock, push_service)
    client = app.test_client()
    sub = push_service.subscribe()
    subscribe(client, sub, plan(daily("08:00"), timezone="America/New_York"))
    scheduler = scheduler_for(app, clock)
    for hours in range(0, 50):  # to Monday 09:00 EDT
        moment = int((saturday + timedelta(hours=hours)).timestamp())
        scheduler.run_once(moment)
    sent = [datetime.fromtimestamp(d, new_york) for _, d in delivered(push_service, sub)]
    assert [(d.day, d.hour, d.minute) for d in sent] == [(9, 8, 0), (10, 8, 0), (11, 8, 0)]
    assert [b.timestamp() - a.timestamp() for a, b in zip(sent, sent[1:], strict=False)] == [23 * 3600, 24 * 3600]
    app.reminders.close()


@pytest.mark.parametrize(("value", "field"), [
    ({"time": "24:00", "days": EVERY_DAY}, "time"),
    ({"time": "18:60", "days": EVERY_DAY}, "time"),
    ({"time": "6pm", "days": EVERY_DAY}, "time"),
    ({"time": "18:00\n", "days": EVERY_DAY}, "time"),
    ({"time": "8:00", "days": EVERY_DAY}, "time"),
    ({"time": 1080, "days": EVERY_DAY}, "time"),
    ({"days": EVERY_DAY}, "time"),
    ({"time": "18:00", "days": []}, "days"),
    ({"time": "18:00", "days": ["someday"]}, "days"),
    # The check-in is once a day, not every so often.
    ({"interval": 30, "windows": [{"start": "09:00", "end": "17:00"}], "days": EVERY_DAY}, "interval"),
])
def test_bad_daily_items_get_a_422_naming_the_field(app, client, push_service, value, field):
    bad = {"timezone": "Europe/London", "reminders": {CHECKIN: value}}
    token = subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    for method, path, body in [("post", "/api/v1/push/subscriptions", {"subscription": push_service.subscribe()
                                                                        .json(), "plan": bad}),
                               ("put", "/api/v1/push/device", {"plan": bad}),
                               ("post", "/api/v1/calendar/reminders.ics", bad)]:
        response = getattr(client, method)(path, json=body, headers=bearer(token))
        assert response.status_code == 422, (path, response.get_json())
        errors = response.get_json()["errors"]
        errors = errors.get("plan", errors)
        assert field in errors["reminders"][CHECKIN], errors
    if field == "time" and "time" in value and isinstance(value["time"], str):
        assert errors["reminders"][CHECKIN]["time"] == [
            "Must be a time of day as HH:MM (00:00 to 23:59), for example 18:00."]
    assert counts(app) == (1, 1)


def test_an_interval_type_does_not_take_a_time(client, push_service):
    response = client.post("/api/v1/calendar/reminders.ics", json=plan(
        ("posture-break", {"time": "18:00", "days": EVERY_DAY})))
    assert response.status_code == 422
    assert "time" in response.get_json()["errors"]["reminders"]["posture-break"]


def test_the_calendar_file_has_one_daily_event_at_that_time(tmp_path, push_service):
    """Made on Monday 25 March 2024 in London; the clocks go forward on the 31st."""
    clock = ManualClock(datetime(2024, 3, 25, 7, tzinfo=LONDON).timestamp())
    app = make_app(str(tmp_path / "instance"), clock, push_service, PUBLIC_URL="https://relief.example")
    the_plan = plan(item("posture-break", 45), daily("18:00", ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]))
    response = app.test_client().post("/api/v1/calendar/reminders.ics", json=the_plan)
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    [event] = [e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith(CHECKIN)]
    assert str(event["UID"]) == f"{CHECKIN}-1800@mid-back-relief"
    assert str(event["SUMMARY"]) == "Daily check-in"
    assert str(event["URL"]) == "https://relief.example/progress#checkin"
    assert "?start=1" not in str(event["DESCRIPTION"])
    first = event.decoded("DTSTART")
    assert (first.hour, first.minute, first.tzinfo.key) == (18, 0, "Europe/London")
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;WKST=MO"
    start = datetime(2024, 3, 25, tzinfo=LONDON)
    end = start + timedelta(days=14)
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=first.replace(tzinfo=None))
    walls = rule.between(start.replace(tzinfo=None), end.replace(tzinfo=None), inc=True)
    want = expected(the_plan, start, end)
    assert {int(w.replace(tzinfo=LONDON).timestamp() * 1000) for w in walls} == want[CHECKIN]
    assert len(want[CHECKIN]) == 14
    assert by_type(ical_js(response.data, start, end)) == want
    app.reminders.close()


def test_the_calendar_leaves_it_out_when_it_is_off(app, client):
    response = client.post("/api/v1/calendar/reminders.ics", json=plan(item("posture-break", 45)))
    assert response.status_code == 200 and CHECKIN.encode() not in response.data


BASE = {"id": "daily-checkin", "title": "Daily check-in", "message": "How is your back today?",
        "tips": ["A few taps."], "sources": ["nhs-back-pain"]}


@pytest.mark.parametrize(("change", "field"), [
    ({"schedule": "daily", "opens": "/progress#checkin"}, "default_time"),
    ({"schedule": "daily", "default_time": "18:00"}, "opens"),
    ({"schedule": "daily", "default_time": "24:00", "opens": "/progress"}, "default_time"),
    ({"schedule": "daily", "default_time": "18:00", "opens": "https://elsewhere.example/"}, "opens"),
    ({"schedule": "daily", "default_time": "18:00", "opens": "/progress", "routine": "desk-reset"}, "routine"),
    ({"schedule": "daily", "default_time": "18:00", "opens": "/progress", "default_interval_minutes": 30},
     "default_interval_minutes"),
    ({"schedule": "daily", "default_time": "18:00", "opens": "/progress", "actions": ["start", "snooze"]}, "actions"),
    ({"default_time": "18:00", "opens": "/progress", "actions": ["checkin"]}, "default_time"),
    ({"schedule": "hourly"}, "schedule"),
])
def test_content_refuses_a_daily_reminder_that_does_not_fit(change, field):
    with pytest.raises(ValidationError) as caught:
        ReminderSchema().load({**BASE, **change})
    assert field in caught.value.messages, caught.value.messages


def test_content_takes_a_daily_reminder_with_default_actions():
    loaded = ReminderSchema().load({**BASE, "schedule": "daily", "default_time": "07:30", "opens": "/progress#checkin"})
    assert loaded["actions"] == ["checkin", "snooze", "skip"] and loaded["causes"] == []
