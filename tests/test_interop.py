"""Delivery through an independent push service: the npm package web-push-testing,
which checks our VAPID JWT against the subscription's applicationServerKey and decrypts
our aes128gcm messages with its own code (not ours, not the suite's local service)."""

from __future__ import annotations

import pytest

from server.reminders.schemas import ReminderPayloadSchema
from tests.conftest_push import (  # noqa: F401
    ManualClock,
    database_url_fixture,
    postgres_cluster_fixture,
    push_service_fixture,
    web_push_testing_fixture,
)
from tests.test_push import at, bearer, counts, item, make_app, plan

pytestmark = pytest.mark.interop


def test_web_push_testing_accepts_and_decrypts_our_reminders(tmp_path, push_service, web_push_testing,
                                                             database_url):
    clock = ManualClock(at(8))
    app = make_app(str(tmp_path / "instance"), clock, push_service, database_url)
    client = app.test_client()
    texts = app.reminders.texts
    subscriptions = [web_push_testing.subscribe(app.reminders.vapid_public_key) for _ in range(3)]
    tokens = []
    for sub in subscriptions:
        body = {"subscription": {"endpoint": sub["endpoint"], "expirationTime": None, "keys": sub["keys"]},
                "plan": plan(item("posture-break", 30), item("hydration", 120),
                             ("daily-checkin", {"time": "11:00", "days": ["mon", "tue", "wed", "thu", "fri"]}))}
        response = client.post("/api/v1/push/subscriptions", json=body)
        assert response.status_code == 201, response.get_json()
        tokens.append(response.get_json()["device"])

    scheduler = app.reminders.scheduler(clock=clock)
    assert scheduler.run_once(at(9, 30)).sent == 3  # each accepted with 201
    assert scheduler.run_once(at(11)).sent == 9

    # Each type's own actions, as content/reminders.yaml gives them (posture break: start,
    # snooze, done; drink water: "I drank a glass", snooze - it opens the reminders page;
    # the daily check-in: "Check in", snooze, "Not today" - it opens the check-in).
    action_titles = {"start": "Start", "snooze": "Snooze 10 min", "done": "Done", "drank": "I drank a glass",
                     "checkin": "Check in", "skip": "Not today"}
    type_actions = {"posture-break": ["start", "snooze", "done"], "hydration": ["drank", "snooze"],
                    "daily-checkin": ["checkin", "snooze", "skip"]}
    type_opens = {"posture-break": texts["posture-break"].path + "?start=1", "hydration": "/reminders",
                  "daily-checkin": "/progress#checkin"}

    def expected(type_: str, due: int) -> dict:
        text = texts[type_]
        rid = f"{type_}:{due * 1000}"
        quoted = rid.replace(":", "%3A")
        actions = [{"action": a, "title": action_titles[a],
                    "navigate": type_opens[type_] if a in ("start", "checkin")
                    else f"/reminders?action={a}&reminder={quoted}"}
                   for a in type_actions[type_]]
        return {"web_push": 8030, "notification": {
            "title": text.title, "body": text.body, "navigate": type_opens[type_], "lang": "en", "dir": "ltr",
            "tag": f"reminder-{type_}", "timestamp": due * 1000, "actions": actions,
            "data": {"id": rid, "type": type_, "due": due * 1000}}}

    for sub in subscriptions:
        messages = web_push_testing.messages(sub["clientHash"])
        assert messages[0] == expected("posture-break", at(9, 30))
        assert sorted(messages[1:], key=lambda m: m["notification"]["tag"]) == [
            expected("daily-checkin", at(11)), expected("hydration", at(11)), expected("posture-break", at(11))]
        assert all(ReminderPayloadSchema().validate(m) == {} for m in messages)

    # The person unsubscribed in the browser: the service answers 410 and we forget them.
    web_push_testing.expire(subscriptions[0]["clientHash"])
    stats = scheduler.run_once(at(11, 30))
    assert (stats.sent, stats.gone) == (2, 1)
    assert counts(app) == (2, 6)
    assert client.get("/api/v1/push/device", headers=bearer(tokens[0])).status_code == 401
    assert len(web_push_testing.messages(subscriptions[0]["clientHash"])) == 4
    app.reminders.close()
