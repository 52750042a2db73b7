"""Shared fixtures: the app and its test client, a real server on loopback, and real
headless Chromium driven by Playwright.

Browser tests never skip: a missing Chromium or Playwright is a failure, because a
skipped browser test proves nothing about the app a person would use.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from server import create_app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 320, "height": 640}


@pytest.fixture
def app(tmp_path):
    return create_app({"INSTANCE_DIR": str(tmp_path / "instance"), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A private copy of content/ that a test may break or change."""
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # the test output is for failures
        pass


class LiveServer:
    """The app served by a real threaded WSGI server on 127.0.0.1, stoppable and
    restartable on the same port (same origin, so a service worker sees an update)."""

    def __init__(self, config: dict, port: int = 0):
        self.config = config
        self.port = port
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        app = create_app(self.config)
        self.app = app
        self._server = make_server("127.0.0.1", self.port, app, threaded=True, request_handler=QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    server = LiveServer({"INSTANCE_DIR": str(tmp_path_factory.mktemp("instance"))}).start()
    yield server
    server.stop()


@pytest.fixture
def make_live_server(tmp_path) -> Iterator:
    """Private servers for tests that stop the server or change its content."""
    servers: list[LiveServer] = []

    def make(**config) -> LiveServer:
        config.setdefault("INSTANCE_DIR", str(tmp_path / f"instance{len(servers)}"))
        server = LiveServer(config).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


# Pages import their modules after the first paint (client/templates/inline/load-modules.js):
# a person sees the page first and its controls come alive a moment later. A test acts at
# machine speed, so every navigation a test makes also waits for <html data-enhanced>,
# set when the page's modules have run (pages without modules, and contexts without
# JavaScript, do not wait).
def _waiting_for_enhancement(navigate: Callable) -> Callable:
    def wrapped(self, *args, **kwargs):
        response = navigate(self, *args, **kwargs)
        if kwargs.get("wait_until", "load") == "load" and response is not None \
                and "text/html" in (response.headers.get("content-type") or "") \
                and not getattr(self.context, "without_javascript", False) \
                and self.locator('script[type="text/x-module"]').count():
            self.wait_for_selector("html[data-enhanced]", state="attached")
        return response
    wrapped.__wrapped__ = navigate
    return wrapped


def wait_enhanced(page) -> None:
    """After a navigation the test started by a click: wait until the new page's modules ran."""
    page.wait_for_load_state("load")
    page.wait_for_selector("html[data-enhanced]", state="attached")


def _wait_for_enhancement_on_navigation() -> None:
    from playwright.sync_api import Page

    for name in ("goto", "reload", "go_back", "go_forward"):
        method = getattr(Page, name)
        if not hasattr(method, "__wrapped__"):
            setattr(Page, name, _waiting_for_enhancement(method))


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the failure is the point
        pytest.fail(f"Playwright for Python is not installed: {exc}")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
            "(the README's test command does) or set CHROMIUM_PATH"
        )
    _wait_for_enhancement_on_navigation()
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class ErrorGuard:
    """Collects every uncaught page error and console error of one browser context.

    A browser test fails on any of them unless the test declared it expected with
    `allow(pattern)` (for example the browser's "Failed to load resource" line for a 4xx
    the test provokes, or fetches that fail because the test went offline). The app
    reports recoverable problems with console.warn, which is not collected.
    """

    def __init__(self, context) -> None:
        self.errors: list[str] = []
        self._allowed: list[re.Pattern[str]] = []
        context.on("weberror", lambda error: self.errors.append(f"uncaught: {error.error}"))
        context.on("console", self._console)

    def _console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.errors.append(f"console.error: {message.text} ({where})")

    def allow(self, *patterns: str) -> None:
        """Declare errors this test provokes on purpose (regular expressions, searched)."""
        self._allowed += [re.compile(p) for p in patterns]

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self._allowed)]

    def check(self) -> None:
        problems = self.unexpected()
        assert not problems, "errors in the browser:\n" + "\n".join(problems)


def guard(context) -> ErrorGuard:
    """Attach an ErrorGuard to a context made outside the fixtures (e.g. a persistent one)."""
    context.error_guard = ErrorGuard(context)
    return context.error_guard


@pytest.fixture
def new_context(browser) -> Iterator[Callable[..., object]]:
    """Make browser contexts that fail the test on unexpected page or console errors.

    Every browser test makes its contexts here (or through `context`/`page`), so no
    context goes unwatched; `context.error_guard.allow(...)` declares expected errors.
    """
    made: list = []

    def make(**options):
        options.setdefault("viewport", PHONE)
        options.setdefault("service_workers", "allow")
        context = browser.new_context(**options)
        context.without_javascript = options.get("java_script_enabled") is False
        guard(context)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    for context in made:
        context.error_guard.check()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


def wait_until(page, predicate: str, arg=None, timeout_ms: float = 30_000) -> None:
    """Until `predicate` (a function, possibly async) returns a truthy value. Not
    `page.wait_for_function`: it does not await a returned promise (a promise is truthy,
    so it returns at once). `page.evaluate` does, so the predicate is evaluated again
    every 100 ms until it holds."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_ms / 1000:.0f} s: {predicate.strip()[:200]}")
        page.wait_for_timeout(100)


def wait_for_service_worker(page) -> None:
    """Wait until the worker is active and controls the page."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("Boolean(navigator.serviceWorker.controller)"):
        page.reload()
        page.wait_for_function("Boolean(navigator.serviceWorker.controller)")
