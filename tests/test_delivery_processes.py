"""Delivery with real processes: `python -m server worker` killed with SIGKILL in the
middle of a batch, two workers at once, and `python -m server` serving the app with its
scheduler thread - on SQLite and PostgreSQL. Everything is counted (messages, scheduler
passes as the workers log them), never timed: waits are for an event, with a deadline
that only turns a hang into a failure."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select, update

from server.reminders import rules
from tests.conftest_push import (  # noqa: F401
    ManualClock,
    database_url_fixture,
    postgres_cluster_fixture,
    push_config,
    push_service_fixture,
)
from tests.postgres import free_port
from tests.test_push import make_app, plan

ROOT = Path(__file__).resolve().parent.parent
EVERY_15_MINUTES = ("posture-break", {"interval": 15, "windows": [{"start": "00:00", "end": "24:00"}],
                                      "days": list(rules.DAY_NAMES)})
PASS_LINE = re.compile(r"scheduler pass (\d+) at (\d+): claimed (\d+) sent (\d+)")


class Worker:
    """`python -m server worker`, its log read as it comes."""

    def __init__(self, env: dict[str, str], poll: float = 0.2):
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.process = subprocess.Popen([sys.executable, "-m", "server", "worker", "--poll", str(poll)], cwd=ROOT,
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def passes(self) -> list[tuple[int, int, int, int]]:
        """(number, at, claimed, sent) of every pass so far."""
        with self.changed:
            return [tuple(int(g) for g in m.groups()) for line in self.lines if (m := PASS_LINE.search(line))]

    def wait_for(self, condition, what: str, timeout: float = 90) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: condition() or self.process.poll() is not None, timeout):
                raise AssertionError(f"timed out waiting for {what}:\n" + "\n".join(self.lines[:15] + self.lines[-5:]))
        assert condition(), f"worker exited before {what}:\n" + "\n".join(self.lines[-30:])

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        return code


def worker_env(instance: str, database_url: str | None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "MBR_INSTANCE_DIR": instance, "MBR_PUSH_ALLOWED_HOSTS": "127.0.0.1",
           "MBR_LOG_LEVEL": "DEBUG", "PYTHONUNBUFFERED": "1", **extra}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def make_all_due(app, seconds_ago: int = 5) -> int:
    now = int(time.time())
    with app.reminders.store.session.begin() as session:
        from server.reminders.store import Schedule

        session.execute(update(Schedule).values(due_at=now - seconds_ago, send_at=now - seconds_ago))
    return now - seconds_ago


def ids_received(service) -> list[tuple[str, str]]:
    """(subscription, reminder id) of every message: the same reminder id reaches every
    device whose plan has it, so a duplicate is a repeat for one subscription."""
    with service._lock:
        return [(r.subscription, r.payload["notification"]["data"]["id"]) for r in service.received]


@pytest.fixture
def instance(tmp_path) -> str:
    return str(tmp_path / "instance")


@pytest.fixture
def app(instance, push_service, database_url):
    app = make_app(instance, ManualClock(time.time()), push_service, database_url)
    yield app
    app.reminders.close()


def subscribe_many(app, push_service, count: int) -> list:
    client = app.test_client()
    subscribers = [push_service.subscribe() for _ in range(count)]
    for sub in subscribers:
        response = client.post("/api/v1/push/subscriptions",
                               json={"subscription": sub.json(), "plan": plan(EVERY_15_MINUTES)})
        assert response.status_code == 201, response.get_json()
    return subscribers


def test_a_worker_killed_mid_batch_repeats_only_its_in_flight_sends(app, instance, push_service, database_url):
    """SIGKILL while four sends are in flight: those four (one per sender thread) may
    come again; everything else is sent once, the rest of the batch by the first pass
    of another worker after the dead worker's lease ran out."""
    from server.reminders.store import Schedule

    threads, answered = 4, 10
    subscribers = subscribe_many(app, push_service, 40)
    make_all_due(app)
    env = worker_env(instance, database_url, MBR_SCHEDULER_LEASE_SECONDS="4", MBR_PUSH_SEND_THREADS=str(threads))
    push_service.hold_after = answered
    doomed = Worker(env)
    try:
        push_service.wait_held(threads)  # every sender thread is waiting for an answer
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait(timeout=30)
    finally:
        doomed.stop()
    in_flight = ids_received(push_service)[answered:]
    assert len(in_flight) == threads
    push_service.release()
    with app.reminders.store.session() as session:
        lease_end = session.scalar(select(func.max(Schedule.claimed_until)).where(Schedule.claim_token.is_not(None)))
        leased = session.scalar(select(func.count()).select_from(Schedule).where(Schedule.claim_token.is_not(None)))
        unclaimed_due = session.scalar(select(func.count()).select_from(Schedule).where(
            Schedule.claim_token.is_(None), Schedule.send_at <= int(time.time())))
    # What the dead worker recorded is done; the rest of its batch waits for the lease.
    assert leased + unclaimed_due == len(subscribers) - answered
    assert leased >= threads

    survivor = Worker(env)
    try:
        survivor.wait_for(lambda: len(set(ids_received(push_service))) == len(subscribers), "every reminder")
        # Two more passes that send nothing: a later duplicate would have shown up by then.
        done_at = len(survivor.passes())
        survivor.wait_for(lambda: len(survivor.passes()) >= done_at + 2, "two more passes")
    finally:
        assert survivor.stop() == 0
    passes = survivor.passes()
    first_after_lease = next(i for i, (_, at, _, _) in enumerate(passes) if at > lease_end)
    assert sum(sent for *_, sent in passes[:first_after_lease + 1]) == len(subscribers) - answered
    assert sum(sent for *_, sent in passes[first_after_lease + 1:]) == 0
    # Before the lease ended (if the survivor was up by then), only rows nobody had
    # claimed were sent: its first pass takes all of them.
    if first_after_lease:
        assert passes[0][3] == unclaimed_due
        assert sum(sent for *_, sent in passes[1:first_after_lease]) == 0
    received = ids_received(push_service)
    repeated = sorted({i for i in received if received.count(i) > 1})
    assert repeated == sorted(in_flight) and all(received.count(i) == 2 for i in repeated)
    assert len(received) == len(subscribers) + threads
    assert push_service.problems == []


