"""Reminder delivery over HTTP, under /api/v1.

- `GET /push/key`: the VAPID public key a browser subscribes with.
- `POST /push/subscriptions`: store a push subscription and its plan (times and types
  only); answers with a device token, the only credential for changing it later.
- `GET|PUT|DELETE /push/device`: read, replace, or delete everything stored for the
  device (`Authorization: Bearer <token>`).
- `POST /push/device/snooze|done`, `POST|DELETE /push/device/pause`: what the person
  does with a reminder, from the page or from a notification's buttons.
- `POST /calendar/reminders.ics`: the plan as a calendar file with recurring events and
  alarms, for phones that cannot receive web push. Nothing is stored.

Every write is rate-limited per client address, validated in full before anything is
stored, and answered with structured JSON errors by the app-wide handler.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, request
from flask_smorest import Blueprint, abort
from icalendar import Alarm, Calendar, Event
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import reminders as rem
from .api import API_PREFIX, ErrorSchema
from .db import Database, Device, Schedule, days_to_bits, for_app_config, sha256_hex, windows_to_text
from .push import (
    LOOPBACK_HOSTS,
    MAX_ENDPOINT_LENGTH,
    PushSender,
    endpoint_problem,
    keys_problems,
    load_or_create_vapid,
    public_key_b64,
)
from .scheduler import plan_next, reminder_texts, to_dt

MAX_WINDOWS = 6
ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
HHMM = validate.Regexp(r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", error="Must be a time as HH:MM (00:00 to 24:00).")


# --- Rate limiting ------------------------------------------------------------------


class RateLimiter:
    """A token bucket per key (client address or device): `per_minute` requests a
    minute on average, bursts up to the same number. In memory, so per process; enough
    to stop a script from filling the database or hammering a device, which is its job."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.capacity = float(max(1, per_minute))
        self.rate = self.capacity / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when allowed, else the seconds until a request would be."""
        now = self.clock()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1 - tokens) / self.rate
            if len(self._buckets) > 10_000:
                # Forget full buckets so a scan of many addresses cannot grow memory.
                full = [k for k, (t, s) in self._buckets.items() if t + (now - s) * self.rate >= self.capacity]
                for k in full:
                    del self._buckets[k]
        return wait


# --- Schemas ------------------------------------------------------------------------


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class WindowSchema(_Strict):
    """Local wall-clock times. An end not after the start runs past midnight (a night
    shift); equal times make a whole day."""

    start = fields.String(required=True, validate=HHMM, metadata={"example": "09:00"})
    end = fields.String(required=True, validate=HHMM, metadata={"example": "17:30"})


# A browser's subscription keys: a P-256 point (65 bytes starting 0x04) and a 16-byte
# secret, unpadded base64url. The patterns are as exact as a pattern can be; whether the
# point is on the curve is checked in code.
P256DH = validate.Regexp(r"^B[A-P][A-Za-z0-9_-]{85}$", error="Must be the base64url P-256 public key "
                         "from the subscription.")
AUTH = validate.Regexp(r"^[A-Za-z0-9_-]{22}$", error="Must be the base64url 16-byte auth secret "
                       "from the subscription.")


class KeysSchema(_Strict):
    p256dh = fields.String(required=True, validate=P256DH)
    auth = fields.String(required=True, validate=AUTH)

    @validates_schema
    def keys(self, data: dict, **kwargs: Any) -> None:
        problems = keys_problems(data.get("p256dh"), data.get("auth"))
        if problems:
            raise ValidationError(problems)


_PORT = r"(6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})"


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


def plan_schemas(types: Iterable[str], allowed_hosts: Iterable[str]) -> dict[str, type[Schema]]:
    """Schemas built from content/ and configuration, so the OpenAPI description states
    exactly what is accepted: the reminder types, the time zones, the push services."""
    types = sorted(types)
    allowed_hosts = tuple(allowed_hosts)

    class SubscriptionSchema(_Strict):
        """A PushSubscription as `subscription.toJSON()` gives it."""

        endpoint = fields.String(
            required=True,
            validate=[validate.Length(max=MAX_ENDPOINT_LENGTH),
                      validate.Regexp(endpoint_pattern(allowed_hosts), error="Not a known push service URL.")],
            metadata={"description": "Push service URL; only known push services are accepted"},
        )
        expiration_time = fields.Float(data_key="expirationTime", allow_none=True, load_default=None)
        keys = fields.Nested(KeysSchema, required=True)

        @validates("endpoint")
        def allowed(self, value: str, **kwargs: Any) -> None:
            problem = endpoint_problem(value, allowed_hosts)
            if problem:
                raise ValidationError(problem)

    class PlanItemSchema(_Strict):
        interval = fields.Integer(
            required=True, strict=True, validate=validate.Range(rem.MIN_INTERVAL, rem.MAX_INTERVAL),
            metadata={"description": "Minutes between reminders"},
        )
        windows = fields.List(fields.Nested(WindowSchema), required=True,
                              validate=validate.Length(1, MAX_WINDOWS),
                              metadata={"description": "Active hours, local time"})
        days = fields.List(fields.String(validate=validate.OneOf(rem.DAY_NAMES)), required=True,
                           validate=validate.Length(1, 7))

    # One optional member per reminder type: a type can only appear once, and an
    # unknown type is an unknown field.
    PlanReminders = Schema.from_dict(  # noqa: N806 - a class
        {t: fields.Nested(PlanItemSchema) for t in types}, name="PlanReminders")
    PlanReminders.Meta.unknown = RAISE

    class PlanSchema(_Strict):
        timezone = fields.String(
            required=True,
            validate=validate.OneOf(sorted(rem.known_timezones()),
                                    error="Must be an IANA time zone such as Europe/London."),
            metadata={"example": "Europe/London"},
        )
        reminders = fields.Nested(PlanReminders, required=True,
                                  metadata={"description": "The reminder types switched on, by type"})

    class SubscribeSchema(_Strict):
        subscription = fields.Nested(SubscriptionSchema, required=True)
        plan = fields.Nested(PlanSchema, required=True)

    class UpdateSchema(_Strict):
        subscription = fields.Nested(SubscriptionSchema, metadata={"description": "When the browser renewed it"})
        plan = fields.Nested(PlanSchema, required=True)

    class SnoozeSchema(_Strict):
        type = fields.String(required=True, validate=validate.OneOf(types))
        minutes = fields.Integer(required=True, strict=True, validate=validate.OneOf(rem.SNOOZE_CHOICES))

    class DoneSchema(_Strict):
        type = fields.String(required=True, validate=validate.OneOf(types))

    class ReminderOut(Schema):
        interval = fields.Integer(required=True)
        windows = fields.List(fields.Nested(WindowOut), required=True)
        days = fields.List(fields.String(), required=True)
        next_due = fields.AwareDateTime(allow_none=True, required=True)
        snoozed_until = fields.AwareDateTime(allow_none=True, required=True)

    RemindersOut = Schema.from_dict({t: fields.Nested(ReminderOut) for t in types}, name="RemindersOut")  # noqa: N806

    class DeviceOut(Schema):
        device = fields.String(metadata={"description": "The device token; only in the answer to a new subscription"})
        timezone = fields.String(required=True)
        paused_until = fields.AwareDateTime(allow_none=True, required=True)
        reminders = fields.Nested(RemindersOut, required=True)

    return {"plan": PlanSchema, "subscribe": SubscribeSchema, "update": UpdateSchema,
            "snooze": SnoozeSchema, "done": DoneSchema, "device": DeviceOut}


class PublicKeyOut(Schema):
    public_key = fields.String(required=True, metadata={"description": "applicationServerKey (base64url)"})


class WindowOut(Schema):
    start = fields.String(required=True)
    end = fields.String(required=True)


# --- Helpers --------------------------------------------------------------------------


def _db() -> Database:
    return current_app.extensions["mbr_db"]


def _now() -> int:
    return int(current_app.extensions["mbr_clock"]())


def _device_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not (20 <= len(token) <= 100):
        abort(401, message="Send the device token as 'Authorization: Bearer <token>'.",
              headers={"WWW-Authenticate": "Bearer"})
    return token


def _load_device(session: Any) -> Device:
    token = _device_token()
    device = session.scalars(select(Device).where(Device.token_hash == sha256_hex(token))).first()
    if device is None:
        abort(401, message="Unknown device: subscribe again.", headers={"WWW-Authenticate": "Bearer"})
    return device


def _apply_subscription(device: Device, subscription: dict) -> None:
    device.endpoint = subscription["endpoint"]
    device.endpoint_hash = sha256_hex(subscription["endpoint"])
    device.p256dh = subscription["keys"]["p256dh"]
    device.auth = subscription["keys"]["auth"]


def _apply_plan(session: Any, device: Device, plan: dict, now: int) -> None:
    device.timezone = plan["timezone"]
    wanted = {type_: rem.entry_from_plan(type_, item) for type_, item in plan["reminders"].items()}
    for schedule in list(device.schedules):
        if schedule.type not in wanted:
            device.schedules.remove(schedule)
            session.delete(schedule)
    existing = {s.type: s for s in device.schedules}
    for type_, entry in wanted.items():
        schedule = existing.get(type_)
        if schedule is None:
            schedule = Schedule(type=type_, attempts=0)
            device.schedules.append(schedule)
        changed = (schedule.interval_minutes, schedule.windows, schedule.days) != (
            entry.interval, windows_to_text(entry.windows), days_to_bits(entry.days))
        schedule.interval_minutes = entry.interval
        schedule.windows = windows_to_text(entry.windows)
        schedule.days = days_to_bits(entry.days)
        if changed:
            schedule.snoozed_until = schedule.not_before = None
        plan_next(schedule, device, now)


def _status(device: Device, token: str | None = None) -> dict:
    out: dict[str, Any] = {
        "timezone": device.timezone,
        "paused_until": to_dt(device.paused_until),
        "reminders": {
            s.type: {
                "interval": s.interval_minutes,
                "windows": [{"start": rem.format_hhmm(w.start), "end": rem.format_hhmm(w.end)}
                            for w in s.entry().windows],
                "days": rem.day_names(s.entry().days),
                "next_due": to_dt(s.due_at),
                "snoozed_until": to_dt(s.snoozed_until),
            }
            for s in device.schedules
        },
    }
    if token is not None:
        out["device"] = token
    return out


def _find_schedule(device: Device, type_: str) -> Schedule:
    for schedule in device.schedules:
        if schedule.type == type_:
            return schedule
    abort(422, message="That reminder is not in this device's plan.",
          errors={"type": ["Not in this device's plan."]})
    raise AssertionError  # pragma: no cover - abort raises


def build_calendar(entries: Iterable[rem.Entry], tz: ZoneInfo, texts: dict[str, dict[str, str]],
                   base_url: str, today: date, stamp: datetime) -> bytes:
    """A calendar with one weekly recurring event (with an alarm) per reminder time.

    One event per time of day, recurring on the plan's days, is the form every
    calendar app imports the same way; a single event with a minutely rule is not.
    """
    cal = Calendar()
    cal.add("prodid", "-//Mid-Back Relief//Reminders//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Mid-Back Relief reminders")
    cal.add("x-wr-timezone", tz.key)
    for entry in entries:
        if not entry.days or not entry.windows:
            continue
        text = texts[entry.type]
        url = base_url.rstrip("/") + text["url"]
        # Wall-clock time -> the weekdays it rings on (night windows spill into the next day).
        days_at: dict[int, list[int]] = {}
        for weekday in range(7):
            for minute in entry.minutes_on(weekday):
                days_at.setdefault(minute, []).append(weekday)
        for minute, weekdays in sorted(days_at.items()):
            first = next(d for d in (today + timedelta(days=i) for i in range(7)) if d.weekday() in weekdays)
            event = Event()
            event.add("uid", f"{entry.type}-{rem.format_hhmm(minute).replace(':', '')}@mid-back-relief")
            event.add("dtstamp", stamp)
            event.add("dtstart", datetime.combine(first, dtime(minute // 60, minute % 60), tzinfo=tz))
            event.add("duration", timedelta(minutes=5))
            event.add("rrule", {"freq": "weekly", "byday": [ICAL_DAYS[d] for d in weekdays], "wkst": "MO"})
            event.add("summary", text["title"])
            event.add("description", f"{text['body']}\n{url}")
            event.add("url", url)
            event.add("categories", ["Mid-Back Relief"])
            event.add("transp", "TRANSPARENT")  # a reminder, not a meeting: do not show as busy
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", text["body"])
            alarm.add("trigger", timedelta(0))
            event.add_component(alarm)
            cal.add_component(event)
    cal.add_missing_timezones(first_date=today - timedelta(days=7), last_date=today + timedelta(days=5 * 366))
    return cal.to_ical()


# --- Blueprint ------------------------------------------------------------------------


def make_blueprint(types: Iterable[str], allowed_hosts: Iterable[str]) -> Blueprint:
    schemas = plan_schemas(types, allowed_hosts)
    DeviceOut = schemas["device"]  # noqa: N806 - a class
    blp = Blueprint("reminders_api", __name__, url_prefix=API_PREFIX,
                    description="Reminders: web push subscriptions and the calendar file")
    device_auth = [{"deviceToken": []}]

    @blp.before_request
    def authenticate_and_rate_limit() -> None:
        # A device's own requests are limited per device, so many phones behind one
        # address (or behind the TLS proxy) do not share a budget; the rest per address.
        key = f"addr:{request.remote_addr or '?'}"
        if request.path.startswith(API_PREFIX + "/push/device"):
            # Authenticate before anything else: a request without a valid token is a 401
            # whatever its body or the rate, and bodies of strangers are not parsed.
            with _db().session() as session:
                key = f"device:{_load_device(session).id}"
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        wait = current_app.extensions["mbr_rate_limiter"].take(key)
        if wait:
            abort(429, message="Too many requests; try again shortly.",
                  headers={"Retry-After": str(max(1, int(wait + 0.999)))})

    def errors(*codes: int):
        def wrap(view):
            for code in codes:
                view = blp.alt_response(code, schema=ErrorSchema)(view)
            return view
        return wrap

    @blp.get("/push/key")
    @blp.response(200, PublicKeyOut)
    def public_key():
        """The VAPID public key (applicationServerKey) to subscribe with."""
        return {"public_key": current_app.extensions["mbr_vapid_public"]}

    @blp.post("/push/subscriptions")
    @blp.arguments(schemas["subscribe"])
    @blp.response(201, DeviceOut)
    @errors(409, 413, 422, 429)
    def subscribe(body: dict):
        """Store a push subscription with its plan. Subscribing an endpoint again
        replaces what was stored for it. Keep the returned device token on the device."""
        now = _now()
        token = secrets.token_urlsafe(32)
        try:
            with _db().session.begin() as session:
                endpoint_hash = sha256_hex(body["subscription"]["endpoint"])
                old = session.scalars(select(Device).where(Device.endpoint_hash == endpoint_hash)).first()
                if old is not None:
                    session.delete(old)
                    session.flush()
                device = Device(token_hash=sha256_hex(token), created_at=now, updated_at=now)
                _apply_subscription(device, body["subscription"])
                session.add(device)
                _apply_plan(session, device, body["plan"], now)
                session.flush()
                return _status(device, token)
        except IntegrityError:
            abort(409, message="This subscription was stored by another request at the same moment.")

    @blp.get("/push/device")
    @blp.response(200, DeviceOut)
    @blp.doc(security=device_auth)
    @errors(401)
    def device_status():
        """The stored plan with each reminder's next due time."""
        with _db().session() as session:
            return _status(_load_device(session))

    @blp.put("/push/device")
    @blp.arguments(schemas["update"])
    @blp.response(200, DeviceOut)
    @blp.doc(security=device_auth)
    @errors(401, 409, 413, 422, 429)
    def device_update(body: dict):
        """Replace the plan (and the subscription, when the browser renewed it)."""
        now = _now()
        try:
            with _db().session.begin() as session:
                device = _load_device(session)
                if "subscription" in body:
                    _apply_subscription(device, body["subscription"])
                _apply_plan(session, device, body["plan"], now)
                device.updated_at = now
                session.flush()
                return _status(device)
        except IntegrityError:
            abort(409, message="That subscription belongs to another device record.")

    @blp.delete("/push/device")
    @blp.response(204)
    @blp.doc(security=device_auth)
    @errors(401, 429)
    def device_delete():
        """Unsubscribe: delete everything stored for this device."""
        with _db().session.begin() as session:
            session.delete(_load_device(session))
        return None

    @blp.post("/push/device/snooze")
    @blp.arguments(schemas["snooze"])
    @blp.response(200, DeviceOut)
    @blp.doc(security=device_auth)
    @errors(401, 422, 429)
    def device_snooze(body: dict):
        """Remind again in 10 or 30 minutes (inside active hours)."""
        now = _now()
        with _db().session.begin() as session:
            device = _load_device(session)
            schedule = _find_schedule(device, body["type"])
            schedule.snoozed_until = int(rem.snooze_until(to_dt(now), body["minutes"]).timestamp())
            plan_next(schedule, device, now)
            return _status(device)

    @blp.post("/push/device/done")
    @blp.arguments(schemas["done"])
    @blp.response(200, DeviceOut)
    @blp.doc(security=device_auth)
    @errors(401, 422, 429)
    def device_done(body: dict):
        """Mark a reminder done: cancels its snooze and skips a slot that is too close."""
        now = _now()
        with _db().session.begin() as session:
            device = _load_device(session)
            schedule = _find_schedule(device, body["type"])
            schedule.snoozed_until = None
            schedule.not_before = int(rem.done_not_before(schedule.entry(), to_dt(now)).timestamp())
            plan_next(schedule, device, now)
            return _status(device)

    @blp.post("/push/device/pause")
    @blp.response(200, DeviceOut)
    @blp.doc(security=device_auth)
    @errors(401, 429)
    def device_pause():
        """Pause every reminder until midnight in the plan's time zone."""
        now = _now()
        with _db().session.begin() as session:
            device = _load_device(session)
            device.paused_until = int(rem.end_of_local_day(to_dt(now), rem.zone(device.timezone)).timestamp())
            for schedule in device.schedules:
                plan_next(schedule, device, now)
            return _status(device)

    @blp.delete("/push/device/pause")
    @blp.response(200, DeviceOut)
    @blp.doc(security=device_auth)
    @errors(401, 429)
    def device_resume():
        """End a pause now."""
        now = _now()
        with _db().session.begin() as session:
            device = _load_device(session)
            device.paused_until = None
            for schedule in device.schedules:
                plan_next(schedule, device, now)
            return _status(device)

    @blp.post("/calendar/reminders.ics")
    @blp.arguments(schemas["plan"])
    @blp.response(200, content_type="text/calendar", description="An iCalendar file")
    @errors(413, 422, 429)
    def calendar(plan: dict):
        """The plan as an .ics file: recurring events with alarms. Nothing is stored."""
        now = to_dt(_now())
        tz = rem.zone(plan["timezone"])
        entries = [rem.entry_from_plan(t, item) for t, item in plan["reminders"].items()]
        texts = current_app.extensions["mbr_reminder_texts"]
        body = build_calendar(entries, tz, texts, request.host_url, now.astimezone(tz).date(), now)
        return Response(body, content_type="text/calendar; charset=utf-8", headers={
            "Content-Disposition": 'attachment; filename="mid-back-relief-reminders.ics"',
            "Cache-Control": "no-store",
        })

    return blp


def init_app(app: Flask) -> None:
    config = app.config
    content = app.extensions["mbr_content"]
    app.extensions["mbr_db"] = for_app_config(config)
    vapid = load_or_create_vapid(config["INSTANCE_DIR"], config.get("VAPID_PRIVATE_KEY"))
    app.extensions["mbr_vapid_public"] = public_key_b64(vapid)
    app.extensions["mbr_push_sender"] = PushSender(
        vapid, config["VAPID_SUBJECT"], config["PUSH_ALLOWED_HOSTS"], ttl=int(config["PUSH_TTL"]))
    app.extensions["mbr_reminder_texts"] = reminder_texts(content.reminders.values())
    app.extensions["mbr_rate_limiter"] = RateLimiter(int(config["PUSH_RATE_LIMIT"]))
    app.extensions.setdefault("mbr_clock", time.time)
    api = app.extensions["mbr_smorest"]
    api.spec.components.security_scheme("deviceToken", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(make_blueprint(content.reminders, config["PUSH_ALLOWED_HOSTS"]))
