"""Reminder delivery over HTTP, under /api/v1: thin views over `planning` and the store.

- `GET /push/key`: the VAPID public key a browser subscribes with.
- `POST /push/subscriptions`: store a push subscription and its plan (times and types
  only); answers with a device token, the only credential for changing it later.
- `GET|PUT|DELETE /push/device`: read, replace, or delete everything stored for the
  device (`Authorization: Bearer <token>`).
- `POST /push/device/snooze|done`, `POST|DELETE /push/device/pause`: what the person
  does with a reminder, from the page or from a notification's buttons.
- `POST /calendar/reminders.ics`: the plan as a calendar file. Nothing is stored.

Writes are rate-limited per client address (the real one, behind the configured number
of trusted proxies) or per device; failed authentication has its own, smaller budget
per address, checked before the token is looked up.
"""

from __future__ import annotations

import secrets

from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint, abort
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..api import API_PREFIX, ErrorSchema
from . import Reminders, planning, rules
from .calendar import MAX_EVENTS_PER_FILE, build_calendar, event_count
from .ratelimit import retry_after
from .schemas import PublicKeyOut, api_schemas
from .store import Device, sha256_hex

DEVICE_AUTH = [{"deviceToken": []}]
# A full store asks new devices to come back later rather than growing without bound.
FULL_RETRY_AFTER = 3600


def errors(blp: Blueprint, *codes: int):
    def wrap(view):
        for code in codes:
            view = blp.alt_response(code, schema=ErrorSchema)(view)
        return view
    return wrap


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not (20 <= len(token) <= 100):
        return None
    return token


