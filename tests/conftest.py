"""Shared fixtures: the app and its test client, a real server on loopback, and real
headless Chromium driven by Playwright.

Browser tests never skip: a missing Chromium or Playwright is a failure, because a
skipped browser test proves nothing about the app a person would use.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
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
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=PHONE, service_workers="allow")
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


def wait_for_service_worker(page) -> None:
    """Wait until the worker is active and controls the page."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("Boolean(navigator.serviceWorker.controller)"):
        page.reload()
        page.wait_for_function("Boolean(navigator.serviceWorker.controller)")
