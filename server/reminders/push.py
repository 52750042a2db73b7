"""Web Push delivery: VAPID keys (RFC 8292), aes128gcm payload encryption (RFC 8291,
done by pywebpush/http_ece) and the POST to the push service (RFC 8030).

Security: the server only ever POSTs to push endpoints whose host is on an allowlist
of known push services, over HTTPS, without following redirects. Otherwise anyone
could make this server send requests to any address (including our own network).
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import urllib3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_ENDPOINT_LENGTH = 2048
VAPID_FILENAME = "vapid_private.pem"
# RFC 8292 allows at most 24 h; a token is reused until an hour before it expires.
VAPID_LIFETIME = 12 * 3600
VAPID_RENEW_BEFORE = 3600
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text or any(c not in _B64URL for c in text.rstrip("=")):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    for pattern in allowed:
        pattern = pattern.lower().strip()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
        elif host == pattern:
            return True
    return False


def endpoint_problem(endpoint: Any, allowed: Iterable[str]) -> str | None:
    """Why `endpoint` may not be used as a push endpoint, or None when it may."""
    if not isinstance(endpoint, str) or not endpoint:
        return "Must be the push service URL from the browser's subscription."
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        return f"Longer than {MAX_ENDPOINT_LENGTH} characters."
    try:
        parts = urlsplit(endpoint)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "Not a valid URL."
    if not host or parts.username or parts.password or parts.fragment:
        return "Not a valid push endpoint URL."
    if any(ord(c) < 33 or ord(c) > 126 for c in endpoint):
        return "Not a valid push endpoint URL."
    if not host_allowed(host, allowed):
        return f"{host} is not a known push service."
    loopback = host in LOOPBACK_HOSTS or _is_loopback_ip(host)
    if parts.scheme != "https" and not (loopback and parts.scheme == "http"):
        return "Push endpoints must use HTTPS."
    if port not in (None, 443) and not loopback:
        return "Push endpoints use the standard HTTPS port."
    return None


def _is_loopback_ip(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def keys_problems(p256dh: Any, auth: Any) -> dict[str, list[str]]:
    """Check the subscription's keys: a P-256 public key (65-byte uncompressed point)
    and a 16-byte authentication secret, both base64url."""
    problems: dict[str, list[str]] = {}
    try:
        raw = b64url_decode(p256dh)
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except (ValueError, TypeError):
        problems["p256dh"] = ["Must be the base64url P-256 public key from the subscription."]
    try:
        if len(b64url_decode(auth)) != 16:
            raise ValueError
    except (ValueError, TypeError):
        problems["auth"] = ["Must be the base64url 16-byte auth secret from the subscription."]
    return problems


# --- VAPID keys ------------------------------------------------------------------


def vapid_from_text(text: str) -> Vapid02:
    """A VAPID key given as PEM, or as the base64url raw private key that tools such as
    `web-push generate-vapid-keys` print."""
    text = text.strip().replace("\\n", "\n")
    if text.startswith("-----BEGIN"):
        return Vapid02.from_pem(text.encode("ascii"))
    return Vapid02.from_string(text)


def load_or_create_vapid(instance_dir: str | Path, configured: str | None = None) -> Vapid02:
    """The server's VAPID key: from configuration when given, else from the instance
    folder, created there on first start. Creation is atomic (link, not overwrite), so
    two processes starting at once end up with the same key."""
    if configured:
        return vapid_from_text(configured)
    path = Path(instance_dir) / VAPID_FILENAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = Vapid02()
        fresh.generate_keys()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, fresh.private_pem())
            os.close(fd)
            # If another process won the race, its key is the one everybody uses.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return Vapid02.from_pem(path.read_bytes())


def public_key_b64(vapid: Vapid02) -> str:
    """The applicationServerKey a browser subscribes with."""
    return b64url(vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


# --- Sending -----------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    status: int  # HTTP status from the push service; 0 when no answer came
    retry_after: float | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """The subscription no longer exists (expired or the person unsubscribed)."""
        return self.status in (404, 410)

    @property
    def retry(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After (RFC 9110): a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(min(int(value[:9]), 10**8))
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class PushSender:
    """Encrypts and POSTs one message per call; safe to use from several threads."""

    def __init__(self, vapid: Vapid02, subject: str, allowed_hosts: Iterable[str], *,
                 timeout: float = 10.0, ttl: int = 900, clock: Callable[[], float] = time.time):
        self.vapid = vapid
        self.clock = clock
        self.subject = subject
        self.allowed_hosts = tuple(allowed_hosts)
        self.timeout = timeout
        self.ttl = ttl
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[int, str]] = {}
        # urllib3 directly: keep-alive pools per push service, thread-safe, and a fraction
        # of requests' per-call overhead, which dominated the benchmark.
        self._http = urllib3.PoolManager(num_pools=16, maxsize=16, block=False, retries=False,
                                         timeout=urllib3.Timeout(connect=timeout, read=timeout))
        # Figures for the benchmark: where the time goes.
        self.encrypt_seconds = 0.0
        self.sign_seconds = 0.0
        self.sends = 0

    def authorization(self, audience: str, now: float | None = None) -> str:
        """The VAPID Authorization header for one push service origin, reused while
        it has more than an hour to live (signing on every send would cost an ECDSA
        signature per message)."""
        now = self.clock() if now is None else now
        with self._lock:  # held while signing, so concurrent senders sign once
            cached = self._tokens.get(audience)
            if cached and cached[0] - VAPID_RENEW_BEFORE > now:
                return cached[1]
            started = time.perf_counter()
            exp = int(now) + VAPID_LIFETIME
            header = self.vapid.sign({"aud": audience, "exp": exp, "sub": self.subject})["Authorization"]
            self.sign_seconds += time.perf_counter() - started
            self._tokens[audience] = (exp, header)
            return header

    def send(self, endpoint: str, p256dh: str, auth: str, payload: dict | bytes, *,
             topic: str | None = None, urgency: str = "normal") -> SendResult:
        # Checked again at send time: the allowlist may have been narrowed since the
        # device subscribed, and a stored endpoint must not outlive that.
        problem = endpoint_problem(endpoint, self.allowed_hosts)
        if problem:
            return SendResult(400, detail=f"refused endpoint: {problem}")
        data = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        started = time.perf_counter()
        pusher = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})
        body = pusher.encode(data, "aes128gcm")["body"]
        elapsed = time.perf_counter() - started
        parts = urlsplit(endpoint)
        headers = {
            "Authorization": self.authorization(f"{parts.scheme}://{parts.netloc}"),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(self.ttl),
            "Urgency": urgency,
        }
        if topic:
            # A newer message with the same topic replaces one still waiting for the phone.
            headers["Topic"] = topic
        with self._lock:
            self.encrypt_seconds += elapsed
            self.sends += 1
        try:
            response = self._http.request("POST", endpoint, body=body, headers=headers, redirect=False)
        except urllib3.exceptions.HTTPError as exc:
            return SendResult(0, detail=type(exc).__name__)
        status = response.status
        if 300 <= status < 400:
            # Never followed: treat like a refusal rather than send elsewhere.
            return SendResult(400, detail=f"redirect {status} not followed")
        return SendResult(status, retry_after_seconds(response.headers.get("Retry-After"), time.time()),
                          response.reason or "")
