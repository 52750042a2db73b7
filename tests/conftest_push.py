"""A real Web Push service on 127.0.0.1 for tests and the benchmark, plus fixtures.

The service does what FCM or Mozilla's autopush would do with our requests, and
checks them strictly:
- VAPID (RFC 8292): `Authorization: vapid t=<JWT>, k=<key>`; the key must be the app's
  public key, the JWT an ES256 signature by it, `aud` this service's origin, `exp` in
  the future and at most 24 hours away, `sub` a mailto: or https: contact.
- Encryption (RFC 8291/8188): `Content-Encoding: aes128gcm`; the body is decrypted with
  the subscription's private key and auth secret, which only the test (the "browser")
  holds; a message that does not decrypt is refused.
It answers 201 like a real push service, or whatever a test scripted (410, 503, ...).

Fixtures for storage: `database_url` runs a test on SQLite and on a fresh database in a
throw-away PostgreSQL cluster (tests/postgres.py), the PostgreSQL case marked `postgres`;
it fails, never skips, when PostgreSQL cannot start. `web_push_testing` is the npm
package of that name (an independent push service), started on a free loopback port.

A test module uses the fixtures by importing them (`from tests.conftest_push import
push_service_fixture`); they are registered under the names in `name=`, so a test's
parameter does not shadow the import.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
import time
import urllib.request
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from server.config import DEFAULTS
from tests.postgres import Cluster, PostgresUnavailable, free_port

TESTS = Path(__file__).resolve().parent


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    subscription: str
    payload: dict
    headers: dict[str, str]


@dataclass
class Subscriber:
    """The browser's side of a subscription: its keys and the JSON it would send."""

    id: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    endpoint: str

    def json(self) -> dict[str, Any]:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}


