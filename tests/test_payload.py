"""The one reminder payload, checked against WebKit's published Declarative Web Push
format (Safari 18.4+; WebKit's blog "Meet Declarative Web Push" and its parser,
NotificationJSONParser): what an iPhone accepts and shows without our service worker.
Chromium's handling of the same JSON by our service worker is in the browser tests."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from server.reminders.schemas import ReminderPayloadSchema, reminder_payload, reminder_texts
from tests.conftest_push import ManualClock, push_service_fixture  # noqa: F401
from tests.test_push import at, item, make_app, plan, scheduler_for, subscribe


def webkit_problems(message: dict, declarative_navigation: bool = True) -> list[str]:
    """WebKit's checks, in its order: a JSON object with "web_push": 8030; a
    "notification" object; "navigate" a string that parses as a URL on its own (WebKit
    does not resolve it against the site: it must be absolute); "title" a non-empty
    string; optional "dir" (auto/ltr/rtl), "lang", "body", "tag" strings, "icon" a URL,
    "silent" and "mutable" booleans, "app_badge" an unsigned integer. Actions, which
    Safari shows as buttons, each need "action", "title" and their own "navigate"."""
    problems = []

    def absolute(url) -> bool:
        parts = urlsplit(url) if isinstance(url, str) else None
        return bool(parts and parts.scheme in ("https", "http") and parts.netloc)

    if not isinstance(message, dict) or message.get("web_push") != 8030 or isinstance(message.get("web_push"), bool):
        return ["web_push is not 8030"]
    note = message.get("notification")
    if not isinstance(note, dict):
        return ["notification is not an object"]
    if not isinstance(note.get("navigate"), str) or (declarative_navigation and not absolute(note["navigate"])):
        problems.append(f"navigate {note.get('navigate')!r} is not an absolute URL")
    if not isinstance(note.get("title"), str) or not note["title"]:
        problems.append("title missing or empty")
    if "dir" in note and note["dir"] not in ("auto", "ltr", "rtl"):
        problems.append("dir")
    for key in ("lang", "body", "tag"):
        if key in note and not isinstance(note[key], str):
            problems.append(key)
    for key in ("silent", "mutable"):
        if key in note and not isinstance(note[key], bool):
            problems.append(key)
    if "app_badge" in note and not (isinstance(note["app_badge"], int) and note["app_badge"] >= 0):
        problems.append("app_badge")
    for action in note.get("actions", []):
        if not (isinstance(action.get("action"), str) and isinstance(action.get("title"), str) and action["title"]):
            problems.append(f"action {action}")
        if not isinstance(action.get("navigate"), str) or (declarative_navigation and not absolute(action["navigate"])):
            problems.append(f"action navigate {action.get('navigate')!r}")
    return problems


def test_scheduled_messages_are_declarative_web_push(tmp_path, push_service):
    clock = ManualClock(at(8))
    app = make_app(str(tmp_path / "i"), clock, push_service, PUBLIC_URL="https://relief.example")
    sub = push_service.subscribe()
    subscribe(app.test_client(), sub, plan(item("posture-break", 30), item("hydration", 120)))
    scheduler_for(app, clock).run_once(at(11))
    messages = push_service.messages_for(sub)
    assert len(messages) == 2
    for message in messages:
        assert webkit_problems(message) == []
        assert ReminderPayloadSchema().validate(message) == {}
        data = message["notification"]["data"]
        assert data == {"id": f"{data['type']}:{at(11) * 1000}", "type": data["type"], "due": at(11) * 1000}
    app.reminders.close()


def test_the_checker_refuses_what_webkit_refuses():
    text = reminder_texts([{"id": "posture-break", "title": "Posture break", "message": "Stand up",
                            "routine": "desk-reset"}])["posture-break"]
    good = reminder_payload(text, 1_700_000_000, "https://relief.example")
    assert webkit_problems(good) == []
    broken = [
        {**good, "web_push": 9001},
        {**good, "web_push": "8030"},
        {k: v for k, v in good.items() if k != "notification"},
        {**good, "notification": {**good["notification"], "navigate": "/routines/desk-reset"}},
        {**good, "notification": {**good["notification"], "title": ""}},
        {**good, "notification": {**good["notification"], "dir": "up"}},
        {**good, "notification": {**good["notification"], "actions": [{"action": "done", "title": "Done"}]}},
    ]
    for message in broken:
        assert webkit_problems(message), message
    # Without a public URL the links stay relative: our service worker resolves them,
    # Safari's declarative path cannot (the README says to set MBR_PUBLIC_URL).
    relative = reminder_payload(text, 1_700_000_000)
    assert webkit_problems(relative, declarative_navigation=False) == []
    assert webkit_problems(relative) != []


@pytest.mark.parametrize("public_url", [None, "https://relief.example"])
def test_the_service_worker_gets_the_same_payload_templates(tmp_path, push_service, public_url):
    app = make_app(str(tmp_path / "i"), ManualClock(at(8)), push_service, PUBLIC_URL=public_url)
    js = app.test_client().get("/sw.js").get_data(as_text=True)
    templates = json.loads(re.search(r"const REMINDER_PAYLOADS = (\{.*?\});\n", js).group(1))
    assert templates == app.reminders.payload_templates()
    for type_, template in templates.items():
        assert template["notification"]["data"] == {"id": None, "type": type_, "due": None}
        assert ReminderPayloadSchema().validate(template) == {}
        assert webkit_problems(template, declarative_navigation=public_url is not None) == []
    app.reminders.close()