def test_two_workers_send_each_reminder_once_and_stop_cleanly(app, instance, push_service, database_url):
    """`python -m server worker`, twice at once, as separate processes on one database."""
    subscribers = subscribe_many(app, push_service, 20)
    make_all_due(app)
    push_service.delay = 0.02
    env = worker_env(instance, database_url)
    workers = [Worker(env), Worker(env)]
    try:
        workers[0].wait_for(lambda: len(push_service.received) >= len(subscribers), "every reminder")
        # Each worker completes two further passes after the last message arrived: any
        # duplicate (a row claimed twice) would have been sent by then.
        marks = [len(w.passes()) for w in workers]
        for worker, mark in zip(workers, marks, strict=True):
            worker.wait_for(lambda w=worker, m=mark: len(w.passes()) >= m + 2, "two more passes")
    finally:
        codes = [w.stop() for w in workers]
    assert codes == [0, 0], [w.lines[-10:] for w in workers]
    assert all(len(push_service.messages_for(s)) == 1 for s in subscribers)
    assert sum(sent for w in workers for *_, sent in w.passes()) == len(subscribers)
    assert push_service.problems == []


def serve(instance: str, port: int, database_url: str | None = None, **env: str) -> subprocess.Popen:
    environment = worker_env(instance, database_url, PORT=str(port), HOST="127.0.0.1", **env)
    return subprocess.Popen([sys.executable, "-m", "server"], cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_until_serving(process: subprocess.Popen, port: int) -> None:
    """Read the log until waitress says it listens (it logs that after binding)."""
    seen = []
    for line in process.stdout:
        seen.append(line)
        if f"Serving on http://127.0.0.1:{port}" in line:
            break
    else:
        raise AssertionError("python -m server exited:\n" + "".join(seen[-20:]))
    threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained


def test_python_m_server_runs_its_scheduler_thread(tmp_path, push_service, database_url):
    """The served app (waitress + scheduler thread) delivers a reminder that falls due."""
    instance, port = str(tmp_path / "served"), free_port()
    server = serve(instance, port, database_url, MBR_SCHEDULER_POLL_SECONDS="0.2")
    try:
        wait_until_serving(server, port)
        key = requests.get(f"http://127.0.0.1:{port}/api/v1/push/key", timeout=10).json()["public_key"]
        push_service.vapid_public_key = key
        subscriber = push_service.subscribe()
        answer = requests.post(f"http://127.0.0.1:{port}/api/v1/push/subscriptions", timeout=10,
                               json={"subscription": subscriber.json(), "plan": plan(EVERY_15_MINUTES)})
        assert answer.status_code == 201, answer.text
        # Bring its first reminder forward to now (through the same database).
        from server.reminders.store import Store, default_url

        store = Store(database_url or default_url(instance))
        due = int(time.time())
        from server.reminders.store import Schedule

        with store.session.begin() as session:
            session.execute(update(Schedule).values(due_at=due, send_at=due))
        store.dispose()
        push_service.wait_received(1, alive=lambda: server.poll() is None)
        [message] = push_service.messages_for(subscriber)
        assert message["notification"]["data"] == {"id": f"posture-break:{due * 1000}", "type": "posture-break",
                                                   "due": due * 1000}
        assert push_service.problems == []
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            assert server.wait(timeout=90) == 0
        except subprocess.TimeoutExpired:
            server.kill()
            raise


def half_sent(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        sockets.append(s)
    return sockets


@pytest.mark.parametrize("setting", ["limit", "timeout"])
def test_idle_half_sent_connections_do_not_lock_anyone_out(tmp_path, setting):
    """150 connections that send half a request and wait. With the default connection
    limit the app still answers at once (the channel timeout is set far away so it cannot
    help); and waitress closes such connections after the channel timeout."""
    instance, port = str(tmp_path / "served"), free_port()
    timeout = "120" if setting == "limit" else "2"
    server = serve(instance, port, MBR_SCHEDULER="off", MBR_CHANNEL_TIMEOUT=timeout)
    sockets: list[socket.socket] = []
    try:
        wait_until_serving(server, port)
        sockets = half_sent(port, 150)
        if setting == "limit":
            response = requests.get(f"http://127.0.0.1:{port}/api/v1/content/version", timeout=10)
            assert response.status_code == 200
        else:
            # The server ends the idle connection (recv sees the end), not the client.
            sockets[0].settimeout(60)
            assert sockets[0].recv(1024) == b""
    finally:
        for s in sockets:
            s.close()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=90) == 0
