"""Prebuilt responses answered below Flask.

Every page, hashed asset and content API answer is built once (server.http.Body), yet
a request for one still paid for Flask's routing, request and response objects and the
security-header hook: about half the server's time at full load. This WSGI layer
answers a plain GET or HEAD for one of those URLs straight from a copy of what Flask
itself answered for the same URL, scheme and content coding, recorded on first use
through the real app. So the headers (CSP with the inline hashes, HSTS after the
trusted proxies, ETag, Vary, Cache-Control) cannot drift from the Flask path: they are
its own. Anything else (a conditional or range request, a request
body, another method, any other URL or query string, or a recorded answer that was not a plain 200)
falls through to Flask. FAST_PATH=False turns the layer off (tests compare the two).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from functools import lru_cache

from flask import Flask
from werkzeug.http import parse_accept_header
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .http import CODING_ORDER

# Request headers that make the answer depend on more than URL, scheme and coding.
_FALL_THROUGH = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE",
                 "HTTP_RANGE", "HTTP_IF_RANGE", "HTTP_TRANSFER_ENCODING", "CONTENT_TYPE", "HTTP_AUTHORIZATION")

Recorded = tuple[str, list[tuple[str, str]], bytes]


@lru_cache(maxsize=512)
def choose(accept_encoding: str, available: frozenset[str]) -> str | None:
    """The coding server.http.choose_coding picks for this header, from `available`."""
    accepted = parse_accept_header(accept_encoding or None)
    best, best_q = None, 0.0
    for coding in CODING_ORDER:
        q = accepted.quality(coding)
        if q > best_q and coding in available:
            best, best_q = coding, q
    return best


class Entry:
    """What Flask answered for one URL and scheme, per content coding."""

    __slots__ = ("available", "variants")

    def __init__(self, variants: dict[str | None, Recorded]) -> None:
        self.variants = variants
        self.available = frozenset(c for c in variants if c is not None)


class FastPath:
    def __init__(self, app: Flask, inner: Callable, urls: Callable[[], Iterable[str]]) -> None:
        self.app, self.inner, self._urls = app, inner, urls
        self.allowed: frozenset[str] | None = None
        self.entries: dict[tuple[str, str], Entry | None] = {}
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if (method not in ("GET", "HEAD") or environ.get("SCRIPT_NAME")
                or environ.get("CONTENT_LENGTH", "") not in ("", "0")
                or any(key in environ for key in _FALL_THROUGH)
                or not self.app.config.get("FAST_PATH", True)):
            return self.inner(environ, start_response)
        query = environ.get("QUERY_STRING")
        url = environ.get("PATH_INFO", "") + ("?" + query if query else "")
        key = (url, environ["wsgi.url_scheme"])
        entry = self.entries.get(key, False)
        if entry is False:
            entry = self._record(*key)
        if entry is None:
            return self.inner(environ, start_response)
        coding = choose(environ.get("HTTP_ACCEPT_ENCODING", ""), entry.available)
        status, headers, body = entry.variants[coding]
        start_response(status, list(headers))
        return [b""] if method == "HEAD" else [body]

    def _record(self, url: str, scheme: str) -> Entry | None:
        """Ask Flask itself for `url` in every coding it offers; None if the answer is
        not a plain, cacheable 200 (then Flask answers every time). Only the app's own
        URLs are recorded, so the table's size is bounded by the release."""
        if self.allowed is None:
            with self.app.app_context():
                self.allowed = frozenset(self._urls())
        if url not in self.allowed:
            return None
        with self.lock:
            if (url, scheme) not in self.entries:
                self.entries[(url, scheme)] = self._build(url, scheme)
            return self.entries[(url, scheme)]

    def prime(self) -> None:
        """Record every URL for both schemes now (at start-up, so no request waits)."""
        if self.allowed is None:
            with self.app.app_context():
                self.allowed = frozenset(self._urls())
        for url in self.allowed:
            for scheme in ("http", "https"):
                self._record(url, scheme)

    def _ask(self, path: str, scheme: str, coding: str) -> Recorded:
        environ = EnvironBuilder(path=path, base_url=f"{scheme}://localhost",
                                 headers={"Accept-Encoding": coding}).get_environ()
        app_iter, status, headers = run_wsgi_app(self.inner, environ, buffered=True)
        try:
            body = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
        return status, list(headers.to_wsgi_list()), body

    def _build(self, path: str, scheme: str) -> Entry | None:
        variants: dict[str | None, Recorded] = {}
        for coding in (None, *CODING_ORDER):
            status, headers, body = self._ask(path, scheme, coding or "identity")
            names = {name.lower(): value for name, value in headers}
            if (not status.startswith("200 ") or "set-cookie" in names
                    or names.get("vary", "Accept-Encoding") != "Accept-Encoding"):
                return None
            sent = names.get("content-encoding")
            if sent != coding:
                if coding is None:
                    return None  # an encoded answer to "identity": not ours to copy
                continue  # this body has no such coding
            variants[coding] = (status, headers, body)
        return Entry(variants)


def init_app(app: Flask, urls: Callable[[], Iterable[str]]) -> None:
    """Put the layer directly below Flask's WSGI entry (inside any ProxyFix, so the
    scheme it keys on is the one the trusted proxies reported)."""
    layer = FastPath(app, app.wsgi_app, urls)
    app.extensions["mbr_fastpath"] = layer
    app.wsgi_app = layer
