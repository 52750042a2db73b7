"""Schemas at the edge of reminder delivery: what the API accepts and answers, and the
one reminder payload every side uses (the scheduler's push messages, the service
worker's own notifications, the pages' data).

The payload is a Declarative Web Push message (WebKit, Safari 18.4+): a top-level
`"web_push": 8030` and a `notification` whose `navigate` URL (and each action's) the
browser opens by itself, so an iPhone shows the reminder and opens the routine even when
no service worker runs. Other browsers hand the same JSON to our service worker, which
reads `notification` and shows it. `notification.data` carries the reminder's id
(`"<type>:<due in UTC milliseconds>"`), type and due instant (milliseconds).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from . import rules
from .push import LOOPBACK_HOSTS, MAX_ENDPOINT_LENGTH, endpoint_problem, keys_problems

MAX_WINDOWS = 6
WEB_PUSH_MAGIC = 8030
# The snooze a notification's button offers (the page offers both choices).
NOTIFICATION_SNOOZE_MINUTES = rules.SNOOZE_CHOICES[0]


class FullMatch(validate.Regexp):
    """A pattern that must match the whole string. marshmallow's Regexp uses re.match,
    and `$` also matches before a final newline ("09:00\\n"); the pattern itself stays
    as it is for the OpenAPI description."""

    def __call__(self, value: str) -> str:
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


HHMM = FullMatch(r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
                 error="Must be a time as HH:MM (00:00 to 24:00).")
# A time of day something happens at (a daily reminder): 24:00 is an end, not a time.
TIME_OF_DAY = FullMatch(r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                        error="Must be a time of day as HH:MM (00:00 to 23:59), for example 18:00.")
# A browser's subscription keys: a P-256 point (65 bytes starting 0x04) and a 16-byte
# secret, unpadded base64url. The patterns are as exact as a pattern can be; whether the
# point is on the curve is checked in code.
P256DH = FullMatch(r"^B[A-P][A-Za-z0-9_-]{85}$",
                   error="Must be the base64url P-256 public key from the subscription.")
AUTH = FullMatch(r"^[A-Za-z0-9_-]{22}$", error="Must be the base64url 16-byte auth secret from the subscription.")


class Strict(Schema):
    class Meta:
        unknown = RAISE


class WindowSchema(Strict):
    """Local wall-clock times. An end not after the start runs past midnight (a night
    shift); equal times make a whole day."""

    start = fields.String(required=True, validate=HHMM, metadata={"example": "09:00"})
    end = fields.String(required=True, validate=HHMM, metadata={"example": "17:30"})


class KeysSchema(Strict):
    p256dh = fields.String(required=True, validate=P256DH)
    auth = fields.String(required=True, validate=AUTH)

    @validates_schema
    def keys(self, data: dict, **kwargs: Any) -> None:
        problems = keys_problems(data.get("p256dh"), data.get("auth"))
        if problems:
            raise ValidationError(problems)


_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9][0-9]|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"


def endpoint_pattern(hosts: Iterable[str]) -> str:
    """A regular expression for the OpenAPI description that admits exactly the
    endpoints `endpoint_problem` accepts (lower-case hosts; code also accepts others)."""
    choices = []
    for host in hosts:
        host = host.lower().strip()
        wildcard = host.startswith("*.")
        name = r"[a-z0-9-]+(\.[a-z0-9-]+)*" + re.escape(host[1:]) if wildcard else re.escape(host)
        if host in LOOPBACK_HOSTS:
            choices.append(f"https?://{name}(:{_PORT})?")
        else:
            choices.append(f"https://{name}(:443)?")
    # Visible ASCII after the host, no fragment.
    return "^(" + "|".join(choices) + ')/[!-"$-~]*$'


class PublicKeyOut(Schema):
    public_key = fields.String(required=True, metadata={"description": "applicationServerKey (base64url)"})


class WindowOut(Schema):
    start = fields.String(required=True)
    end = fields.String(required=True)


@dataclass(frozen=True)
class ApiSchemas:
    plan: type[Schema]
    subscribe: type[Schema]
    update: type[Schema]
    snooze: type[Schema]
    done: type[Schema]
    device: type[Schema]


def api_schemas(types: Iterable[str], allowed_hosts: Iterable[str], daily_types: Iterable[str] = ()) -> ApiSchemas:
    """Schemas built from content/ and configuration, so the OpenAPI description states
    exactly what is accepted: the reminder types (and which of them ring once a day at a
    time rather than every so often), the time zones, the push services."""
    types = sorted(types)
    daily_types = frozenset(daily_types)
    allowed_hosts = tuple(allowed_hosts)

    class SubscriptionSchema(Strict):
        """A PushSubscription as `subscription.toJSON()` gives it."""

        endpoint = fields.String(
            required=True,
            validate=[validate.Length(max=MAX_ENDPOINT_LENGTH),
                      FullMatch(endpoint_pattern(allowed_hosts), error="Not a known push service URL.")],
            metadata={"description": "Push service URL; only known push services are accepted"},
        )
        expiration_time = fields.Float(data_key="expirationTime", allow_none=True, load_default=None)
        keys = fields.Nested(KeysSchema, required=True)

        @validates("endpoint")
        def allowed(self, value: str, **kwargs: Any) -> None:
            problem = endpoint_problem(value, allowed_hosts)
            if problem:
                raise ValidationError(problem)

    class PlanItemSchema(Strict):
        interval = fields.Integer(
            required=True, strict=True, validate=validate.Range(rules.MIN_INTERVAL, rules.MAX_INTERVAL),
            metadata={"description": "Minutes between reminders"},
        )
        windows = fields.List(fields.Nested(WindowSchema), required=True,
                              validate=validate.Length(1, MAX_WINDOWS),
                              metadata={"description": "Active hours, local time"})
        days = fields.List(fields.String(validate=validate.OneOf(rules.DAY_NAMES)), required=True,
                           validate=validate.Length(1, 7))

    class DailyItemSchema(Strict):
        """A reminder once a day, at a local time, on the chosen days."""

        time = fields.String(required=True, validate=TIME_OF_DAY,
                             metadata={"description": "Local time of day", "example": "18:00"})
        days = fields.List(fields.String(validate=validate.OneOf(rules.DAY_NAMES)), required=True,
                           validate=validate.Length(1, 7))

    # One optional member per reminder type: a type can only appear once, and an
    # unknown type is an unknown field.
    PlanReminders = Schema.from_dict(  # noqa: N806 - a class
        {t: fields.Nested(DailyItemSchema if t in daily_types else PlanItemSchema) for t in types},
        name="PlanReminders")
    PlanReminders.Meta.unknown = RAISE

    class PlanSchema(Strict):
        timezone = fields.String(
            required=True,
            validate=validate.OneOf(sorted(rules.known_timezones()),
                                    error="Must be an IANA time zone such as Europe/London."),
            metadata={"example": "Europe/London"},
        )
        reminders = fields.Nested(PlanReminders, required=True,
                                  metadata={"description": "The reminder types switched on, by type"})

    class SubscribeSchema(Strict):
        subscription = fields.Nested(SubscriptionSchema, required=True)
        plan = fields.Nested(PlanSchema, required=True)

    class UpdateSchema(Strict):
        subscription = fields.Nested(SubscriptionSchema, metadata={"description": "When the browser renewed it"})
        plan = fields.Nested(PlanSchema, required=True)

    def age_field():
        # Seconds, by the phone's own clock, since the person tapped: a phone's clock may
        # be wrong by hours, a difference on it is not.
        return fields.Integer(
            load_default=0, strict=True, validate=validate.Range(0, rules.MAX_ACTION_AGE_SECONDS),
            metadata={"description": "How many seconds ago the person tapped (for an action taken "
                                     "offline and sent later); 0 or absent means now"})

    class SnoozeSchema(Strict):
        type = fields.String(required=True, validate=validate.OneOf(types))
        minutes = fields.Integer(required=True, strict=True, validate=validate.OneOf(rules.SNOOZE_CHOICES))
        age_seconds = age_field()

    class DoneSchema(Strict):
        type = fields.String(required=True, validate=validate.OneOf(types))
        age_seconds = age_field()

    class ReminderOut(Schema):
        interval = fields.Integer(required=True, metadata={
            "description": f"Minutes between reminders; {rules.ONCE} for a reminder once a day at `time`"})
        time = fields.String(metadata={"description": "A daily reminder's local time of day"})
        windows = fields.List(fields.Nested(WindowOut), required=True)
        days = fields.List(fields.String(), required=True)
        next_due = fields.AwareDateTime(allow_none=True, required=True)
        next_id = fields.String(allow_none=True, required=True,
                                metadata={"description": "The next reminder's id, as in its push payload"})
        snoozed_until = fields.AwareDateTime(allow_none=True, required=True)

    RemindersOut = Schema.from_dict({t: fields.Nested(ReminderOut) for t in types}, name="RemindersOut")  # noqa: N806

    class DeviceOut(Schema):
        device = fields.String(metadata={"description": "The device token; only in the answer to a new subscription"})
        timezone = fields.String(required=True)
        paused_until = fields.AwareDateTime(allow_none=True, required=True)
        reminders = fields.Nested(RemindersOut, required=True)

    return ApiSchemas(PlanSchema, SubscribeSchema, UpdateSchema, SnoozeSchema, DoneSchema, DeviceOut)


# --- The reminder payload -------------------------------------------------------------


# What each action is called, on a notification button and in the in-app banner.
ACTION_TITLES = {
    "start": "Start",
    "snooze": f"Snooze {NOTIFICATION_SNOOZE_MINUTES} min",
    "done": "Done",
    "drank": "I drank a glass",
    # The daily check-in: open the check-in, or no more reminding today (no guilt).
    "checkin": "Check in",
    "skip": "Not today",
}
# What the server's schedule hears for an action ("done" moves the grid on); the others
# (start, checkin) change nothing there.
SERVER_ACTIONS = {"snooze": "snooze", "done": "done", "drank": "done", "skip": "done"}


@dataclass(frozen=True)
class ReminderText:
    """What a notification says for one reminder type, and where it leads."""

    type: str
    title: str
    body: str
    path: str  # where a tap on it leads: the routine it starts, e.g. /routines/desk-reset
    actions: tuple[str, ...] = ("start", "snooze", "done")
    daily: bool = False  # once a day at a chosen time, rather than every so often

    @property
    def starts_routine(self) -> bool:
        return "start" in self.actions

    @property
    def opens(self) -> str:
        """The local URL a tap on the reminder opens (a routine starts by itself)."""
        return f"{self.path}?start=1" if self.starts_routine else self.path


def reminder_texts(reminders: Iterable[Mapping[str, Any]]) -> dict[str, ReminderText]:
    texts = {}
    for r in reminders:
        actions = tuple(r.get("actions") or ("start", "snooze", "done"))
        daily = r.get("schedule") == "daily"
        # A reminder with nothing to start (a drink) leads to the reminders screen, where
        # today's glasses are counted, never to an unrelated routine; a daily one leads
        # where content says (the check-in).
        routine_or_screen = f"/routines/{r['routine']}" if "start" in actions else "/reminders"
        path = r["opens"] if daily else routine_or_screen
        texts[r["id"]] = ReminderText(r["id"], r["title"], r["message"], path, actions, daily)
    return texts


class PayloadActionSchema(Strict):
    action = fields.String(required=True, validate=validate.OneOf(list(ACTION_TITLES)))
    title = fields.String(required=True, validate=validate.Length(min=1))
    navigate = fields.String(required=True, validate=validate.Length(min=1))


class PayloadDataSchema(Strict):
    id = fields.String(required=True, allow_none=True)
    type = fields.String(required=True)
    due = fields.Integer(required=True, allow_none=True, metadata={"description": "UTC milliseconds"})


class PayloadNotificationSchema(Strict):
    title = fields.String(required=True, validate=validate.Length(min=1))
    body = fields.String(required=True)
    navigate = fields.String(required=True, validate=validate.Length(min=1))
    lang = fields.String(required=True)
    dir = fields.String(required=True, validate=validate.OneOf(["auto", "ltr", "rtl"]))
    tag = fields.String(required=True)
    timestamp = fields.Integer(allow_none=True)
    actions = fields.List(fields.Nested(PayloadActionSchema), required=True)
    data = fields.Nested(PayloadDataSchema, required=True)


class ReminderPayloadSchema(Strict):
    web_push = fields.Integer(required=True, strict=True, validate=validate.Equal(WEB_PUSH_MAGIC))
    notification = fields.Nested(PayloadNotificationSchema, required=True)


def reminder_payload(text: ReminderText, due_seconds: int | None, base_url: str = "") -> dict[str, Any]:
    """The push message for one reminder (or, with no due time, the template the
    service worker completes for reminders it shows itself).

    `base_url` is the app's public origin: WebKit opens `navigate` without resolving
    it against anything, so it must be absolute for Declarative Web Push; without a
    configured public URL the links stay relative (our service worker resolves them)."""
    base = base_url.rstrip("/")
    due_ms = None if due_seconds is None else int(due_seconds) * 1000
    rid = None if due_seconds is None else f"{text.type}:{due_ms}"
    query = "" if rid is None else f"&reminder={quote(rid, safe='')}"
    opens = f"{base}{text.opens}"

    def navigate(action: str) -> str:
        if action in ("start", "checkin"):
            return opens
        return f"{base}/reminders?action={action}{query}"

    return {
        "web_push": WEB_PUSH_MAGIC,
        "notification": {
            "title": text.title,
            "body": text.body,
            "navigate": opens,
            "lang": "en",
            "dir": "ltr",
            # One notification per type: a newer reminder replaces an older one.
            "tag": f"reminder-{text.type}",
            "timestamp": due_ms,
            "actions": [{"action": a, "title": ACTION_TITLES[a], "navigate": navigate(a)} for a in text.actions],
            "data": {"id": rid, "type": text.type, "due": due_ms},
        },
    }