@dataclass
class LocalPushService:
    vapid_public_key: str | None = None  # base64url; when set, k= must be exactly this
    decrypt: bool = True
    delay: float = 0.0  # seconds per request, to make concurrent senders overlap
    received: list[Received] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    scripts: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    requests: int = 0
    # After this many accepted messages, hold every further answer until `release()`:
    # the messages are received (counted) but their senders wait, as when a push
    # service stalls - the moment a test kills a scheduler mid-batch.
    hold_after: int | None = None
    held: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._held_changed = threading.Condition(self._lock)
        self._received_changed = threading.Condition(self._lock)
        self._verified_tokens: set[str] = set()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real push services offer

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, headers = service.handle(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # keep-alive connections must not hold up stop()
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalPushService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()

    def subscribe(self) -> Subscriber:
        sub_id = b64url(os.urandom(12))
        sub = Subscriber(sub_id, ec.generate_private_key(ec.SECP256R1()), os.urandom(16),
                         f"{self.origin}/push/{sub_id}")
        with self._lock:
            self.subscribers[sub_id] = sub
        return sub

    def script(self, subscriber: Subscriber, *responses: int | tuple[int, dict[str, str]]) -> None:
        """The next answers for this subscription (then 201 again)."""
        with self._lock:
            self.scripts[subscriber.id].extend(responses)

    def forget(self, subscriber: Subscriber) -> None:
        """The person unsubscribed in the browser: from now on the endpoint is gone."""
        with self._lock:
            self.subscribers.pop(subscriber.id, None)

    def messages_for(self, subscriber: Subscriber) -> list[dict]:
        with self._lock:
            return [r.payload for r in self.received if r.subscription == subscriber.id]

    # --- checking one request --------------------------------------------------------

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        if self.delay:
            time.sleep(self.delay)
        headers = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.requests += 1
        sub_id = path.rsplit("/", 1)[-1]
        problem = self.check_vapid(headers.get("authorization", ""))
        if problem:
            return self.refuse(401, problem)
        if headers.get("content-encoding") != "aes128gcm":
            return self.refuse(400, f"content-encoding {headers.get('content-encoding')!r}")
        if "ttl" not in headers:
            return self.refuse(400, "no TTL header")
        with self._lock:
            subscriber = self.subscribers.get(sub_id)
            scripted = self.scripts[sub_id].popleft() if self.scripts.get(sub_id) else None
        if subscriber is None:
            return 410, {}
        if scripted is not None:
            status, extra = scripted if isinstance(scripted, tuple) else (scripted, {})
            return status, extra
        payload: dict = {}
        if self.decrypt:
            try:
                plain = http_ece.decrypt(body, private_key=subscriber.private_key,
                                         auth_secret=subscriber.auth, version="aes128gcm")
                payload = json.loads(plain)
            except Exception as exc:  # any failure to decrypt is the sender's bug
                return self.refuse(400, f"payload does not decrypt: {exc!r}")
        with self._lock:
            self.received.append(Received(sub_id, payload, headers))
            self._received_changed.notify_all()
            hold = self.hold_after is not None and len(self.received) > self.hold_after
            if hold:
                self.held += 1
                self._held_changed.notify_all()
            location = f"{self.origin}/message/{len(self.received)}"
        if hold:
            self._released.wait()
        return 201, {"Location": location}

    def wait_held(self, count: int, timeout: float = 60) -> None:
        """Block until `count` answers are being held."""
        with self._held_changed:
            if not self._held_changed.wait_for(lambda: self.held >= count, timeout):
                raise AssertionError(f"only {self.held} of {count} sends reached the push service")

    def wait_received(self, count: int, timeout: float = 60, alive=lambda: True) -> None:
        """Block until `count` messages were accepted (an event, not a poll); `alive` is
        asked every second so a sender that died fails the wait at once."""
        deadline = time.monotonic() + timeout
        with self._received_changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0 or not alive():
                    raise AssertionError(f"{len(self.received)} of {count} messages arrived")
                self._received_changed.wait(min(left, 1.0))

    def release(self) -> None:
        self.hold_after = None
        self._released.set()

    def refuse(self, status: int, problem: str) -> tuple[int, dict[str, str]]:
        with self._lock:
            self.problems.append(problem)
        return status, {}

    def check_vapid(self, authorization: str) -> str | None:
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            return f"authorization scheme {scheme!r} is not vapid"
        parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        token, key = parts.get("t", ""), parts.get("k", "")
        if self.vapid_public_key is not None and key != self.vapid_public_key:
            return "k= is not the application server's public key"
        with self._lock:
            if token in self._verified_tokens:
                return self.check_claims(token)
        try:
            header_b64, claims_b64, sig_b64 = token.split(".")
            header = json.loads(unb64url(header_b64))
            signature = unb64url(sig_b64)
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        except (ValueError, json.JSONDecodeError) as exc:
            return f"malformed VAPID token: {exc}"
        if header.get("alg") != "ES256" or len(signature) != 64:
            return f"VAPID token is not ES256: {header}"
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "VAPID signature does not verify"
        with self._lock:
            self._verified_tokens.add(token)
        return self.check_claims(token)

    def check_claims(self, token: str) -> str | None:
        claims = json.loads(unb64url(token.split(".")[1]))
        now = time.time()
        if claims.get("aud") != self.origin:
            return f"aud {claims.get('aud')!r} is not {self.origin}"
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + 24 * 3600:
            return f"exp {claims.get('exp')!r} not within the next 24 hours"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return f"sub {claims.get('sub')!r} is not a contact URI"
        return None


class ManualClock:
    """A clock a test sets; the API and the scheduler read it instead of the real one."""

    def __init__(self, now: float):
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def set(self, now: float) -> None:
        self.now = float(now)


def push_config(instance_dir: str | None = None, **extra: Any) -> dict[str, Any]:
    """App settings for tests: the local push services (ours on 127.0.0.1,
    web-push-testing on localhost) are allowed, the rate limits are out of the way (tests
    check them on their own)."""
    config = {
        "TESTING": True,
        "PUSH_ALLOWED_HOSTS": (*DEFAULTS["PUSH_ALLOWED_HOSTS"], "127.0.0.1", "localhost"),
        "PUSH_RATE_LIMIT": 10_000,
        "AUTH_FAILURE_RATE_LIMIT": 10_000,
        **extra,
    }
    if instance_dir is not None:
        config["INSTANCE_DIR"] = instance_dir
    return config


@pytest.fixture(name="push_service")
def push_service_fixture():
    service = LocalPushService().start()
    yield service
    service.stop()


# --- Databases ------------------------------------------------------------------------


@pytest.fixture(scope="session", name="postgres_cluster")
def postgres_cluster_fixture():
    try:
        cluster = Cluster().start()
    except (PostgresUnavailable, OSError) as exc:
        pytest.fail(f"PostgreSQL could not start: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(name="database_url", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url_fixture(request) -> str | None:
    """None (SQLite in the test's instance folder) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_cluster").fresh_url()


# --- web-push-testing ---------------------------------------------------------------------


class WebPushTesting:
    """The npm package web-push-testing: an independent push service that verifies the
    VAPID JWT against the subscription's applicationServerKey and decrypts aes128gcm."""

    def __init__(self) -> None:
        script = TESTS / "node_modules" / "web-push-testing" / "src" / "bin" / "server.js"
        if not script.exists():
            pytest.fail("web-push-testing is not installed: run `npm ci` in tests/ (tests/run.sh does)")
        self.port = free_port()
        self.process = subprocess.Popen(["node", str(script), str(self.port)], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        line = self.process.stdout.readline()
        if "Server running" not in line:
            self.process.kill()
            pytest.fail(f"web-push-testing did not start: {line}{self.process.stdout.read()}")

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def call(self, path: str, body: dict | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(self.origin + path, data=json.dumps(body or {}).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw and raw[:1] in b"{[" else raw.decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def subscribe(self, application_server_key: str) -> dict:
        # It reads the options as a form would send them: strings.
        status, body = self.call("/subscribe", {"userVisibleOnly": "true",
                                                "applicationServerKey": application_server_key})
        assert status == 200, body
        return body["data"]

    def messages(self, client_hash: str) -> list[dict]:
        status, body = self.call("/get-notifications", {"clientHash": client_hash})
        assert status == 200, body
        return [json.loads(m) for m in body["data"]["messages"]]

    def expire(self, client_hash: str) -> None:
        status, body = self.call(f"/expire-subscription/{client_hash}")
        assert status == 200, body

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session", name="web_push_testing")
def web_push_testing_fixture():
    service = WebPushTesting()
    yield service
    service.stop()
