"""The PWA in real headless Chromium: installable, offline after one visit, updates
offered rather than mixed in, and usable at phone widths in light and dark."""

import pytest
import yaml

from server.pages import page_urls
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, SMALL_PHONE, wait_for_service_worker

pytestmark = pytest.mark.browser


def wait_for_precache(page) -> int:
    """Resolve once the active worker's cache holds every precached URL."""
    return page.evaluate(
        """async () => {
            const reg = await navigator.serviceWorker.ready;
            const names = await caches.keys();
            const cache = await caches.open(names.find((n) => n.startsWith('mbr-')));
            return (await cache.keys()).length;
        }"""
    )


def test_chromium_reports_the_app_installable(playwright_instance, live_server, tmp_path):
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=PHONE
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(live_server.url + "/")
        wait_for_service_worker(page)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [], manifest["errors"]
        assert manifest["url"].endswith("/manifest.webmanifest")
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
    finally:
        context.close()


def test_works_offline_after_one_visit(context, make_live_server):
    server = make_live_server()
    content = server.app.extensions["mbr_content"]
    page = context.new_page()
    page.goto(server.url + "/")
    wait_for_service_worker(page)
    assert wait_for_precache(page) >= len(page_urls(content))
    titles = {"/stretches": "Stretches and routines", "/screening": "Safety check"}
    for cat in content.categories.values():
        titles[f"/causes/{cat['id']}"] = cat["title"]
    for cause in content.causes.values():
        titles[f"/causes/{cause['category']}/{cause['id']}"] = cause["title"]
    for ex in content.exercises.values():
        titles[f"/stretches/{ex['id']}"] = ex["title"]
    for r in content.routines.values():
        titles[f"/routines/{r['id']}"] = r["title"]

    server.stop()  # really gone, not just emulated
    context.set_offline(True)
    for url in page_urls(content):
        response = page.goto(server.url + url)
        assert response is not None and response.ok, url
        heading = page.locator("h1").inner_text()
        if url in titles:
            assert heading == titles[url], url
        assert page.locator(".tabbar a").count() == 5
        assert page.evaluate("document.styleSheets.length") >= 1, f"{url}: no CSS offline"
    page.goto(server.url + "/routines/desk-reset?start=1")
    assert page.locator("h1").inner_text() == content.routines["desk-reset"]["title"]
    page.goto(server.url + "/somewhere/never/visited")
    assert page.locator("h1").inner_text() == "You're offline"


def test_changed_content_installs_a_new_version_on_request(context, make_live_server, content_copy):
    first = make_live_server(CONTENT_DIR=str(content_copy))
    old_version = first.app.config["CACHE_VERSION"]
    page = context.new_page()
    page.goto(first.url + "/")
    wait_for_service_worker(page)
    wait_for_precache(page)
    assert page.evaluate("caches.keys()") == [f"mbr-{old_version}"]

    first.stop()
    site = content_copy / "site.yaml"
    data = yaml.safe_load(site.read_text())
    new_emergency = data["site"]["emergency"] + " Updated."
    site.write_text(site.read_text().replace(data["site"]["emergency"], new_emergency))
    from tests.conftest import LiveServer

    second = LiveServer(dict(first.config), port=first.port).start()
    try:
        new_version = second.app.config["CACHE_VERSION"]
        assert new_version != old_version
        page.reload()
        # The old version still serves this page: nothing changes until the person agrees.
        assert "Updated." not in page.locator(".foot").inner_text()
        banner = page.locator("#update")
        banner.wait_for(state="visible", timeout=20000)
        assert "Update available" in banner.inner_text()
        with page.expect_navigation():
            page.locator("#update-reload").click()
        page.wait_for_function("Boolean(navigator.serviceWorker.controller)")
        assert "Updated." in page.locator(".foot").inner_text()
        page.wait_for_function(
            f"caches.keys().then(k => k.length === 1 && k[0] === 'mbr-{new_version}')"
        )
    finally:
        second.stop()


def test_no_request_leaves_the_origin(context, live_server):
    page = context.new_page()
    seen = []
    context.on("request", lambda r: seen.append(r.url))
    for url in ["/", "/stretches", "/stretches/chin-tuck", "/routines/desk-reset",
                "/screening", "/settings", "/about", "/reminders"]:
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
    assert seen
    foreign = [u for u in seen if not u.startswith(live_server.url)]
    assert foreign == []


@pytest.mark.parametrize("viewport", [SMALL_PHONE, PHONE], ids=["320", "390"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_horizontal_scroll_and_big_tap_targets(browser, live_server, viewport, scheme):
    context = browser.new_context(
        viewport=viewport, is_mobile=True, has_touch=True, color_scheme=scheme,
        service_workers="block",
    )
    page = context.new_page()
    content = live_server.app.extensions["mbr_content"]
    try:
        for url in ["/offline", *page_urls(content)]:
            page.goto(live_server.url + url)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{url} scrolls sideways by {overflow}px at {viewport}"
            small = page.evaluate(
                """() => [...document.querySelectorAll(
                    'button, .btn, .tabbar a, .card-link > a, summary, .check, .chip, .top a')]
                  .filter((e) => e.offsetParent !== null)
                  .map((e) => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
                  .filter(([, r]) => r.width < 44 || r.height < 44)
                  .map(([t, r]) => `${t} ${Math.round(r.width)}x${Math.round(r.height)}`)"""
            )
            assert small == [], f"{url}: small tap targets {small}"
    finally:
        context.close()
