"""Reminders in real Chromium: a push delivered through the DevTools Protocol shows the
right notification with its actions, Start opens the routine (offline too), Snooze and
Done from a notification reach the server and the history; without notification
permission an in-app banner reminds instead; the plan editor, its sync and the
calendar file; and the page's schedule code agrees with the server's."""

from __future__ import annotations

import io
import json
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from icalendar import Calendar
from playwright.sync_api import expect

from server.reminders import rules as rem
from tests.conftest import PHONE, wait_for_service_worker, wait_until
from tests.conftest_push import ManualClock, push_config, push_service_fixture  # noqa: F401

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
MODULE = "new URL(document.querySelector('script[data-src*=\"reminders-page.js\"]').dataset.src, location.href).href"
# The rules module as the reminders page imports it (the same instance, configured by the page).
RULES_MODULE = f"new URL('./reminder-rules.js', {MODULE}).href"


@pytest.fixture
def server(make_live_server, push_service):
    live = make_live_server(**push_config())
    push_service.vapid_public_key = live.app.reminders.vapid_public_key
    return live


# Playwright's contexts are incognito profiles, where Chromium refuses a real push
# subscription and logs that itself; these tests give the page's code a subscription from
# the local push service instead.
INCOGNITO_PUSH = r"does not support the Push API in incognito mode"


@pytest.fixture
def london_page(new_context):
    """A page in a London-time context; errors fail the test (conftest's ErrorGuard)."""

    def make(**options):
        context = new_context(viewport=PHONE, timezone_id="Europe/London", **options)
        return context, context.new_page()

    return make


def register(page, subscription: dict) -> dict:
    """Store a subscription through the page's own code (push-device.js registerDevice).
    Headless Chromium cannot obtain a real one: it has no push service to talk to."""
    return page.evaluate(f"async (sub) => (await import({MODULE})).registerDevice(sub)", subscription)


def device_token(page) -> str:
    return page.evaluate(
        "caches.open('reminder-device').then((c) => c.match('/__reminders/device')).then((r) => r.json())")["token"]


class PushDriver:
    """Delivers push messages to the page's service worker through CDP, as the browser's
    push service connection would."""

    def __init__(self, context, page, origin: str):
        self.page, self.origin = page, origin
        self.registrations: dict[str, str] = {}
        self.cdp = context.new_cdp_session(page)
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", self._updated)
        self.cdp.send("ServiceWorker.enable")

    def _updated(self, event: dict) -> None:
        for reg in event["registrations"]:
            if not reg["isDeleted"]:
                self.registrations[reg["scopeURL"]] = reg["registrationId"]

    def registration_id(self) -> str:
        deadline = time.monotonic() + 10
        while self.origin + "/" not in self.registrations:
            assert time.monotonic() < deadline, "no service worker registration reported"
            self.page.wait_for_timeout(50)
        return self.registrations[self.origin + "/"]

    def deliver(self, payload: dict) -> dict:
        """Push `payload`; return once the worker's showNotification has settled (the
        worker then tells open pages), because getNotifications() leaves out a
        notification still being shown."""
        self.page.evaluate("""() => {
          window.__shown = new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no notification shown')), 10000);
            navigator.serviceWorker.addEventListener('message', function on(event) {
              if (!event.data || event.data.type !== 'REMINDER_SHOWN') return;
              navigator.serviceWorker.removeEventListener('message', on);
              clearTimeout(timer);
              resolve(event.data);
            });
          });
        }""")
        self.cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": self.origin, "registrationId": self.registration_id(), "data": json.dumps(payload)})
        return self.page.evaluate("window.__shown")

    def notifications(self) -> list[dict]:
        return notifications(self.page)


def notifications(page) -> list[dict]:
    return page.evaluate("""navigator.serviceWorker.ready
      .then((r) => r.getNotifications())
      .then((list) => list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data,
                                        actions: n.actions.map((a) => [a.action, a.title]) })))""")


WAIT_FOR_REPEAT = """() => {
  window.__repeated = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the repeat was not recognised')), 10000);
    navigator.serviceWorker.addEventListener('message', function on(event) {
      if (!event.data || !['REMINDER_REPEATED', 'REMINDER_SHOWN'].includes(event.data.type)) return;
      navigator.serviceWorker.removeEventListener('message', on);
      clearTimeout(timer);
      resolve(event.data);
    });
  });
}"""

