"""Bodies compressed once (brotli and gzip) and chosen by the client's Accept-Encoding,
q-values included; every coding decodes to the same bytes."""

import gzip
import json

import brotli
import pytest

from server.pwa import PACK_PATH, release

PATHS = ["/", "/screening", "/static/css/app.css", "/static/js/app.js", "/sw.js", "/api/v1/content",
         "/manifest.webmanifest"]


@pytest.mark.parametrize(
    "accept, coding",
    [
        ("br, gzip", "br"),
        ("gzip, deflate, br, zstd", "br"),  # what Chromium sends
        ("gzip", "gzip"),
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("*", "br"),
        ("*;q=0.5, br;q=0", "gzip"),
        ("identity", None),
        ("deflate", None),
        ("", None),
    ],
)
def test_accept_encoding_picks_the_coding_and_the_bytes_match(client, accept, coding):
    for path in PATHS:
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200
        response = client.get(path, headers={"Accept-Encoding": accept})
        assert response.status_code == 200, path
        assert response.headers.get("Content-Encoding") == coding, path
        assert response.headers["Vary"] == "Accept-Encoding", path
        decode = {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda b: b}[coding]
        assert decode(response.data) == plain.data, path
        if coding:
            assert len(response.data) < len(plain.data), path


def test_brotli_is_smaller_than_gzip_for_pages_and_scripts(client):
    for path in ("/", "/screening", "/static/js/reminders-page.js", "/sw.js"):
        br = client.get(path, headers={"Accept-Encoding": "br"}).data
        gz = client.get(path, headers={"Accept-Encoding": "gzip"}).data
        assert len(br) < len(gz), path


def test_each_coding_has_its_own_etag_and_any_of_them_revalidates(client):
    tags = {}
    for accept in ("br", "gzip", "identity"):
        tags[accept] = client.get("/stretches", headers={"Accept-Encoding": accept}).headers["ETag"]
    assert len(set(tags.values())) == 3
    for tag in tags.values():
        for accept in ("br", "gzip", "identity"):
            again = client.get("/stretches", headers={"Accept-Encoding": accept, "If-None-Match": tag})
            assert again.status_code == 304
            assert again.data == b""
    assert client.get("/stretches", headers={"If-None-Match": '"nope"'}).status_code == 200


def test_small_bodies_are_sent_as_they_are(client):
    response = client.get("/api/v1/content/version", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


def test_the_pack_holds_every_page_the_worker_stores(app, client):
    current = release(app)
    response = client.get(f"{PACK_PATH}?v={current.version}", headers={"Accept-Encoding": "br"})
    assert response.headers["Content-Encoding"] == "br"
    assert "immutable" in response.headers["Cache-Control"]
    data = brotli.decompress(response.data)

    head, _, rest = data.partition(b"\n")
    index = json.loads(head)
    offset = 0
    pages = [e for e in current.entries if not e["url"].startswith("/static/")]
    assert [f[0] for f in index["files"]] == [e["url"] for e in pages]
    for (url, length, headers), entry in zip(index["files"], pages, strict=True):
        body = rest[offset:offset + length]
        offset += length
        assert body == client.get(entry.get("fetch", url)).data, url
        assert index["headers"][headers]["Content-Security-Policy"], url
    assert offset == len(rest)
    assert client.get(f"{PACK_PATH}?v=old").status_code == 404


def unpack(data: bytes) -> tuple[dict, dict[str, bytes]]:
    head, _, rest = data.partition(b"\n")
    index = json.loads(head)
    bodies, offset = {}, 0
    for url, length, _ in index["files"]:
        bodies[url] = rest[offset:offset + length]
        offset += length
    assert offset == len(rest)
    return index, bodies


def test_a_first_install_pack_adds_the_static_files_its_page_has_not_loaded(app, client):
    current = release(app)
    pages = [e["url"] for e in current.entries if not e["url"].startswith("/static/")]
    statics = [e["url"] for e in current.entries if e["url"].startswith("/static/")]
    loaded = current.loads["/"]
    # Home loads its own modules, what they import and the full stylesheet after the paint.
    assert {"/static/js/home.js", "/static/js/storage.js", "/static/js/region-data.js", "/static/css/app.css"} <= {
        url.split("?")[0] for url in loaded}
    assert not any(url.startswith("/static/js/player.js") for url in loaded)
    response = client.get(f"{PACK_PATH}?v={current.version}&from=/", headers={"Accept-Encoding": "br"})
    assert "immutable" in response.headers["Cache-Control"]
    index, bodies = unpack(brotli.decompress(response.data))
    assert list(bodies) == pages + [url for url in statics if url not in loaded]
    for url in statics:
        if url in bodies:
            assert bodies[url] == client.get(url).data, url
            assert index["headers"][index["files"][list(bodies).index(url)][2]]["Content-Type"] == \
                client.get(url).headers["Content-Type"]
    # One pack per set of files: the same object for every page that loads the same ones.
    assert current.pack_for("/") is current.pack_for("/")
    # A page the server does not know (or none) gets the pages-only pack.
    for odd in ("/nowhere", "", "%00", "/" * 5000):
        other = client.get(f"{PACK_PATH}?v={current.version}&from={odd}", headers={"Accept-Encoding": "br"})
        assert other.status_code == 200
        assert brotli.decompress(other.data) == current.pack.data
