"""What the device's reminder code is given: one dict, built once at start-up, that the
pages import as a generated module (`js/reminder-data.js`) and the service worker
template is rendered with. Storage names, texts, actions, the schedule constants and the
grace period are defined here (or in content/ and `rules`) and nowhere in JS, so the
page that shows a reminder and the worker that shows the same one cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from . import rules
from .schemas import ACTION_TITLES, MAX_WINDOWS, NOTIFICATION_SNOOZE_MINUTES, SERVER_ACTIONS, ReminderText

CLIENT_MODULE = "js/reminder-data.js"

# Where the device keeps reminder state. localStorage for the plan and history (pages
# only); Cache Storage and IndexedDB for what the service worker must read too (it has
# no localStorage).
STORAGE = {
    "plan_key": "mbr.reminders",
    "device_cache": "reminder-device",
    "device_key": "/__reminders/device",
    "queue_key": "/__reminders/queue",
    # The Web Lock the service worker and every page hold while they change the queue or
    # send from it, so no queued action is sent twice.
    "queue_lock": "mbr-reminder-queue",
    "shown_db": "mbr-reminders",
    "shown_store": "shown",
}
# A page that has a push subscription waits this long after a reminder falls due
# before showing it itself: the push message normally arrives first (the push path
# wins), and when it never does the person still gets the reminder.
PUSH_HEADSTART_SECONDS = 120
# How often an open page looks for due reminders.
TICK_SECONDS = 15


def client_data(texts: Mapping[str, ReminderText], reminders: Iterable[Mapping[str, Any]],
                choices: Iterable[Mapping[str, Any]], grace_seconds: int,
                screening_levels: Iterable[str] = ()) -> dict[str, Any]:
    content = {r["id"]: r for r in reminders}
    return {
        # The safety check's outcome ids, for the storage schemas (storage.js) that check
        # saved and imported checks.
        "screening_levels": list(screening_levels),
        "rules": {**rules.client_constants(), "grace_seconds": int(grace_seconds)},
        "storage": STORAGE,
        "push_headstart_seconds": PUSH_HEADSTART_SECONDS,
        "tick_seconds": TICK_SECONDS,
        "snooze_minutes": NOTIFICATION_SNOOZE_MINUTES,
        "max_windows": MAX_WINDOWS,
        "action_titles": ACTION_TITLES,
        # Action -> what the server's schedule hears (snooze or done); absent: nothing.
        "server_actions": SERVER_ACTIONS,
        "types": {
            t: {
                "title": text.title,
                "message": text.body,
                "routine": content[t]["routine"],
                "opens": text.opens,
                "actions": list(text.actions),
                "interval": content[t]["default_interval_minutes"],
                # Once a day at a time the person picks (default `time`), on its own days.
                "daily": text.daily,
                "time": content[t].get("default_time"),
                "daily_target": content[t].get("daily_target"),
            }
            for t, text in texts.items()
        },
        # "My back" choice -> the reminder types that fit it (the default plan).
        "choices": {c["id"]: list(c.get("reminders") or []) for c in choices},
    }


def client_module(data: Mapping[str, Any]) -> str:
    body = json.dumps(data, separators=(",", ":"), sort_keys=True)
    return (
        "// Generated at start-up by server/reminders/client.py from content/reminders.yaml\n"
        "// and the server's reminder constants. Do not edit.\n"
        f"export default {body};\n"
    )
