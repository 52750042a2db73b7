"""Reminder delivery end to end, without any outside service: the API stores a
subscription, the scheduler (on a clock the test sets) sends through a real Web Push
service on 127.0.0.1 that verifies VAPID and decrypts every message with keys only the
test holds."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from dateutil.rrule import rrulestr
from icalendar import Calendar
from sqlalchemy import func, select, update

from server import create_app
from server import reminders as rem
from server.api import ErrorSchema
from server.db import Device, Schedule
from server.push import endpoint_problem, host_allowed, public_key_b64, vapid_from_text
from server.scheduler import Scheduler
from tests.conftest_push import LocalPushService, ManualClock, b64url, push_config, push_service_fixture  # noqa: F401

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


def make_app(instance: str, clock: ManualClock, service: LocalPushService, **config):
    app = create_app(push_config(instance, **config))
    app.extensions["mbr_clock"] = clock
    service.vapid_public_key = app.extensions["mbr_vapid_public"]
    return app


@pytest.fixture
def app(instance, clock, push_service):
    app = make_app(instance, clock, push_service)
    yield app
    app.extensions["mbr_db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def scheduler_for(app, clock, **settings) -> Scheduler:
    settings.setdefault("threads", 2)
    return Scheduler.from_app(app, clock=clock, **settings)


def subscribe(client, subscriber, the_plan) -> str:
    response = client.post("/api/v1/push/subscriptions",
                           json={"subscription": subscriber.json(), "plan": the_plan})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["device"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def counts(app) -> tuple[int, int]:
    with app.extensions["mbr_db"].session() as session:
        return (session.scalar(select(func.count()).select_from(Device)),
                session.scalar(select(func.count()).select_from(Schedule)))


def delivered(service, subscriber) -> list[tuple[str, int]]:
    return [(m["type"], m["due"]) for m in service.messages_for(subscriber)]


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
    assert message["title"] == texts["posture-break"]["title"]
    assert message["body"] == texts["posture-break"]["message"]
    assert message["url"] == f"/routines/{texts['posture-break']['routine']}"
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


def test_next_due_times_are_reported_and_persisted(app, client, clock, push_service):
    sub = push_service.subscribe()
    token = subscribe(client, sub, plan(item("posture-break", 30)))
    scheduler_for(app, clock).run_once(at(17, 30))
    body = client.get("/api/v1/push/device", headers=bearer(token)).get_json()
    due = datetime.fromisoformat(body["reminders"]["posture-break"]["next_due"])
    assert due == datetime.fromtimestamp(at(9, 30, day=1)).astimezone(LONDON)


def test_restart_sends_nothing_twice_and_loses_nothing(app, instance, clock, push_service):
    sub = push_service.subscribe()
    subscribe(app.test_client(), sub, plan(item("posture-break", 30)))
    first = scheduler_for(app, clock)
    assert first.run_once(at(9, 30)).sent == 1

    # Restart: a new app on the same instance folder (same database, same VAPID key).
    restarted = make_app(instance, clock, push_service)
    second = scheduler_for(restarted, clock)
    assert second.run_once(at(9, 30)).sent == 0
    # Down over the 10:00 reminder, back at 10:05: it still goes out, once.
    assert second.run_once(at(10, 5)).sent == 1
    assert second.run_once(at(10, 6)).sent == 0

    # A scheduler dies after claiming the 10:30 reminder but before sending it: the
    # claim blocks others only until its lease ends, then the reminder is sent once.
    assert len(first.claim(at(10, 30))) == 1
    assert second.run_once(at(10, 31)).sent == 0
    assert second.run_once(at(10, 30) + first.lease_seconds + 1).sent == 1
    assert delivered(push_service, sub) == [("posture-break", at(h, m)) for h, m in
                                            ((9, 30), (10, 0), (10, 30))]
    assert push_service.problems == []
    restarted.extensions["mbr_db"].dispose()


def test_two_schedulers_at_once_send_each_reminder_once(app, instance, clock, push_service):
    client = app.test_client()
    subscribers = [push_service.subscribe() for _ in range(30)]
    for sub in subscribers:
        subscribe(client, sub, plan(item("posture-break", 30)))
    other = make_app(instance, clock, push_service)  # another process's view of the database
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
    other.extensions["mbr_db"].dispose()


def test_worker_command_sends_due_reminders_once_and_stops_cleanly(app, instance, push_service):
    """`python -m server worker`, twice at once, as separate processes on one database."""
    client = app.test_client()
    subscribers = [push_service.subscribe() for _ in range(20)]
    for sub in subscribers:
        subscribe(client, sub, plan(item("posture-break", 15, [("00:00", "24:00")], days=rem.DAY_NAMES)))
    now = int(time.time())
    with app.extensions["mbr_db"].session.begin() as session:
        session.execute(update(Schedule).values(due_at=now - 5, send_at=now - 5))
    push_service.delay = 0.02
    env = {**os.environ, "MBR_INSTANCE_DIR": instance, "MBR_PUSH_ALLOWED_HOSTS": "127.0.0.1"}
    root = Path(__file__).resolve().parent.parent
    workers = [subprocess.Popen([sys.executable, "-m", "server", "worker", "--poll", "0.2"], cwd=root, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while len(push_service.received) < len(subscribers) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # long enough for a duplicate to show up
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        logs = [worker.communicate(timeout=30)[0] for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], logs
    assert all(len(push_service.messages_for(s)) == 1 for s in subscribers), logs
    assert push_service.problems == []


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


def test_busy_push_service_is_retried_with_backoff(app, client, clock, push_service):
    sub = push_service.subscribe()
    subscribe(client, sub, plan(item("posture-break", 30)))
    scheduler = scheduler_for(app, clock)

    push_service.script(sub, 503)
    stats = scheduler.run_once(at(9, 30))
    assert (stats.sent, stats.retried) == (0, 1)
    assert scheduler.run_once(at(9, 30) + 10).sent == 0  # backing off
    assert scheduler.run_once(at(9, 30) + 30).sent == 1
    assert delivered(push_service, sub) == [("posture-break", at(9, 30))]

    # 429 with Retry-After is honoured.
    push_service.script(sub, (429, {"Retry-After": "90"}))
    assert scheduler.run_once(at(10)).retried == 1
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
        with app.extensions["mbr_db"].session() as session:
            now = session.scalar(select(Schedule.send_at))
    assert 2 <= tries <= 5 and now - at(10, 30) <= 900
    push_service.scripts[sub.id].clear()
    assert scheduler.run_once(at(11)).sent == 1
    assert [due for _, due in delivered(push_service, sub)] == [at(9, 30), at(10), at(11)]


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


def test_device_endpoints_need_the_device_token(client):
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
    ("subscription.endpoint", 42, "subscription"),
    ("subscription.keys.p256dh", "not base64!", "subscription"),
    ("subscription.keys.p256dh", b64url(b"\x04" + b"\x01" * 64), "subscription"),  # not on the curve
    ("subscription.keys.p256dh", b64url(os.urandom(33)), "subscription"),
    ("subscription.keys.auth", b64url(os.urandom(8)), "subscription"),
    ("subscription.keys", KeyError, "subscription"),
    (f"{P}.interval", 14, "plan"),
    (f"{P}.interval", 241, "plan"),
    (f"{P}.interval", "30", "plan"),
    (f"{P}.interval", 30.5, "plan"),
    ("plan.reminders.crack-your-back", item("posture-break", 30)[1], "plan"),  # unknown type
    (f"{P}.days", ["monday"], "plan"),
    (f"{P}.days", [], "plan"),
    (f"{P}.windows", [], "plan"),
    (f"{P}.windows", [{"start": "9:00", "end": "17:00"}], "plan"),
    (f"{P}.windows", [{"start": "09:00", "end": "24:30"}], "plan"),
    (f"{P}.windows", [{"start": "09:00", "end": "10:00"}] * 7, "plan"),
    (f"{P}.symptoms", ["spasm"], "plan"),  # no health data: unknown fields are refused
    ("plan.pain_level", 7, "plan"),
    ("plan.timezone", "Mars/Olympus", "plan"),
    ("plan.timezone", "localtime", "plan"),
    ("plan.reminders", [item("posture-break", 30)[1]], "plan"),
    ("plan", KeyError, "plan"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD_INPUT,
                         ids=[f"{p}={str(v)[:30]}" for p, v, _ in BAD_INPUT])
def test_bad_subscriptions_get_422_json_and_nothing_is_stored(app, client, push_service, path, value, field):
    response = client.post("/api/v1/push/subscriptions", json=_set(_good(push_service), path, value))
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert ErrorSchema().validate(body) == {}
    assert body["status"] == 422 and field in body["errors"]
    assert counts(app) == (0, 0)


def test_malformed_and_huge_bodies_are_refused_as_json(app, client, push_service):
    cases = [
        dict(data="{not json", content_type="application/json"),
        dict(data="[]", content_type="application/json"),
        dict(data="subscription=1", content_type="application/x-www-form-urlencoded"),
        dict(json={**_good(push_service), "padding": "x" * 100_000}),
    ]
    for kwargs in cases:
        response = client.post("/api/v1/push/subscriptions", **kwargs)
        assert 400 <= response.status_code < 500, kwargs.get("content_type")
        assert response.is_json and ErrorSchema().validate(response.get_json()) == {}
    assert response.status_code == 413
    assert counts(app) == (0, 0)


def test_updates_are_validated_before_anything_changes(app, client, push_service):
    token = subscribe(client, push_service.subscribe(), plan(item("posture-break", 30)))
    before = client.get("/api/v1/push/device", headers=bearer(token)).get_json()
    bad = {"subscription": {**push_service.subscribe().json(), "endpoint": "https://evil.example/x"},
           "plan": plan(item("hydration", 120))}
    assert client.put("/api/v1/push/device", headers=bearer(token), json=bad).status_code == 422
    assert client.get("/api/v1/push/device", headers=bearer(token)).get_json() == before


def test_subscription_endpoints_are_rate_limited(instance, clock, push_service):
    app = make_app(instance, clock, push_service, PUSH_RATE_LIMIT=3)
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

    # A device's own requests count per device, not per address.
    clock.set(at(10))
    snooze = {"type": "posture-break", "minutes": 10}
    for _ in range(3):
        assert client.post("/api/v1/push/device/snooze", headers=bearer(first), json=snooze).status_code == 200
    assert client.post("/api/v1/push/device/snooze", headers=bearer(first), json=snooze).status_code == 429
    assert client.post("/api/v1/push/device/snooze", headers=bearer(second), json=snooze).status_code == 200
    app.extensions["mbr_db"].dispose()


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


# --- Keys and calendar ------------------------------------------------------------------


def test_vapid_key_is_created_once_and_kept_private(tmp_path, clock, push_service):
    instance = str(tmp_path / "keys")
    first = make_app(instance, clock, push_service)
    key_file = tmp_path / "keys" / "vapid_private.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = make_app(instance, clock, push_service)
    assert first.extensions["mbr_vapid_public"] == second.extensions["mbr_vapid_public"]
    assert second.test_client().get("/api/v1/push/key").get_json() == {
        "public_key": first.extensions["mbr_vapid_public"]}

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
    assert configured.extensions["mbr_vapid_public"] == expected
    assert not (tmp_path / "env" / "vapid_private.pem").exists()
    for app in (first, second, configured):
        app.extensions["mbr_db"].dispose()


def test_calendar_export_parses_back_and_matches_the_plan(app, client, clock):
    # Two weeks from Monday 25 March 2024: London's clocks go forward on the 31st.
    start = datetime(2024, 3, 25, tzinfo=LONDON)
    clock.set(start.replace(hour=7).timestamp())
    the_plan = plan(item("posture-break", 45, [("08:30", "12:00"), ("13:00", "17:15")]),
                    item("hydration", 120, [("09:00", "18:00")], days=["mon", "wed", "sat"]),
                    item("breathing", 60, [("21:30", "01:00")], days=["fri", "sat"]))  # past midnight
    response = client.post("/api/v1/calendar/reminders.ics", json=the_plan)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    assert counts(app) == (0, 0)  # nothing stored

    calendar = Calendar.from_ical(response.data)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    end = start + timedelta(days=14)
    found: dict[str, set[datetime]] = {"posture-break": set(), "hydration": set(), "breathing": set()}
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
            found[kind].add(wall.replace(tzinfo=LONDON).astimezone(ZoneInfo("UTC")))
    for kind, entry_plan in the_plan["reminders"].items():
        entry = rem.entry_from_plan(kind, entry_plan)
        expected = set(rem.occurrences(entry, LONDON, start, end))
        assert found[entry.type] == expected
        assert len(expected) >= 8
    # Wall-clock times hold across the change: 08:30 GMT becomes 08:30 BST.
    posture_starts = sorted(x.astimezone(LONDON).strftime("%H:%M") for x in found["posture-break"])
    assert posture_starts.count("09:15") == 10  # two weeks of weekdays


def test_calendar_export_validates_like_the_plan(app, client):
    response = client.post("/api/v1/calendar/reminders.ics", json=plan(item("posture-break", 5)))
    assert response.status_code == 422
    assert "plan" not in response.get_json()["errors"]  # the body is the plan itself
    assert "reminders" in response.get_json()["errors"]


def test_openapi_describes_the_reminder_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/push/key", "/api/v1/push/subscriptions", "/api/v1/push/device",
                 "/api/v1/push/device/snooze", "/api/v1/push/device/done", "/api/v1/push/device/pause",
                 "/api/v1/calendar/reminders.ics"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["deviceToken"]["scheme"] == "bearer"