def make_blueprint(reminders: Reminders) -> Blueprint:
    schemas = api_schemas(reminders.types, reminders.settings.allowed_hosts,
                          [t for t, text in reminders.texts.items() if text.daily])
    store = reminders.store
    blp = Blueprint("reminders_api", __name__, url_prefix=API_PREFIX,
                    description="Reminders: web push subscriptions and the calendar file")

    def unauthorised(message: str) -> None:
        reminders.auth_failures.take(f"addr:{request.remote_addr or '?'}")
        abort(401, message=message, headers={"WWW-Authenticate": "Bearer"})

    @blp.before_request
    def authenticate_and_rate_limit() -> None:
        address = f"addr:{request.remote_addr or '?'}"
        key = address
        if request.path.startswith(API_PREFIX + "/push/device"):
            # Authenticate before anything else: a request without a valid token is a 401
            # whatever its body, and bodies of strangers are not parsed. An address that
            # keeps guessing is refused before its guess costs a database lookup.
            wait = reminders.auth_failures.wait(address)
            if wait:
                abort(429, message="Too many failed attempts; try again shortly.",
                      headers={"Retry-After": retry_after(wait)})
            token = bearer_token()
            if token is None:
                unauthorised("Send the device token as 'Authorization: Bearer <token>'.")
            with store.session() as session:
                device = store.device_by_token(session, token)
                if device is None:
                    unauthorised("Unknown device: subscribe again.")
                g.device_id = device.id
            # A device's own requests are limited per device, so many phones behind one
            # address (or one proxy) do not share a budget.
            key = f"device:{g.device_id}"
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        wait = reminders.limiter.take(key)
        if wait:
            abort(429, message="Too many requests; try again shortly.", headers={"Retry-After": retry_after(wait)})

    def load_device(session: Session) -> Device:
        device = session.get(Device, g.device_id)
        if device is None:  # deleted since the request was authenticated
            abort(401, message="Unknown device: subscribe again.", headers={"WWW-Authenticate": "Bearer"})
        return device

    def load_schedule(device: Device, type_: str):
        schedule = planning.find_schedule(device, type_)
        if schedule is None:
            abort(422, message="That reminder is not in this device's plan.",
                  errors={"type": ["Not in this device's plan."]})
        return schedule

    @blp.route("/push/key")
    class PublicKey(MethodView):
        @blp.response(200, PublicKeyOut)
        def get(self):
            """The VAPID public key (applicationServerKey) to subscribe with."""
            return {"public_key": reminders.vapid_public_key}

    @blp.route("/push/subscriptions")
    class Subscriptions(MethodView):
        @blp.arguments(schemas.subscribe)
        @blp.response(201, schemas.device)
        @errors(blp, 409, 413, 422, 429, 503)
        def post(self, body: dict):
            """Store a push subscription with its plan. An endpoint that is already stored
            is replaced only by the same browser: the request carries that device's token
            (Authorization: Bearer) or the same keys; anything else is a 409 and the
            stored device keeps working. Keep the returned device token on the device."""
            now = reminders.now()
            token = secrets.token_urlsafe(32)
            subscription = body["subscription"]
            try:
                with store.session.begin() as session:
                    old = store.device_by_endpoint(session, subscription["endpoint"])
                    if old is not None:
                        presented = bearer_token()
                        owner = presented is not None and old.token_hash == sha256_hex(presented)
                        if not (owner or planning.same_keys(old, subscription)):
                            abort(409, message="This push endpoint belongs to another device. Subscribe "
                                               "again in the browser to get a new endpoint.")
                        session.delete(old)
                        session.flush()
                    elif store.count_devices(session) >= reminders.settings.max_devices:
                        abort(503, message="Reminder delivery is full right now; the app still reminds you "
                                           "while it is open. Try again later.",
                              headers={"Retry-After": str(FULL_RETRY_AFTER)})
                    device = Device(token_hash=sha256_hex(token), created_at=now, updated_at=now)
                    planning.apply_subscription(device, subscription)
                    session.add(device)
                    planning.apply_plan(session, device, body["plan"], now)
                    session.flush()
                    return planning.status(device, token)
            except IntegrityError:
                abort(409, message="This subscription was stored by another request at the same moment.")

    @blp.route("/push/device")
    class DeviceView(MethodView):
        @blp.response(200, schemas.device)
        @blp.doc(security=DEVICE_AUTH)
        @errors(blp, 401, 429)
        def get(self):
            """The stored plan with each reminder's next due time and id."""
            with store.session() as session:
                return planning.status(load_device(session))

        @blp.arguments(schemas.update)
        @blp.response(200, schemas.device)
        @blp.doc(security=DEVICE_AUTH)
        @errors(blp, 401, 409, 413, 422, 429)
        def put(self, body: dict):
            """Replace the plan (and the subscription, when the browser renewed it)."""
            now = reminders.now()
            try:
                with store.session.begin() as session:
                    device = load_device(session)
                    if "subscription" in body:
                        other = store.device_by_endpoint(session, body["subscription"]["endpoint"])
                        if other is not None and other.id != device.id:
                            abort(409, message="That subscription belongs to another device record.")
                        planning.apply_subscription(device, body["subscription"])
                    planning.apply_plan(session, device, body["plan"], now)
                    device.updated_at = now
                    session.flush()
                    return planning.status(device)
            except IntegrityError:
                abort(409, message="That subscription belongs to another device record.")

        @blp.response(204)
        @blp.doc(security=DEVICE_AUTH)
        @errors(blp, 401, 429)
        def delete(self):
            """Unsubscribe: delete everything stored for this device."""
            with store.session.begin() as session:
                session.delete(load_device(session))

    @blp.route("/push/device/snooze")
    class Snooze(MethodView):
        @blp.arguments(schemas.snooze)
        @blp.response(200, schemas.device)
        @blp.doc(security=DEVICE_AUTH)
        @errors(blp, 401, 409, 422, 429)
        def post(self, body: dict):
            """Remind again 10 or 30 minutes after the tap (inside active hours). A snooze
            sent late (age_seconds) whose time has passed is refused with 409."""
            now = reminders.now()
            with store.session.begin() as session:
                device = load_device(session)
                try:
                    planning.snooze(load_schedule(device, body["type"]), device, now, body["minutes"],
                                    tapped=now - body["age_seconds"])
                except planning.StaleAction as stale:
                    abort(409, message=f"{stale} Nothing changed.")
                return planning.status(device)

    @blp.route("/push/device/done")
    class Done(MethodView):
        @blp.arguments(schemas.done)
        @blp.response(200, schemas.device)
        @blp.doc(security=DEVICE_AUTH)
        @errors(blp, 401, 422, 429)
        def post(self, body: dict):
            """Mark a reminder done: cancels its snooze and skips a slot that is too close
            (counted from the tap, age_seconds ago; a snooze set after it stays)."""
            now = reminders.now()
            with store.session.begin() as session:
                device = load_device(session)
                planning.done(load_schedule(device, body["type"]), device, now, tapped=now - body["age_seconds"])
                return planning.status(device)

    @blp.route("/push/device/pause")
    class Pause(MethodView):
        @blp.response(200, schemas.device)
        @blp.doc(security=DEVICE_AUTH)
        @errors(blp, 401, 429)
        def post(self):
            """Pause every reminder until midnight in the plan's time zone."""
            now = reminders.now()
            with store.session.begin() as session:
                device = load_device(session)
                planning.pause_today(device, now)
                return planning.status(device)

        @blp.response(200, schemas.device)
        @blp.doc(security=DEVICE_AUTH)
        @errors(blp, 401, 429)
        def delete(self):
            """End a pause now."""
            now = reminders.now()
            with store.session.begin() as session:
                device = load_device(session)
                planning.resume(device, now)
                return planning.status(device)

    @blp.route("/calendar/reminders.ics")
    class CalendarFile(MethodView):
        @blp.arguments(schemas.plan)
        @blp.response(200, content_type="text/calendar", description="An iCalendar file")
        @errors(blp, 413, 422, 429)
        def post(self, plan: dict):
            """The plan as an .ics file: recurring events with alarms. Nothing is stored."""
            now = planning.to_dt(reminders.now())
            tz = rules.zone(plan["timezone"])
            today = now.astimezone(tz).date()
            entries = [rules.entry_from_plan(t, item) for t, item in sorted(plan["reminders"].items())]
            events = event_count(entries)
            if events > MAX_EVENTS_PER_FILE:
                abort(422, message=f"This plan has {events} reminder times, more than a calendar file holds "
                                   f"({MAX_EVENTS_PER_FILE}): use fewer or non-overlapping ranges, or a longer "
                                   "interval.", errors={"reminders": ["Too many reminder times for one file."]})

            def build() -> bytes:
                return build_calendar(entries, tz, reminders.texts, reminders.settings.public_url, today, now)

            body = reminders.calendars.get(plan, today, build)
            return Response(body, content_type="text/calendar; charset=utf-8", headers={
                "Content-Disposition": 'attachment; filename="mid-back-relief-reminders.ics"',
                "Cache-Control": "no-store",
            })

    return blp


def register(api: Api, reminders: Reminders) -> None:
    api.spec.components.security_scheme("deviceToken", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(make_blueprint(reminders))
