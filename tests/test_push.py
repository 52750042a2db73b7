"""Reminder delivery end to end, without any outside service: the API stores a
subscription, the scheduler (on a clock the test sets) sends through a real Web Push
service on 127.0.0.1 that verifies VAPID and decrypts every message with keys only the
test holds. Storage tests run on SQLite and on PostgreSQL (`database_url`)."""

from __future__ import annotations

import os
import stat
import threading
import time
from datetime import datetime, timedelta
from email.utils import formatdate
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from server import create_app
from server.api import ErrorSchema
from server.reminders import rules
from server.reminders.push import PushSender, endpoint_problem, host_allowed, public_key_b64, vapid_from_text
from server.reminders.schemas import ReminderPayloadSchema
from server.reminders.store import Device, Schedule, Store
from tests.conftest_push import (  # noqa: F401
    LocalPushService,
    ManualClock,
    b64url,
    database_url_fixture,
    postgres_cluster_fixture,
    push_config,
    push_service_fixture,
    unb64url,
)

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
MONDAY = datetime(2024, 6, 3, tzinfo=LONDON)  # no clock change that week


def at(hour: int, minute: int = 0, day: int = 0, base: datetime = MONDAY) -> int:
    return int((base + timedelta(days=day)).replace(hour=hour, minute=minute).timestamp())


def item(type_: str, interval: int, windows=(("09:00", "17:30"),), days=WEEKDAYS) -> tuple[str, dict]:
    return type_, {"interval": interval,
            "windows": [{"start": a, "end": b} for a, b in windows], "days": list(days)}


def plan(*items: tuple[str, dict], timezone: str = "Europe/London") -> dict:
    return {"timezone": timezone, "reminders": dict(items)}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(at(8))


@pytest.fixture
def instance(tmp_path) -> str:
    return str(tmp_path / "instance")


def make_app(instance: str, clock: ManualClock, service: LocalPushService, database_url: str | None = None,
             **config):
    if database_url:
        config["DATABASE_URL"] = database_url
    app = create_app(push_config(instance, **config))
    app.reminders.clock = clock
    service.vapid_public_key = app.reminders.vapid_public_key
    return app


@pytest.fixture
def app(instance, clock, push_service, database_url):
    app = make_app(instance, clock, push_service, database_url)
    yield app
    app.reminders.close()


@pytest.fixture
def sqlite_app(instance, clock, push_service):
    """For tests of the HTTP edge, which does not depend on the database."""
    app = make_app(instance, clock, push_service)
    yield app
    app.reminders.close()


@pytest.fixture
def client(app):
    return app.test_client()


def scheduler_for(app, clock, **settings):
    settings.setdefault("threads", 2)
    return app.reminders.scheduler(clock=clock, **settings)


