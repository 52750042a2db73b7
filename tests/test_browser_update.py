"""Updates cost what changed: each precached file has its own revision, and a new
release downloads only the files whose bytes changed, copying the rest from the
previous cache. Requests are counted in Chromium (those the service worker makes) and
at the server."""

import pytest
import yaml

from server.pwa import PACK_PATH, release
from tests.conftest import LiveServer, wait_for_service_worker
from tests.test_browser_pwa import wait_for_precache

pytestmark = pytest.mark.browser


class Recorder:
    """WSGI middleware: every path (with its query) the server answers."""

    def __init__(self, app):
        self.app, self.paths = app, []

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING")
        self.paths.append(environ["PATH_INFO"] + (f"?{query}" if query else ""))
        return self.app(environ, start_response)


def test_an_update_after_one_exercise_changes_fetches_only_that_page(context, make_live_server, content_copy):
    first = make_live_server(CONTENT_DIR=str(content_copy))
    release(first.app)  # built now, so the recorder sees only the browser's requests
    recorder = Recorder(first.app.wsgi_app)
    first.app.wsgi_app = recorder
    page = context.new_page()
    by_worker = []
    context.on("request", lambda r: by_worker.append(r.url.removeprefix(first.url)) if r.service_worker else None)
    page.goto(first.url + "/")
    wait_for_service_worker(page)
    wait_for_precache(page, first)
    # A first install gets every page in one request.
    assert any(p.startswith(PACK_PATH) for p in recorder.paths)
    assert not any("css=linked" in p for p in recorder.paths)

    first.stop()
    path = content_copy / "exercises.yaml"
    text = path.read_text()
    step = next(e for e in yaml.safe_load(text)["exercises"] if e["id"] == "chin-tuck")["steps"][0]
    new_step = step.rstrip(".") + ", slowly."
    path.write_text(text.replace(step, new_step, 1))
    second = LiveServer(dict(first.config), port=first.port)
    second.start()
    try:
        release(second.app)
        recorder = Recorder(second.app.wsgi_app)
        second.app.wsgi_app = recorder
        by_worker.clear()
        page.reload()
        page.locator("#update").wait_for(state="visible", timeout=30000)
        fetched = [p for p in by_worker if p != "/sw.js"]
        assert fetched == ["/stretches/chin-tuck?css=linked"]
        at_server = sorted({p for p in recorder.paths if p != "/sw.js"})
        assert at_server == ["/stretches/chin-tuck?css=linked"]

        with page.expect_navigation():
            page.locator("#update-reload").click()
        page.wait_for_function("() => Boolean(navigator.serviceWorker.controller)")
        # Offline from here: the changed page is the new one, the copied ones still there.
        second.stop()
        context.set_offline(True)
        page.goto(first.url + "/stretches/chin-tuck")
        assert new_step in page.locator(".steps").inner_text()
        for url in ("/", "/screening", "/stretches/open-book", "/routines/desk-reset"):
            response = page.goto(first.url + url)
            assert response is not None and response.ok, url
            assert page.evaluate("document.styleSheets.length") >= 1, url
        names = page.evaluate("caches.keys()")
        assert names == [f"mbr-{second.app.config['CACHE_VERSION']}"]
    finally:
        second.stop()