WAIT_FOR_SHOWN = """() => {
  window.__shown = new Promise((resolve) => {
    navigator.serviceWorker.addEventListener('message', function on(event) {
      if (!event.data || event.data.type !== 'REMINDER_SHOWN') return;
      navigator.serviceWorker.removeEventListener('message', on);
      resolve(event.data);
    });
  });
}"""


def worker_of(context, origin: str):
    return next(w for w in context.service_workers if w.url.startswith(origin))


def click_notification(context, origin: str, action: str) -> None:
    """What the browser does when the person taps the notification (action "start": the
    body, which has no action name) or one of its buttons.

    Headless Chromium has no notification UI to click and the DevTools protocol has no
    command that clicks a notification, so a real NotificationEvent for the shown
    notification is dispatched on the worker's global scope: it reaches whatever the
    worker registered with addEventListener('notificationclick') - a renamed or missing
    listener handles nothing and this fails. The test only supplies waitUntil, because
    the real one throws on an event made by script (isTrusted is false); it collects the
    listener's promise and waits for it."""
    worker_of(context, origin).evaluate("""async (action) => {
      const [notification] = await self.registration.getNotifications();
      if (!notification) throw new Error('no notification to click');
      const event = new NotificationEvent('notificationclick',
                                          { notification, action: action === 'start' ? '' : action });
      const pending = [];
      Object.defineProperty(event, 'waitUntil', { value: (promise) => { pending.push(promise); } });
      self.dispatchEvent(event);
      if (!pending.length) throw new Error('no notificationclick listener handled the click');
      await Promise.all(pending);
      return true;
    }""", action)


# The queue of reminder actions, read under the lock its writers hold (a read during a
# write may find no entry at all).
QUEUE = ("navigator.locks.request('mbr-reminder-queue', () => caches.open('reminder-device')"
         ".then((c) => c.match('/__reminders/queue')).then((r) => (r ? r.json() : [])))")
PUSH_DEVICE = f"new URL('./push-device.js', {MODULE}).href"


def wait_for_empty_queue(page) -> None:
    """Until the queue of reminder actions is empty, within 30 s."""
    wait_until(page, f"async () => (await {QUEUE}).length === 0")