def subscribe(client, subscriber, the_plan, **kwargs) -> str:
    response = client.post("/api/v1/push/subscriptions",
                           json={"subscription": subscriber.json(), "plan": the_plan}, **kwargs)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["device"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def counts(app) -> tuple[int, int]:
    with app.reminders.store.session() as session:
        return (session.scalar(select(func.count()).select_from(Device)),
                session.scalar(select(func.count()).select_from(Schedule)))


def delivered(service, subscriber) -> list[tuple[str, int]]:
    """(type, due in seconds) of every message the subscriber received, in order."""
    out = []
    for message in service.messages_for(subscriber):
        data = message["notification"]["data"]
        assert data["id"] == f"{data['type']}:{data['due']}"
        out.append((data["type"], data["due"] // 1000))
    return out


# --- Delivery -------------------------------------------------------------------------


def test_scheduler_delivers_exactly_the_due_reminders(app, client, clock, push_service):
    office = push_service.subscribe()
    remote = push_service.subscribe()
    subscribe(client, office, plan(item("posture-break", 30), item("hydration", 120)))
    subscribe(client, remote, plan(item("breathing", 180), timezone="America/New_York"))
    texts = app.extensions["mbr_content"].reminders
    scheduler = scheduler_for(app, clock)

    assert scheduler.run_once(at(9, 0)).sent == 0
    assert scheduler.run_once(at(9, 30)).sent == 1
    assert delivered(push_service, office) == [("posture-break", at(9, 30))]
    message = push_service.messages_for(office)[0]
    assert ReminderPayloadSchema().validate(message) == {}
    note = message["notification"]
    assert note["title"] == texts["posture-break"]["title"]
    assert note["body"] == texts["posture-break"]["message"]
    assert note["navigate"] == f"/routines/{texts['posture-break']['routine']}?start=1"
    assert note["data"] == {"id": f"posture-break:{at(9, 30) * 1000}", "type": "posture-break",
                            "due": at(9, 30) * 1000}
    headers = push_service.received[0].headers
    assert headers["ttl"] == "900" and headers["topic"] == "posture-break" and headers["urgency"] == "normal"

    # Running again at the same moment sends nothing more.
    assert scheduler.run_once(at(9, 30)).sent == 0
    # At 11:00 the scheduler was idle since 09:30: it sends the 11:00 posture break (not
    # the missed 10:00 and 10:30 ones) and the first hydration reminder.
    assert scheduler.run_once(at(11, 0)).sent == 2
    assert sorted(delivered(push_service, office)[1:]) == [("hydration", at(11)), ("posture-break", at(11))]
    # 17:00 in London is 12:00 in New York: the remote worker's breathing break is due too.
    assert scheduler.run_once(at(17, 0)).sent == 3
    assert delivered(push_service, remote) == [("breathing", at(12, 0, base=MONDAY.replace(tzinfo=ZoneInfo(
        "America/New_York"))))]
    assert scheduler.run_once(at(17, 30)).sent == 1
    assert scheduler.run_once(at(18, 0)).sent == 0
    assert scheduler.run_once(at(20, 0)).sent == 1  # 15:00 in New York
    assert push_service.problems == []

    status = client.get("/api/v1/push/device", headers=bearer(subscribe(client, push_service.subscribe(), plan())))
    assert status.status_code == 200 and status.get_json()["reminders"] == {}


def test_public_url_makes_every_link_absolute(instance, clock, push_service):
    app = make_app(instance, clock, push_service, PUBLIC_URL="https://relief.example/")
    subscriber = push_service.subscribe()
    subscribe(app.test_client(), subscriber, plan(item("posture-break", 30)))
    scheduler_for(app, clock).run_once(at(9, 30))
    note = push_service.messages_for(subscriber)[0]["notification"]
    rid = f"posture-break%3A{at(9, 30) * 1000}"
    assert note["navigate"] == "https://relief.example/routines/desk-reset?start=1"
    assert [(a["action"], a["navigate"]) for a in note["actions"]] == [
        ("start", "https://relief.example/routines/desk-reset?start=1"),
        ("snooze", f"https://relief.example/reminders?action=snooze&reminder={rid}"),
        ("done", f"https://relief.example/reminders?action=done&reminder={rid}"),
    ]
    app.reminders.close()


def test_next_due_times_are_reported_and_persisted(app, client, clock, push_service):
    sub = push_service.subscribe()
    token = subscribe(client, sub, plan(item("posture-break", 30)))
    scheduler_for(app, clock).run_once(at(17, 30))
    body = client.get("/api/v1/push/device", headers=bearer(token)).get_json()
    due = datetime.fromisoformat(body["reminders"]["posture-break"]["next_due"])
    assert due == datetime.fromtimestamp(at(9, 30, day=1)).astimezone(LONDON)
    assert body["reminders"]["posture-break"]["next_id"] == f"posture-break:{at(9, 30, day=1) * 1000}"


def test_restart_sends_nothing_twice_and_loses_nothing(app, instance, clock, push_service, database_url):
    sub = push_service.subscribe()
    subscribe(app.test_client(), sub, plan(item("posture-break", 30)))
    first = scheduler_for(app, clock)
    assert first.run_once(at(9, 30)).sent == 1

    # Restart: a new app on the same database and instance folder (same VAPID key).
    restarted = make_app(instance, clock, push_service, database_url)
    second = scheduler_for(restarted, clock)
    assert second.run_once(at(9, 30)).sent == 0
    # Down over the 10:00 reminder, back at 10:05: it still goes out, once.
    assert second.run_once(at(10, 5)).sent == 1
    assert second.run_once(at(10, 6)).sent == 0

    # A scheduler dies after claiming the 10:30 reminder but before sending it: the
    # claim blocks others only until its lease ends, then the reminder is sent once.
    _token, claimed = first.claim(at(10, 30))
    assert len(claimed) == 1
    assert second.run_once(at(10, 30) + first.lease_seconds).sent == 0
    assert second.run_once(at(10, 30) + first.lease_seconds + 1).sent == 1
    assert delivered(push_service, sub) == [("posture-break", at(h, m)) for h, m in
                                            ((9, 30), (10, 0), (10, 30))]
    assert push_service.problems == []
    restarted.reminders.close()


def test_two_schedulers_at_once_send_each_reminder_once(app, instance, clock, push_service, database_url):
    client = app.test_client()
    subscribers = [push_service.subscribe() for _ in range(30)]
    for sub in subscribers:
        subscribe(client, sub, plan(item("posture-break", 30)))
    other = make_app(instance, clock, push_service, database_url)  # another process's view of the database
    push_service.delay = 0.01
    schedulers = [scheduler_for(app, clock, batch_size=4), scheduler_for(other, clock, batch_size=4)]
    results = [None, None]
    barrier = threading.Barrier(2)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = schedulers[i].run_once(at(9, 30))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results[0].sent + results[1].sent == 30
    assert results[0].sent and results[1].sent, "both schedulers should have taken a share"
    assert all(delivered(push_service, s) == [("posture-break", at(9, 30))] for s in subscribers)
    assert push_service.requests == 30
    other.reminders.close()


def test_a_batch_slower_than_its_lease_is_not_sent_twice(app, instance, clock, push_service, database_url):
    """The lease is renewed while a batch is in flight: a second scheduler polling all
    along never takes rows the first is still sending, however slow the push service."""
    client = app.test_client()
    subscribers = [push_service.subscribe() for _ in range(6)]
    for sub in subscribers:
        subscribe(client, sub, plan(item("posture-break", 30)))
    slow = scheduler_for(app, clock, threads=1, batch_size=6, lease_seconds=1)
    other = make_app(instance, clock, push_service, database_url)
    rival = scheduler_for(other, clock, threads=1, lease_seconds=1)
    push_service.hold_after = 0  # every answer waits until the test releases it
    runner = threading.Thread(target=slow.run_once, args=(at(9, 30),))
    runner.start()
    push_service.wait_held(1)
    # The batch is claimed and one send is stuck. The rival polls again and again, its
    # clock running past the original lease each time; the renewed lease keeps the rows.
    seen: list[int] = []
    deadline = time.monotonic() + 60
    while len(seen) < 3:  # three renewals, each past the lease as first granted
        assert time.monotonic() < deadline, f"the lease was not renewed: {seen}"
        with other.reminders.store.session() as session:
            until = session.scalar(select(func.min(Schedule.claimed_until)))
        if until >= at(9, 30) + 3 and until not in seen:
            # One second before the renewed lease ends, the first lease is long over.
            assert rival.run_once(until - 1).claimed == 0
            seen.append(until)
        time.sleep(0.05)  # polling the database for the next renewal
    push_service.release()
    runner.join(timeout=60)
    assert all(delivered(push_service, s) == [("posture-break", at(9, 30))] for s in subscribers)
    other.reminders.close()


def test_gone_subscription_is_deleted_with_everything_stored_for_it(app, client, clock, push_service):
    stays, goes = push_service.subscribe(), push_service.subscribe()
    subscribe(client, stays, plan(item("posture-break", 30)))
    token = subscribe(client, goes, plan(item("posture-break", 30), item("hydration", 120)))
    assert counts(app) == (2, 3)
    push_service.script(goes, 410)
    stats = scheduler_for(app, clock).run_once(at(9, 30))
    assert (stats.sent, stats.gone) == (1, 1)
    assert counts(app) == (1, 1)
    assert client.get("/api/v1/push/device", headers=bearer(token)).status_code == 401
    # 404 (an endpoint the push service never heard of) counts as gone too.
    push_service.forget(stays)
    scheduler_for(app, clock).run_once(at(10))
    assert counts(app) == (0, 0)


def send_at(app) -> int:
    with app.reminders.store.session() as session:
        return session.scalar(select(Schedule.send_at))


def test_busy_push_service_is_retried_with_backoff(app, client, clock, push_service):
    sub = push_service.subscribe()
    subscribe(client, sub, plan(item("posture-break", 30)))
    scheduler = scheduler_for(app, clock)

    push_service.script(sub, 503)
    stats = scheduler.run_once(at(9, 30))
    assert (stats.sent, stats.retried) == (0, 1)
    assert send_at(app) == at(9, 30) + 30
    assert scheduler.run_once(at(9, 30) + 10).sent == 0  # backing off
    assert scheduler.run_once(at(9, 30) + 30).sent == 1
    assert delivered(push_service, sub) == [("posture-break", at(9, 30))]

    # 429 with Retry-After in seconds is honoured.
    push_service.script(sub, (429, {"Retry-After": "90"}))
    assert scheduler.run_once(at(10)).retried == 1
    assert send_at(app) == at(10) + 90
    assert scheduler.run_once(at(10) + 89).sent == 0
    assert scheduler.run_once(at(10) + 90).sent == 1

    # A service that stays down: retries stop within the grace time, and the next
    # reminder is sent normally once it is back.
    push_service.script(sub, *([503] * 20))
    now, tries = at(10, 30), 0
    while True:
        stats = scheduler.run_once(now)
        tries += stats.retried + stats.failed
        if stats.failed:
            break
        now = send_at(app)
    assert 2 <= tries <= 5 and now - at(10, 30) <= 900
    push_service.scripts[sub.id].clear()
    assert scheduler.run_once(at(11)).sent == 1
    assert [due for _, due in delivered(push_service, sub)] == [at(9, 30), at(10), at(11)]


def test_retry_after_as_an_http_date_is_honoured(app, client, clock, push_service):
    sub = push_service.subscribe()
    subscribe(client, sub, plan(item("posture-break", 30)))
    scheduler = scheduler_for(app, clock)
    # RFC 9110 allows an HTTP date: 200 s from now. The sender reads it against the real
    # clock somewhere between `before` and `after`, however slow this machine is.
    before = time.time()
    retry_at = int(before) + 200
    push_service.script(sub, (503, {"Retry-After": formatdate(retry_at, usegmt=True)}))
    assert scheduler.run_once(at(9, 30)).retried == 1
    after = time.time()
    assert at(9, 30) + int(retry_at - after) <= send_at(app) <= at(9, 30) + int(retry_at - before)


def test_redirects_from_a_push_service_are_not_followed(app, client, clock, push_service):
    elsewhere = LocalPushService().start()
    try:
        sub = push_service.subscribe()
        subscribe(client, sub, plan(item("posture-break", 30)))
        push_service.script(sub, (307, {"Location": f"{elsewhere.origin}/push/x"}))
        stats = scheduler_for(app, clock).run_once(at(9, 30))
        assert (stats.sent, stats.failed) == (0, 1)
        assert elsewhere.requests == 0
    finally:
        elsewhere.stop()


def test_allowlist_is_checked_again_at_send_time(app, instance, clock, push_service, database_url):
    """A device stored while its push service was allowed gets nothing once the
    allowlist no longer names it: the sender checks every request, not only the API."""
    sub = push_service.subscribe()
    subscribe(app.test_client(), sub, plan(item("posture-break", 30)))
    narrowed = make_app(instance, clock, push_service, database_url, PUSH_ALLOWED_HOSTS=("fcm.googleapis.com",))
    stats = scheduler_for(narrowed, clock).run_once(at(9, 30))
    assert (stats.sent, stats.failed) == (0, 1)
    assert push_service.requests == 0
    narrowed.reminders.close()


def test_vapid_token_is_reused_then_renewed_before_it_expires(tmp_path, push_service):
    from server.reminders.push import VAPID_LIFETIME, VAPID_RENEW_BEFORE, load_or_create_vapid

    vapid = load_or_create_vapid(tmp_path)
    push_service.vapid_public_key = public_key_b64(vapid)
    now = [time.time()]
    sender = PushSender(vapid, "mailto:test@example.org", ["127.0.0.1"], clock=lambda: now[0])
    sub = push_service.subscribe()

    def send_and_claims() -> tuple[str, dict]:
        result = sender.send(sub.endpoint, sub.json()["keys"]["p256dh"], sub.json()["keys"]["auth"], b"{}")
        assert result.status == 201, push_service.problems
        token = push_service.received[-1].headers["authorization"].split("t=")[1].split(",")[0]
        import json
        return token, json.loads(unb64url(token.split(".")[1]))

    first, claims = send_and_claims()
    assert claims["exp"] == int(now[0]) + VAPID_LIFETIME
    assert claims["aud"] == push_service.origin
    now[0] += VAPID_LIFETIME - VAPID_RENEW_BEFORE - 60  # a minute before renewal is due
    assert send_and_claims()[0] == first
    started = now[0]
    now[0] += 61  # now less than an hour of the token is left
    renewed, claims = send_and_claims()
    assert renewed != first and claims["exp"] == int(started + 61) + VAPID_LIFETIME
    assert push_service.problems == []


# --- What the person does ---------------------------------------------------------


def test_snooze_done_and_pause_move_the_next_reminder(app, client, clock, push_service):
    sub = push_service.subscribe()
    token = subscribe(client, sub, plan(item("posture-break", 30), item("breathing", 180)))
    scheduler = scheduler_for(app, clock)
    scheduler.run_once(at(9, 30))

    clock.set(at(9, 32))
    body = client.post("/api/v1/push/device/snooze", headers=bearer(token),
                       json={"type": "posture-break", "minutes": 10}).get_json()
    posture = body["reminders"]["posture-break"]
    assert datetime.fromisoformat(posture["next_due"]).timestamp() == at(9, 42)
    assert scheduler.run_once(at(9, 42)).sent == 1
    assert scheduler.run_once(at(10)).sent == 1

    clock.set(at(10, 20))
    body = client.post("/api/v1/push/device/done", headers=bearer(token),
                       json={"type": "posture-break"}).get_json()
    posture = body["reminders"]["posture-break"]
    assert datetime.fromisoformat(posture["next_due"]).timestamp() == at(11)
    assert scheduler.run_once(at(10, 30)).sent == 0

    clock.set(at(11, 5))
    body = client.post("/api/v1/push/device/pause", headers=bearer(token)).get_json()
    assert datetime.fromisoformat(body["paused_until"]).timestamp() == at(0, day=1)
    for hour in range(11, 18):
        assert scheduler.run_once(at(hour, 30)).sent == 0
    clock.set(at(17, 40))
    body = client.delete("/api/v1/push/device/pause", headers=bearer(token)).get_json()
    assert body["paused_until"] is None
    assert scheduler.run_once(at(9, 30, day=1)).sent == 1

    assert [d for _, d in delivered(push_service, sub)] == [at(9, 30), at(9, 42), at(10), at(9, 30, day=1)]
    bad = client.post("/api/v1/push/device/snooze", headers=bearer(token),
                      json={"type": "hydration", "minutes": 10})
    assert bad.status_code == 422 and bad.get_json()["errors"] == {"type": ["Not in this device's plan."]}
    assert client.post("/api/v1/push/device/snooze", headers=bearer(token),
                       json={"type": "posture-break", "minutes": 15}).status_code == 422


def test_actions_sent_late_count_from_the_tap_and_stale_ones_change_nothing(app, client, clock, push_service):
    """A snooze or done tapped offline arrives later with its age: it counts from the tap,
    a snooze that has run out is refused (409) and leaves the schedule alone, and a late
    done does not cancel a snooze set after it."""
    sub = push_service.subscribe()
    token = subscribe(client, sub, plan(item("posture-break", 30)))
    scheduler = scheduler_for(app, clock)
    scheduler.run_once(at(9, 30))

    def post(action: str, **body):
        return client.post(f"/api/v1/push/device/{action}", headers=bearer(token),
                           json={"type": "posture-break", **body})

    def posture() -> dict:
        return client.get("/api/v1/push/device", headers=bearer(token)).get_json()["reminders"]["posture-break"]

    # Tapped at 9:31, sent at 9:36: rings at 9:41, not 9:46.
    clock.set(at(9, 36))
    body = post("snooze", minutes=10, age_seconds=300).get_json()
    assert datetime.fromisoformat(body["reminders"]["posture-break"]["next_due"]).timestamp() == at(9, 41)
    assert datetime.fromisoformat(body["reminders"]["posture-break"]["snoozed_until"]).timestamp() == at(9, 41)

    # Tapped at 9:31, sent at 9:45: its time has passed; nothing changes.
    clock.set(at(9, 45))
    before = posture()
    stale = post("snooze", minutes=10, age_seconds=14 * 60)
    assert stale.status_code == 409 and "run out" in stale.get_json()["message"]
    assert posture() == before
    assert post("snooze", minutes=10, age_seconds=10 * 60).status_code == 409  # ends exactly now

    # A snooze made now (ends 10:15), then a "done" tapped before it (at 9:40) arrives:
    # the snooze stands, and the grid slot at 10:00 (more than half an interval after the
    # tap) still comes first.
    assert post("snooze", minutes=30).status_code == 200
    body = post("done", age_seconds=5 * 60).get_json()["reminders"]["posture-break"]
    assert datetime.fromisoformat(body["snoozed_until"]).timestamp() == at(10, 15)
    assert datetime.fromisoformat(body["next_due"]).timestamp() == at(10)

    # A done tapped at 9:50 and sent at 9:52 skips 10:00 (within half an interval of the
    # tap) and cancels a snooze that could have come before it.
    clock.set(at(9, 52))
    assert post("snooze", minutes=10).status_code == 200  # ends 10:02
    body = post("done", age_seconds=120).get_json()["reminders"]["posture-break"]
    assert body["snoozed_until"] is None
    assert datetime.fromisoformat(body["next_due"]).timestamp() == at(10, 30)

    # Older than the limit, in the future, or not a whole number: refused, nothing changes.
    before = posture()
    for age in (rules.MAX_ACTION_AGE_SECONDS + 1, -1, 1.5, "60", None, 10**400):
        for action, extra in (("snooze", {"minutes": 10}), ("done", {})):
            response = post(action, age_seconds=age, **extra)
            assert response.status_code in (400, 422), (action, age, response.status_code)
    assert posture() == before
    assert [d for _, d in delivered(push_service, sub)] == [at(9, 30)]


def test_plan_and_subscription_updates(app, client, clock, push_service):
    old, renewed = push_service.subscribe(), push_service.subscribe()
    token = subscribe(client, old, plan(item("posture-break", 30)))
    response = client.put("/api/v1/push/device", headers=bearer(token),
                          json={"subscription": renewed.json(), "plan": plan(item("movement-snack", 60))})
    assert response.status_code == 200
    assert list(response.get_json()["reminders"]) == ["movement-snack"]
    assert counts(app) == (1, 1)
    scheduler_for(app, clock).run_once(at(10))
    assert delivered(push_service, old) == []
    assert delivered(push_service, renewed) == [("movement-snack", at(10))]

    # Subscribing the same endpoint again replaces what was stored (and its token).
    new_token = subscribe(client, renewed, plan(item("hydration", 120)))
    assert counts(app) == (1, 1)
    assert client.get("/api/v1/push/device", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/push/device", headers=bearer(new_token)).status_code == 200


def test_unsubscribe_deletes_everything_for_that_device(app, client, push_service):
    keep = subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    token = subscribe(client, push_service.subscribe(), plan(item("posture-break", 30), item("hydration", 120)))
    assert counts(app) == (2, 3)
    response = client.delete("/api/v1/push/device", headers=bearer(token))
    assert response.status_code == 204 and response.data == b""
    assert counts(app) == (1, 1)
    assert client.delete("/api/v1/push/device", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/push/device", headers=bearer(keep)).status_code == 200


def test_an_endpoint_is_replaced_only_by_its_own_browser(app, client, clock, push_service):
    """Someone who knows a device's endpoint but not its token or keys cannot take it
    over: 409, and the stored device keeps its reminders."""
    victim = push_service.subscribe()
    token = subscribe(client, victim, plan(item("posture-break", 30)))
    attacker = push_service.subscribe()
    stolen = {**attacker.json(), "endpoint": victim.endpoint}
    for headers in ({}, bearer("y" * 43)):
        response = client.post("/api/v1/push/subscriptions", headers=headers,
                               json={"subscription": stolen, "plan": plan(item("hydration", 120))})
        assert response.status_code == 409, response.get_json()
        assert ErrorSchema().validate(response.get_json()) == {}
    assert client.get("/api/v1/push/device", headers=bearer(token)).status_code == 200
    assert scheduler_for(app, clock).run_once(at(9, 30)).sent == 1
    assert delivered(push_service, victim) == [("posture-break", at(9, 30))]

    # The device itself may re-subscribe with new keys when it presents its token ...
    renewed_keys = {**push_service.subscribe().json(), "endpoint": victim.endpoint}
    response = client.post("/api/v1/push/subscriptions", headers=bearer(token),
                           json={"subscription": renewed_keys, "plan": plan(item("hydration", 120))})
    assert response.status_code == 201
    # ... and the same browser with the same keys may, even without its token.
    again = client.post("/api/v1/push/subscriptions",
                        json={"subscription": renewed_keys, "plan": plan(item("breathing", 180))})
    assert again.status_code == 201 and list(again.get_json()["reminders"]) == ["breathing"]
    assert counts(app) == (1, 1)


def test_device_endpoints_need_the_device_token(sqlite_app):
    client = sqlite_app.test_client()
    for method, path in [("get", "/api/v1/push/device"), ("delete", "/api/v1/push/device"),
                         ("post", "/api/v1/push/device/pause")]:
        for headers in ({}, {"Authorization": "Basic abc"}, bearer("x" * 43)):
            response = getattr(client, method)(path, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert ErrorSchema().validate(response.get_json()) == {}


# --- Bad input ------------------------------------------------------------------------


def _good(push_service) -> dict:
    return {"subscription": push_service.subscribe().json(), "plan": plan(item("posture-break", 30))}


def _set(doc: dict, path: str, value) -> dict:
    keys = path.split(".")
    target = doc
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is KeyError:
        del target[keys[-1]]
    elif isinstance(target, list):
        target[int(keys[-1])] = value
    else:
        target[keys[-1]] = value
    return doc


P = "plan.reminders.posture-break"
BAD_INPUT = [
    ("subscription.endpoint", "https://evil.example/push/1", "subscription"),
    ("subscription.endpoint", "http://10.0.0.1/push", "subscription"),
    ("subscription.endpoint", "https://fcm.googleapis.com.evil.example/fcm/send/x", "subscription"),
    ("subscription.endpoint", "http://fcm.googleapis.com/fcm/send/x", "subscription"),
    ("subscription.endpoint", "https://user:pw@fcm.googleapis.com/fcm/send/x", "subscription"),
    ("subscription.endpoint", "https://fcm.googleapis.com:8443/fcm/send/x", "subscription"),
    ("subscription.endpoint", "https://fcm.googleapis.com/" + "x" * 3000, "subscription"),
    ("subscription.endpoint", "https://fcm.googleapis.com/fcm/send/x\n", "subscription"),
    ("subscription.endpoint", 42, "subscription"),
    ("subscription.keys.p256dh", "not base64!", "subscription"),
    ("subscription.keys.p256dh", b64url(b"\x04" + b"\x01" * 64), "subscription"),  # not on the curve
    ("subscription.keys.p256dh", b64url(os.urandom(33)), "subscription"),
    ("subscription.keys.auth", b64url(os.urandom(8)), "subscription"),
    ("subscription.keys.auth", b64url(os.urandom(16)) + "\n", "subscription"),
    ("subscription.keys", KeyError, "subscription"),
    ("subscription.expirationTime", 10**400, "subscription"),
    (f"{P}.interval", 14, "plan"),
    (f"{P}.interval", 241, "plan"),
    (f"{P}.interval", "30", "plan"),
    (f"{P}.interval", 30.5, "plan"),
    (f"{P}.interval", 10**30, "plan"),
    ("plan.reminders.crack-your-back", item("posture-break", 30)[1], "plan"),  # unknown type
    (f"{P}.days", ["monday"], "plan"),
    (f"{P}.days", [], "plan"),
    (f"{P}.windows", [], "plan"),
    (f"{P}.windows", [{"start": "9:00", "end": "17:00"}], "plan"),
    (f"{P}.windows", [{"start": "09:00\n", "end": "17:00"}], "plan"),
    (f"{P}.windows", [{"start": "09:00", "end": "17:00\n"}], "plan"),
    (f"{P}.windows", [{"start": "0\u0669:00", "end": "17:00"}], "plan"),
    (f"{P}.windows", [{"start": "09:00", "end": "24:30"}], "plan"),
    (f"{P}.windows", [{"start": "09:00", "end": "10:00"}] * 7, "plan"),
    (f"{P}.symptoms", ["spasm"], "plan"),  # no health data: unknown fields are refused
    ("plan.pain_level", 7, "plan"),
    ("plan.timezone", "Mars/Olympus", "plan"),
    ("plan.timezone", "localtime", "plan"),
    ("plan.timezone", "Europe/London\n", "plan"),
    ("plan.reminders", [item("posture-break", 30)[1]], "plan"),
    ("plan", KeyError, "plan"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD_INPUT,
                         ids=[f"{p}={str(v)[:30]}" for p, v, _ in BAD_INPUT])
def test_bad_subscriptions_get_4xx_json_and_nothing_is_stored(sqlite_app, push_service, path, value, field):
    client = sqlite_app.test_client()
    response = client.post("/api/v1/push/subscriptions", json=_set(_good(push_service), path, value))
    body = response.get_json()
    assert ErrorSchema().validate(body) == {}
    if isinstance(value, int) and len(str(value)) > 40:
        # Numbers longer than any real value are refused before parsing (see jsonlimits).
        assert response.status_code == 400 and "too long" in body["message"], body
    else:
        assert response.status_code == 422, body
        assert body["status"] == 422 and field in body["errors"]
    assert counts(sqlite_app) == (0, 0)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


HOSTILE_BODIES = [
    ("deep array", '{"subscription": ' + nested(5000) + "}"),
    ("deep object", '{"a":' * 5000 + "1" + "}" * 5000),
    ("33 levels", '{"subscription": ' + nested(32) + "}"),
    ("huge integer", '{"plan": ' + "9" * 5000 + "}"),
    ("long float", '{"plan": 0.' + "1" * 100 + "}"),
    ("NaN", '{"plan": NaN}'),
    ("Infinity", '{"plan": -Infinity}'),
]
ENDPOINTS = [("post", "/api/v1/push/subscriptions"), ("put", "/api/v1/push/device"),
             ("post", "/api/v1/push/device/snooze"), ("post", "/api/v1/calendar/reminders.ics"),
             ("post", "/api/v1/screening")]


@pytest.mark.parametrize(("name", "body"), HOSTILE_BODIES, ids=[n for n, _ in HOSTILE_BODIES])
def test_hostile_json_gets_400_never_500(sqlite_app, push_service, name, body):
    client = sqlite_app.test_client()
    token = subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    for method, path in ENDPOINTS:
        response = getattr(client, method)(path, data=body, content_type="application/json", headers=bearer(token))
        assert response.status_code == 400, (path, response.status_code, response.get_data()[:200])
        assert ErrorSchema().validate(response.get_json()) == {}
    # Just inside the limits, the body reaches validation as usual (422, not 400).
    response = client.post("/api/v1/push/subscriptions", data='{"subscription": ' + nested(31) + "}",
                           content_type="application/json")
    assert response.status_code == 422


@pytest.mark.parametrize("window", ["09:00\n", "09:00\r", " 09:00", "0\u0669:00"])
def test_time_patterns_match_the_whole_value_everywhere(sqlite_app, push_service, window):
    client = sqlite_app.test_client()
    token = subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    bad_plan = plan(item("posture-break", 30, windows=[(window, "17:00")]))
    for method, path, body in [("post", "/api/v1/push/subscriptions", {"subscription": push_service.subscribe()
                                                                        .json(), "plan": bad_plan}),
                               ("put", "/api/v1/push/device", {"plan": bad_plan}),
                               ("post", "/api/v1/calendar/reminders.ics", bad_plan)]:
        response = getattr(client, method)(path, json=body, headers=bearer(token))
        assert response.status_code == 422, (path, response.get_json())
    assert counts(sqlite_app) == (1, 1)


def test_malformed_and_huge_bodies_are_refused_as_json(sqlite_app, push_service):
    client = sqlite_app.test_client()
    cases = [
        (dict(data="{not json", content_type="application/json"), 400, {"_json": ["Invalid JSON body."]}),
        (dict(data="[]", content_type="application/json"), 422, {"_schema": ["Invalid input type."]}),
        # A form carries no JSON body: both required fields are missing.
        (dict(data="subscription=1", content_type="application/x-www-form-urlencoded"), 422,
         {"plan": ["Missing data for required field."], "subscription": ["Missing data for required field."]}),
        (dict(json={**_good(push_service), "padding": "x" * 100_000}), 413, None),
    ]
    for kwargs, status, errors in cases:
        response = client.post("/api/v1/push/subscriptions", **kwargs)
        assert response.status_code == status, (kwargs.get("content_type"), response.get_json())
        body = response.get_json()
        assert ErrorSchema().validate(body) == {} and body["status"] == status
        assert body.get("errors") == errors
    assert counts(sqlite_app) == (0, 0)


def test_updates_are_validated_before_anything_changes(app, client, push_service):
    token = subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    before = client.get("/api/v1/push/device", headers=bearer(token)).get_json()
    bad = {"subscription": {**push_service.subscribe().json(), "endpoint": "https://evil.example/x"},
           "plan": plan(item("hydration", 120))}
    assert client.put("/api/v1/push/device", headers=bearer(token), json=bad).status_code == 422
    assert client.get("/api/v1/push/device", headers=bearer(token)).get_json() == before


# --- Rate limits and caps ---------------------------------------------------------------


def test_subscription_endpoints_are_rate_limited(instance, clock, push_service, database_url):
    app = make_app(instance, clock, push_service, database_url, PUSH_RATE_LIMIT=3)
    client = app.test_client()
    first = subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    second = subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    assert client.post("/api/v1/push/subscriptions", json={}).status_code == 422
    limited = client.post("/api/v1/push/subscriptions", json=_good(push_service))
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert ErrorSchema().validate(limited.get_json()) == {}
    assert client.get("/api/v1/push/key").status_code == 200  # reading is not limited
    assert counts(app) == (2, 2)
    # Another client address has its own budget.
    other = {"REMOTE_ADDR": "127.0.0.9"}
    assert client.post("/api/v1/push/subscriptions", json=_good(push_service), environ_base=other).status_code == 201

    # A device's own requests count per device, not per address.
    clock.set(at(10))
    snooze = {"type": "posture-break", "minutes": 10}
    for _ in range(3):
        assert client.post("/api/v1/push/device/snooze", headers=bearer(first), json=snooze).status_code == 200
    assert client.post("/api/v1/push/device/snooze", headers=bearer(first), json=snooze).status_code == 429
    assert client.post("/api/v1/push/device/snooze", headers=bearer(second), json=snooze).status_code == 200
    app.reminders.close()


def test_failed_authentication_is_rate_limited_before_the_lookup(instance, clock, push_service, database_url):
    app = make_app(instance, clock, push_service, database_url, AUTH_FAILURE_RATE_LIMIT=5)
    client = app.test_client()
    token = subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    lookups = []
    from sqlalchemy import event

    event.listen(app.reminders.store.engine, "before_cursor_execute",
                 lambda *args: lookups.append(args[2]) if "token_hash" in args[2] else None)
    for _ in range(5):
        assert client.get("/api/v1/push/device", headers=bearer("z" * 43)).status_code == 401
    assert len(lookups) == 5
    refused = client.get("/api/v1/push/device", headers=bearer("z" * 43))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/push/device", headers={}).status_code == 429
    assert len(lookups) == 5  # refused without touching the database
    # The guessing address is refused even with a valid token; another address is not.
    assert client.get("/api/v1/push/device", headers=bearer(token)).status_code == 429
    other = {"REMOTE_ADDR": "127.0.0.7"}
    assert client.get("/api/v1/push/device", headers=bearer(token), environ_base=other).status_code == 200
    app.reminders.close()


def test_rate_limits_key_on_the_real_client_behind_trusted_proxies(instance, clock, push_service):
    direct = make_app(instance, clock, push_service, PUSH_RATE_LIMIT=2)
    proxied = make_app(instance + "-proxied", clock, push_service, PUSH_RATE_LIMIT=2, TRUSTED_PROXIES=1)
    for app, separate in ((direct, False), (proxied, True)):
        client = app.test_client()
        statuses = []
        for phone in range(4):
            response = client.post("/api/v1/calendar/reminders.ics", json=plan(item("posture-break", 30)),
                                   headers={"X-Forwarded-For": f"203.0.113.{phone}"})
            statuses.append(response.status_code)
        # Behind the proxy every phone has its own budget; without a trusted proxy the
        # header is anyone's to write and is ignored.
        assert statuses == ([200] * 4 if separate else [200, 200, 429, 429])
        app.reminders.close()


def test_hsts_follows_the_forwarded_scheme_only_behind_trusted_proxies(instance, clock, push_service):
    direct = make_app(instance, clock, push_service)
    proxied = make_app(instance + "-proxied", clock, push_service, TRUSTED_PROXIES=1)
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    assert "Strict-Transport-Security" not in direct.test_client().get("/", headers=https).headers
    assert proxied.test_client().get("/", headers=https).headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in proxied.test_client().get("/").headers
    for app in (direct, proxied):
        app.reminders.close()


def test_stored_devices_are_capped(instance, clock, push_service, database_url):
    app = make_app(instance, clock, push_service, database_url, MAX_DEVICES=2)
    client = app.test_client()
    first = push_service.subscribe()
    token = subscribe(client, first, plan(item("posture-break", 30)))
    subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    full = client.post("/api/v1/push/subscriptions", json=_good(push_service))
    assert full.status_code == 503 and int(full.headers["Retry-After"]) > 0
    assert "full" in full.get_json()["message"]
    assert counts(app) == (2, 2)
    # A device already stored may still renew itself, and one that leaves makes room.
    assert client.post("/api/v1/push/subscriptions", headers=bearer(token),
                       json={"subscription": first.json(), "plan": plan(item("hydration", 120))}).status_code == 201
    assert client.delete("/api/v1/push/device", headers=bearer(subscribe(
        client, first, plan(item("hydration", 120))))).status_code == 204
    subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    app.reminders.close()


def test_endpoint_allowlist():
    hosts = ("fcm.googleapis.com", "*.notify.windows.com", "127.0.0.1")
    assert host_allowed("wns2-par02p.notify.windows.com", hosts)
    assert host_allowed("FCM.googleapis.com.", hosts)
    assert not host_allowed("notify.windows.com", hosts)
    assert not host_allowed("evilnotify.windows.com", hosts)
    assert not host_allowed("fcm.googleapis.com.evil.example", hosts)
    assert endpoint_problem("https://fcm.googleapis.com/fcm/send/abc", hosts) is None
    assert endpoint_problem("http://127.0.0.1:8123/push/abc", hosts) is None
    assert endpoint_problem("http://127.0.0.2:8123/push/abc", hosts)  # not listed
    assert endpoint_problem("https://fcm.googleapis.com/fcm/send/abc#x", hosts)
    assert endpoint_problem("https://fcm.googleapis.com/a b", hosts)


# --- Keys ---------------------------------------------------------------------------------


def test_vapid_key_is_created_once_and_kept_private(tmp_path, clock, push_service):
    instance = str(tmp_path / "keys")
    first = make_app(instance, clock, push_service)
    key_file = tmp_path / "keys" / "vapid_private.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = make_app(instance, clock, push_service)
    assert first.reminders.vapid_public_key == second.reminders.vapid_public_key
    assert second.test_client().get("/api/v1/push/key").get_json() == {
        "public_key": first.reminders.vapid_public_key}

    # A key from the environment (raw base64url, as `web-push generate-vapid-keys` prints, or PEM).
    key = ec.generate_private_key(ec.SECP256R1())
    raw = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    expected = b64url(key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint))
    assert public_key_b64(vapid_from_text(raw)) == expected
    assert public_key_b64(vapid_from_text(pem.replace("\n", "\\n"))) == expected
    configured = make_app(str(tmp_path / "env"), clock, push_service, VAPID_PRIVATE_KEY=raw)
    assert configured.reminders.vapid_public_key == expected
    assert not (tmp_path / "env" / "vapid_private.pem").exists()
    for app in (first, second, configured):
        app.reminders.close()


def test_openapi_describes_the_reminder_endpoints(sqlite_app):
    spec = sqlite_app.test_client().get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/push/key", "/api/v1/push/subscriptions", "/api/v1/push/device",
                 "/api/v1/push/device/snooze", "/api/v1/push/device/done", "/api/v1/push/device/pause",
                 "/api/v1/calendar/reminders.ics"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["deviceToken"]["scheme"] == "bearer"
    assert set(spec["paths"]["/api/v1/push/device"]) >= {"get", "put", "delete"}
    assert "503" in spec["paths"]["/api/v1/push/subscriptions"]["post"]["responses"]


@pytest.mark.postgres
def test_postgres_claims_skip_rows_another_scheduler_has_locked(tmp_path, clock, push_service, postgres_cluster):
    """On PostgreSQL a claim takes `FOR UPDATE SKIP LOCKED`: rows another transaction is
    claiming at that moment are passed over, not waited for. Here a transaction holds
    five rows; the claim (with a lock timeout, so waiting would be an error) must return
    the other rows at once."""
    url = postgres_cluster.fresh_url()
    app = make_app(str(tmp_path / "instance"), clock, push_service, url)
    client = app.test_client()
    for _ in range(12):
        subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    impatient = Store(url, connect_args={"options": "-c lock_timeout=3000"})
    scheduler = app.reminders.scheduler(clock=clock)
    scheduler.store = impatient
    with app.reminders.store.session() as holder:
        locked = holder.scalars(select(Schedule.id).order_by(Schedule.send_at, Schedule.id).limit(5)
                                .with_for_update()).all()
        _token, claimed = scheduler.claim(at(9, 30))
        assert len(claimed) == 7
        assert not {c.schedule_id for c in claimed} & set(locked)
        holder.rollback()
    _token, rest = scheduler.claim(at(9, 30))
    assert sorted(c.schedule_id for c in rest) == sorted(locked)
    impatient.dispose()
    app.reminders.close()
