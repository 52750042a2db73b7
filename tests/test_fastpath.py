"""The prebuilt-body layer below Flask (server/fastpath.py) answers exactly what Flask
answers: same status, headers (security headers included) and body, for every URL it
serves, both schemes, every content coding, GET and HEAD; anything else reaches Flask."""

import pytest

from server import create_app
from server.api import API_PREFIX, body_urls
from server.pwa import precache_urls

ACCEPTS = ["", "br, gzip", "gzip, deflate, br, zstd", "gzip", "gzip;q=1.0, br;q=0.5", "br;q=0, gzip", "*",
           "*;q=0.5, br;q=0", "identity", "deflate"]


def fast_urls(app) -> list[str]:
    with app.app_context():
        return [*precache_urls(app.extensions["mbr_content"]),
                *body_urls(app.extensions["mbr_api"])]


def answer(client, method: str, url: str, **kwargs) -> tuple[int, list[tuple[str, str]], bytes]:
    response = client.open(url, method=method, **kwargs)
    return response.status_code, sorted(response.headers.to_wsgi_list()), response.get_data()


def both(app, client, method: str, url: str, **kwargs):
    app.config["FAST_PATH"] = True
    fast = answer(client, method, url, **kwargs)
    app.config["FAST_PATH"] = False
    try:
        slow = answer(client, method, url, **kwargs)
    finally:
        app.config["FAST_PATH"] = True
    return fast, slow


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_prebuilt_url_is_answered_as_flask_answers_it(app, client, scheme):
    urls = fast_urls(app)
    assert len(urls) > 60
    for url in urls:
        for accept in ACCEPTS:
            for method in ("GET", "HEAD"):
                fast, slow = both(app, client, method, url, base_url=f"{scheme}://localhost",
                                  headers={"Accept-Encoding": accept})
                assert fast == slow, (method, url, accept, scheme)
                assert fast[0] == 200, url
        # The layer really answered (a recorded entry), not Flask.
        assert app.extensions["mbr_fastpath"].entries[(url, scheme)] is not None, url


def test_hsts_after_a_trusted_proxy_matches_flask(tmp_path):
    app = create_app({"INSTANCE_DIR": str(tmp_path / "i"), "TESTING": True, "TRUSTED_PROXIES": 1})
    client = app.test_client()
    for proto in ("https", "http"):
        fast, slow = both(app, client, "GET", "/", headers={"X-Forwarded-Proto": proto, "Accept-Encoding": "br"})
        assert fast == slow
        assert any(name == "Strict-Transport-Security" for name, _ in fast[1]) == (proto == "https")
    assert app.extensions["mbr_fastpath"].entries[("/", "https")] is not None


def test_forced_hsts_is_kept(tmp_path):
    app = create_app({"INSTANCE_DIR": str(tmp_path / "i"), "TESTING": True, "FORCE_HSTS": True})
    fast, slow = both(app, app.test_client(), "GET", "/stretches")
    assert fast == slow
    assert "Strict-Transport-Security" in dict(fast[1])


@pytest.mark.parametrize("url, kwargs", [
    ("/", {"headers": {"If-None-Match": "*"}}),
    ("/?css=linked", {}),
    ("/static/css/app.css", {"headers": {"Range": "bytes=0-10"}}),
    (f"{API_PREFIX}/content", {"headers": {"Content-Type": "application/json"}, "data": "{"}),
    ("/no-such-page", {}),
])
def test_anything_else_reaches_flask_with_the_same_answer(app, client, url, kwargs):
    fast, slow = both(app, client, "GET", url, **kwargs)
    assert fast == slow
    assert (url, "http") not in app.extensions["mbr_fastpath"].entries


def test_other_methods_reach_flask(app, client):
    fast, slow = both(app, client, "POST", "/")
    assert fast == slow
    assert fast[0] == 405


def test_start_up_records_every_url_before_the_first_request(app):
    from server.pwa import warm

    warm(app)
    entries = app.extensions["mbr_fastpath"].entries
    for url in fast_urls(app):
        for scheme in ("http", "https"):
            assert entries[(url, scheme)] is not None, (url, scheme)