def record_actions(app) -> list[dict]:
    """Every snooze and done the server receives, with its JSON body and the answer's
    status, in order (a WSGI layer in front of the real app)."""
    seen: list[dict] = []
    inner = app.wsgi_app

    def wsgi(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ["REQUEST_METHOD"] != "POST" or path not in ("/api/v1/push/device/snooze",
                                                               "/api/v1/push/device/done"):
            return inner(environ, start_response)
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        entry = {"action": path.rsplit("/", 1)[1], "body": json.loads(raw or b"null")}
        seen.append(entry)

        def start(status, headers, exc_info=None):
            entry["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        return inner(environ, start)

    app.wsgi_app = wsgi
    return seen


def test_push_shows_the_reminder_with_actions_and_start_opens_the_routine(server, push_service,
                                                                        london_page):
    content = server.app.extensions["mbr_content"]
    received = record_actions(server.app)
    # The server's clock: a Monday morning, so every step below falls in active hours.
    server.app.reminders.clock = ManualClock(datetime(2024, 6, 3, 8, tzinfo=LONDON).timestamp())
    context, page = london_page(service_workers="allow")
    context.error_guard.allow(INCOGNITO_PUSH)
    context.grant_permissions(["notifications"], origin=server.url)

    # "My back": desk work and stress. Those switch on the fitting reminder types.
    page.goto(server.url + "/")
    page.evaluate("localStorage.setItem('mbr.plan', JSON.stringify({choices: ['desk-work', 'stress'], "
                  "skipped: false, updated: new Date().toISOString()}))")
    page.goto(server.url + "/reminders")
    wait_for_service_worker(page)
    on = {t: page.locator(f"#on-{t}").is_checked() for t in content.reminders}
    # The daily check-in is never switched on by a choice: the person turns it on.
    assert on == {"posture-break": True, "movement-snack": True, "hydration": False, "breathing": True,
                  "daily-checkin": False}

    # Turning notifications on asks for permission and tries to subscribe; this Chromium
    # has no push service, so the page says what still works.
    page.locator("#notify-on").click()
    expect(page.locator("#delivery-status")).to_contain_text("could not be set up")
    # A warning, marked as one, in plain words: the browser's reason goes to the console.
    expect(page.locator("#delivery-status")).to_have_class(re.compile(r"\bstatus-warning\b"))
    assert "(" not in page.locator("#delivery-status").inner_text()
    assert page.evaluate("Notification.permission") == "granted"

    subscriber = push_service.subscribe()
    stored = register(page, subscriber.json())
    assert sorted(stored["reminders"]) == ["breathing", "movement-snack", "posture-break"]
    assert stored["timezone"] == "Europe/London"
    token = device_token(page)
    page.reload()
    expect(page.locator("#delivery-status")).to_have_text("On: reminders reach this phone even when the app is closed.")
    expect(page.locator("#notify-off")).to_be_visible()

    # The scheduler, at the first due time, sends through the local push service ...
    first_due = min(datetime.fromisoformat(r["next_due"]) for r in stored["reminders"].values())
    assert first_due == datetime(2024, 6, 3, 9, 30, tzinfo=LONDON)
    stats = server.app.reminders.scheduler(threads=1).run_once(first_due.timestamp())
    assert stats.sent >= 1 and push_service.problems == []
    [payload] = push_service.messages_for(subscriber)
    data = payload["notification"]["data"]
    assert data["type"] == "posture-break"
    due = data["due"] // 1000
    kind = content.reminders[data["type"]]

    # ... and the browser shows what arrives, with its actions.
    driver = PushDriver(context, page, server.url)
    shown = driver.deliver(payload)
    assert shown["tag"] == f"reminder-{data['type']}"
    notes = driver.notifications()
    assert len(notes) == 1
    note = notes[0]
    assert (note["title"], note["body"]) == (kind["title"], kind["message"])
    assert note["data"] == data
    # Chromium shows two buttons; tapping the notification itself is Start.
    assert page.evaluate("Notification.maxActions") == 2
    assert note["actions"] == [["snooze", "Snooze 10 min"], ["done", "Done"]]

    click_notification(context, server.url, "start")
    page.wait_for_url(f"**/routines/{kind['routine']}?start=1")
    # The first routine on a phone waits for a press of Start, with "Before you start"
    # in view (tests/test_browser_safety_content.py); later ones start by themselves.
    expect(page.locator("#player-start")).to_be_focused()
    page.locator("#player-start").click()
    expect(page.locator("#player-now")).to_be_visible()
    assert driver.notifications() == []

    # Snooze from the notification reaches the server and the history on the phone. The
    # server's clock is set to just after the reminder, inside active hours (a snooze
    # that would ring after hours is dropped).
    server.app.reminders.clock = ManualClock(due + 60)
    page.goto(server.url + "/reminders")
    # The same reminder again is not shown again; the next one of its type is.
    page.evaluate(WAIT_FOR_REPEAT)
    driver.cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": server.url, "registrationId": driver.registration_id(), "data": json.dumps(payload)})
    assert page.evaluate("window.__repeated") == {"type": "REMINDER_REPEATED", "id": data["id"]}
    assert driver.notifications() == []
    later = json.loads(json.dumps(payload))
    later["notification"]["data"].update(id=f"{data['type']}:{data['due'] + 1800_000}", due=data["due"] + 1800_000)
    driver.deliver(later)
    click_notification(context, server.url, "snooze")
    status = requests.get(server.url + "/api/v1/push/device", headers={"Authorization": f"Bearer {token}"},
                          timeout=10).json()
    snoozed = status["reminders"][data["type"]]
    assert datetime.fromisoformat(snoozed["snoozed_until"]).timestamp() == due + 60 + 600
    expect(page.locator("#reminder-history")).to_contain_text(f"{kind['title']} started ×1")
    expect(page.locator("#reminder-history")).to_contain_text(f"{kind['title']} snoozed ×1")

    # The worker told the server (one request, sent now), so no page sends it again.
    assert received == [{"action": "snooze", "body": {"type": data["type"], "minutes": 10}, "status": 200}]
    wait_for_empty_queue(page)

    # The browser's own lines for the worker's attempt while offline and for the 409 below.
    context.error_guard.allow(r"ERR_INTERNET_DISCONNECTED \(http://127\.0\.0\.1:\d+/api/v1/push/device/done\)",
                              r"status of 409 \(CONFLICT\) \(http://127\.0\.0\.1:\d+/api/v1/push/device/snooze\)")
    # Offline, Done on a notification cannot reach the server: the worker queues it in
    # Cache Storage as not yet told, and the page applies it to the history once (a
    # reload, from the cache, neither loses nor repeats it) and keeps it queued.
    def posture_status() -> dict:
        return requests.get(server.url + "/api/v1/push/device", headers={"Authorization": f"Bearer {token}"},
                            timeout=10).json()["reminders"][data["type"]]

    assert posture_status()["next_due"] == snoozed["snoozed_until"]
    context.set_offline(True)
    offline = json.loads(json.dumps(payload))
    offline["notification"]["data"].update(id=f"{data['type']}:{data['due'] + 3600_000}",
                                           due=data["due"] + 3600_000)
    driver.deliver(offline)
    click_notification(context, server.url, "done")
    expect(page.locator("#reminder-history")).to_contain_text(f"{kind['title']} done ×1")
    page.reload()
    expect(page.locator("#reminder-history")).to_contain_text(f"{kind['title']} done ×1")
    [queued] = page.evaluate(QUEUE)
    assert (queued["action"], queued["type"], queued["told"], queued["applied"]) == ("done", data["type"], False, True)
    assert len(received) == 1

    # Back online, the page sends it: exactly one request, with how long ago it was
    # tapped; the server's snooze is cancelled and the next slot moves on.
    context.set_offline(False)
    wait_for_empty_queue(page)
    assert len(received) == 2
    assert received[1]["action"] == "done" and received[1]["status"] == 200
    assert received[1]["body"]["type"] == data["type"] and 0 <= received[1]["body"]["age_seconds"] < 120
    after_done = posture_status()
    assert after_done["snoozed_until"] is None
    assert datetime.fromisoformat(after_done["next_due"]).timestamp() == due + after_done["interval"] * 60
    # Another load (and another explicit send) sends nothing again; the history has it once.
    page.reload()
    page.evaluate(f"async () => (await import({PUSH_DEVICE})).sendQueued()")
    assert len(received) == 2
    expect(page.locator("#reminder-history")).to_contain_text(f"{kind['title']} done ×1")

    # A snooze tapped offline that reaches the server after its time has passed (the
    # phone stayed offline for 20 minutes) is refused (409) and dropped with a warning;
    # the server's schedule does not change and the queue empties.
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    context.set_offline(True)
    again = json.loads(json.dumps(payload))
    again["notification"]["data"].update(id=f"{data['type']}:{data['due'] + 5400_000}", due=data["due"] + 5400_000)
    driver.deliver(again)
    click_notification(context, server.url, "snooze")
    expect(page.locator("#reminder-history")).to_contain_text(f"{kind['title']} snoozed ×2")
    page.evaluate("""() => navigator.locks.request('mbr-reminder-queue', async () => {
      const cache = await caches.open('reminder-device');
      const queue = await (await cache.match('/__reminders/queue')).json();
      for (const item of queue) item.at = new Date(Date.now() - 20 * 60 * 1000).toISOString();
      await cache.put('/__reminders/queue', new Response(JSON.stringify(queue)));
    })""")
    assert len(received) == 2
    context.set_offline(False)
    wait_for_empty_queue(page)
    assert len(received) == 3
    assert received[2]["action"] == "snooze" and received[2]["status"] == 409
    assert received[2]["body"]["age_seconds"] >= 20 * 60
    assert posture_status() == after_done
    assert any("refused a snooze" in w and "run out" in w for w in warnings), warnings
    expect(page.locator("#reminder-history")).to_contain_text(f"{kind['title']} snoozed ×2")

    # Offline, a push that names only the type still shows the right words, and Start
    # opens its routine from the cache.
    context.set_offline(True)
    breathing = content.reminders["breathing"]
    driver.deliver({"type": "breathing"})
    note = driver.notifications()[0]
    assert (note["title"], note["body"]) == (breathing["title"], breathing["message"])
    click_notification(context, server.url, "start")
    page.wait_for_url(f"**/routines/{breathing['routine']}?start=1")
    expect(page.locator("h1")).to_have_text(content.routines[breathing["routine"]]["title"])
    context.set_offline(False)

    # Stop: everything stored for the device goes.
    page.goto(server.url + "/reminders")
    page.locator("#notify-off").click()
    expect(page.locator("#delivery-status")).to_contain_text("Nothing about this phone is stored")
    assert requests.get(server.url + "/api/v1/push/device", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code == 401


def test_a_snooze_on_the_page_while_offline_reaches_the_server_once_back_online(server, push_service,
                                                                              london_page):
    """The banner's (and a link's) actions go through act(): offline, the server cannot be
    told, so the action is queued as applied but untold and sent once back online."""
    received = record_actions(server.app)
    now = datetime(2024, 6, 3, 9, 31, tzinfo=LONDON).timestamp()  # a Monday, in active hours
    server.app.reminders.clock = ManualClock(now)
    context, page = london_page(service_workers="allow")
    context.error_guard.allow(r"ERR_INTERNET_DISCONNECTED \(http://127\.0\.0\.1:\d+/api/v1/push/device/snooze\)")
    page.goto(server.url + "/reminders")
    wait_for_service_worker(page)
    register(page, push_service.subscribe().json())
    token = device_token(page)

    context.set_offline(True)
    watch = f"new URL('./reminder-watch.js', {MODULE}).href"
    page.evaluate(f"async () => {{ await (await import({watch})).act('posture-break', 'snooze', {{ minutes: 30 }}); }}")
    [queued] = page.evaluate(QUEUE)
    assert (queued["action"], queued["minutes"], queued["told"], queued["applied"]) == ("snooze", 30, False, True)
    assert received == []

    context.set_offline(False)
    wait_for_empty_queue(page)
    [sent] = received
    assert sent["action"] == "snooze" and sent["status"] == 200 and sent["body"]["minutes"] == 30
    status = requests.get(server.url + "/api/v1/push/device", headers={"Authorization": f"Bearer {token}"},
                          timeout=10).json()["reminders"]["posture-break"]
    assert datetime.fromisoformat(status["snoozed_until"]).timestamp() == now - sent["body"]["age_seconds"] + 1800
    page.reload()
    page.evaluate(f"async () => (await import({PUSH_DEVICE})).sendQueued()")
    assert len(received) == 1
    history = page.locator("#reminder-history")
    expect(history).to_contain_text("Posture break snoozed ×1")


def test_while_the_app_is_open_reminders_come_as_notifications(live_server, london_page):
    """Notifications allowed but no push subscription (this Chromium has no push service):
    the open page asks its service worker to show each due reminder."""
    context, page = london_page(service_workers="allow")
    context.error_guard.allow(INCOGNITO_PUSH)
    context.grant_permissions(["notifications"], origin=live_server.url)
    page.clock.install(time=datetime(2024, 6, 3, 9, 29, tzinfo=LONDON))  # a Monday
    page.goto(live_server.url + "/reminders")
    wait_for_service_worker(page)
    page.locator("#notify-on").click()
    expect(page.locator("#delivery-status")).to_contain_text("on while the app is open")
    page.evaluate(WAIT_FOR_SHOWN)
    page.clock.run_for(75_000)
    assert page.evaluate("window.__shown")["tag"] == "reminder-posture-break"
    [note] = notifications(page)
    assert note["title"] == "Posture break"
    due_ms = int(datetime(2024, 6, 3, 9, 30, tzinfo=LONDON).timestamp()) * 1000
    assert note["data"] == {"id": f"posture-break:{due_ms}", "type": "posture-break", "due": due_ms}
    expect(page.locator("#reminder-banner")).to_be_hidden()


def test_without_permission_an_in_app_banner_reminds(live_server, london_page):
    context, page = london_page(service_workers="allow")
    page.clock.install(time=datetime(2024, 6, 3, 9, 29, tzinfo=LONDON))  # a Monday
    page.goto(live_server.url + "/reminders")
    expect(page.locator("#next-reminder")).to_have_text("Next: Posture break at 09:30.")
    page.locator("#notify-on").click()  # headless Chromium answers "denied"
    expect(page.locator("#permission-denied")).to_be_visible()
    expect(page.locator("#delivery-status")).to_have_text("Reminders show as a banner while the app is open.")

    banner = page.locator("#reminder-banner")
    expect(banner).to_be_hidden()
    page.clock.run_for(75_000)
    expect(banner).to_be_visible()
    expect(page.locator("#banner-title")).to_have_text("Posture break")
    expect(page.locator("#banner-start")).to_have_attribute("href", "/routines/desk-reset?start=1")
    page.locator("#banner-done").click()
    expect(banner).to_be_hidden()
    expect(page.locator("#next-reminder")).to_have_text("Next: Posture break at 10:00.")

    page.clock.run_for(30 * 60_000)
    expect(banner).to_be_visible()
    page.locator("#banner-snooze10").click()
    expect(page.locator("#next-reminder")).to_have_text("Next: Posture break at 10:10.")
    page.clock.run_for(10 * 60_000 + 16_000)  # the page checks every 15 s
    expect(banner).to_be_visible()
    page.locator("#banner-done").click()

    page.locator("#pause-today").click()
    expect(page.locator("#next-reminder")).to_contain_text("Paused until")
    page.clock.run_for(3600_000)
    expect(banner).to_be_hidden()

    page.locator("#drank").click()
    page.locator("#drank").click()
    expect(page.locator("#glasses-text")).to_have_text("2 of 8 glasses")
    history = page.locator("#reminder-history")
    expect(history.locator("li strong").first).to_have_text("Today")
    expect(history).to_contain_text("Posture break done ×2")
    expect(history).to_contain_text("Posture break snoozed ×1")
    expect(history).to_contain_text("2 glasses of water")
    # Kept on the device, under the app's one key for reminders.
    stored = page.evaluate("JSON.parse(localStorage.getItem('mbr.reminders'))")
    assert {e["action"] for e in stored["log"]} == {"done", "snooze", "drank"}


def test_plan_editor_saves_syncs_and_exports_a_calendar(server, push_service, london_page, tmp_path):
    context, page = london_page(service_workers="allow", accept_downloads=True)
    page.goto(server.url + "/reminders")
    token = register(page, push_service.subscribe().json())["device"]

    # A bad interval is refused in place, and nothing is saved.
    page.locator("#interval-posture-break").fill("10")
    page.locator("#reminder-plan button[type=submit]").click()
    expect(page.locator("#plan-status")).to_contain_text("Choose 15 to 240 minutes.")
    expect(page.locator("#interval-posture-break")).to_have_attribute("aria-invalid", "true")

    page.locator("#interval-posture-break").fill("45")
    page.locator("#on-hydration").check()
    page.locator("#window-end-0").fill("12:30")
    page.locator("#add-window").click()
    page.locator("#window-start-1").fill("13:30")
    page.locator("#window-end-1").fill("17:00")
    page.locator("#days").get_by_role("checkbox", name="Friday").uncheck()
    page.locator("#timezone").select_option("Europe/Dublin")
    page.locator("#reminder-plan button[type=submit]").click()
    expect(page.locator("#plan-status")).to_have_text("Saved. Notifications follow the new plan.")

    settings = page.evaluate("JSON.parse(localStorage.getItem('mbr.reminders')).settings")
    assert settings["types"]["posture-break"] == {"on": True, "interval": 45}
    assert settings["windows"] == [{"start": "09:00", "end": "12:30"}, {"start": "13:30", "end": "17:00"}]
    assert settings["days"] == ["mon", "tue", "wed", "thu"]
    stored = requests.get(server.url + "/api/v1/push/device", headers={"Authorization": f"Bearer {token}"},
                          timeout=10).json()
    assert stored["timezone"] == "Europe/Dublin"
    posture = stored["reminders"]["posture-break"]
    assert (posture["interval"], posture["days"]) == (45, ["mon", "tue", "wed", "thu"])
    assert posture["windows"] == settings["windows"]
    assert set(stored["reminders"]) == {"posture-break", "hydration"}

    # The same plan as a calendar file.
    with page.expect_download() as download:
        page.locator("#ics-download").click()
    path = tmp_path / "plan.ics"
    download.value.save_as(path)
    calendar = Calendar.from_ical(path.read_bytes())
    events = calendar.walk("VEVENT")
    expected = sum(len(rem.entry_from_plan(t, r).slot_minutes()) for t, r in stored["reminders"].items())
    assert len(events) == expected
    assert all(str(e["RRULE"].to_ical().decode()).startswith("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH") for e in events)
    expect(page.locator("#ics-status")).to_contain_text("Downloaded")


def minute_of_day(ms: int, tz: ZoneInfo) -> int:
    local = datetime.fromtimestamp(ms / 1000, tz)
    return local.hour * 60 + local.minute


ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"]


@pytest.mark.parametrize("zone", ZONES)
def test_the_page_schedule_agrees_with_the_server(live_server, london_page, zone):
    """The in-app reminders use the page's copy of the schedule rules (reminder-rules.js,
    configured from the page data): over weeks with clock changes (Lord Howe moves by 30
    minutes, Chatham sits at UTC+13:45) both give the same instants, including the slots
    that fall exactly on a window's end (the default plan's 17:30). The full comparison
    runs in Node (tests/test_reminder_rules_parity.py); this proves the page wires it up."""
    context, page = london_page(service_workers="allow")
    page.goto(live_server.url + "/reminders")
    tz = ZoneInfo(zone)
    plans = [
        # Ends on the grid: 03:30 and 24:00 are whole intervals after 00:00 and 08:15.
        {"type": "posture-break", "interval": 35, "windows": [{"start": "00:00", "end": "03:30"},
                                                              {"start": "08:15", "end": "24:00"}],
         "days": list(rem.DAY_NAMES)},
        # The default plan's range with the posture break's default interval: 17:30 is a slot.
        {"type": "hydration", "interval": 30, "windows": [{"start": "09:00", "end": "17:30"}],
         "days": ["mon", "wed", "sat", "sun"]},
        # Past midnight, ending on the grid (03:10 is 13 intervals after 21:45), and a whole day.
        {"type": "breathing", "interval": 25, "windows": [{"start": "21:45", "end": "03:10"},
                                                          {"start": "06:00", "end": "06:00"}],
         "days": ["fri", "sat"]},
    ]
    spans = [(datetime(2024, 3, 6, tzinfo=tz), 28), (datetime(2024, 9, 29, tzinfo=tz), 42)]
    window_ends = 0
    for item in plans:
        entry = rem.entry_from_plan(item["type"], item)
        ends = {w.end % 1440 for w in entry.windows}
        for start, days in spans:
            end = start + timedelta(days=days)
            expected = [int(t.timestamp() * 1000) for t in rem.occurrences(entry, tz, start, end)]
            at_ends = [t for t in expected if minute_of_day(t, tz) in ends]
            window_ends += len(at_ends)
            found = page.evaluate(
                f"async ([e, tz, a, b]) => (await import({RULES_MODULE})).occurrences(e, tz, a, b)",
                [item, zone, int(start.timestamp() * 1000), int(end.timestamp() * 1000)])
            assert found == expected, (zone, item["type"], start)
            after = int((start + timedelta(days=3, hours=13, minutes=7)).timestamp() * 1000)
            js_next = page.evaluate(f"async ([e, tz, t]) => (await import({RULES_MODULE})).nextDue(e, tz, t)",
                                    [item, zone, after])
            py_next = rem.next_due(entry, tz, datetime.fromtimestamp(after / 1000, tz))
            assert js_next == int(py_next.timestamp() * 1000)
            # The last reminder up to and including a window's end is that end.
            js_latest = page.evaluate(
                f"async ([e, tz, a, b]) => (await import({RULES_MODULE})).latestDue(e, tz, a, b)",
                [item, zone, at_ends[-1] - 60_000, at_ends[-1]])
            assert js_latest == at_ends[-1]
    assert window_ends > 100, "the plans must put window ends on the grid"


def test_erase_everything_also_forgets_the_push_device_on_the_server(server, push_service, london_page):
    context, page = london_page(service_workers="allow")
    page.goto(server.url + "/reminders")
    token = register(page, push_service.subscribe().json())["device"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(server.url + "/api/v1/push/device", headers=auth, timeout=10).status_code == 200

    page.goto(server.url + "/settings")
    page.on("dialog", lambda d: d.accept())
    page.locator("#erase").click()
    expect(page.locator("#data-status")).to_have_text("Everything was erased from this phone.")
    # The server no longer knows the device: its token is refused and nothing is sent to it.
    assert requests.get(server.url + "/api/v1/push/device", headers=auth, timeout=10).status_code == 401
