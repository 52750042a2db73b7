import hashlib
import json
import re
import shutil
import struct
import subprocess

import pytest

from server import create_app
from server.pwa import release


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_manifest_has_what_install_needs(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    m = response.get_json()
    for key in ("id", "name", "short_name", "description", "start_url", "scope",
                "theme_color", "background_color", "icons", "shortcuts", "screenshots"):
        assert m[key], key
    assert m["display"] == "standalone"
    assert m["scope"] == "/"
    purposes = {(i["sizes"], i["purpose"]) for i in m["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    assert {s["form_factor"] for s in m["screenshots"]} == {"narrow", "wide"}
    assert len(m["shortcuts"]) >= 3


def test_icon_and_screenshot_files_match_their_declared_sizes(client):
    m = client.get("/manifest.webmanifest").get_json()
    images = [i for i in m["icons"] if i["type"] == "image/png"] + m["screenshots"]
    for image in images:
        response = client.get(image["src"])
        assert response.status_code == 200, image["src"]
        width, height = png_size(response.data)
        assert f"{width}x{height}" == image["sizes"], image["src"]
    html = client.get("/").get_data(as_text=True)
    touch = re.search(r'rel="apple-touch-icon" href="([^"]+)"', html).group(1)
    assert png_size(client.get(touch).data) == (180, 180)
    assert 'name="apple-mobile-web-app-capable" content="yes"' in html
    assert 'name="apple-mobile-web-app-status-bar-style"' in html


def test_service_worker_is_served_fresh_with_precache_list(client, app):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    js = response.get_data(as_text=True)
    version = app.config["CACHE_VERSION"]
    assert f'const VERSION = "{version}"' in js
    precache = worker_precache(js)
    assert precache == release(app).entries
    urls = [e["url"] for e in precache]
    for url in ("/", "/offline", "/stretches", "/screening"):
        assert url in urls, url
    assert any(u.startswith("/static/css/app.css?v=") for u in urls)
    # Every precached file must exist, or install fails for everyone; its revision is
    # the hash of the bytes the worker stores (a static file's: the one in its URL).
    for entry in precache:
        response = client.get(entry.get("fetch", entry["url"]))
        assert response.status_code == 200, entry
        digest = hashlib.sha256(response.data).hexdigest()
        if entry["url"].startswith("/static/"):
            assert entry["revision"] == digest[:10] and entry["url"].endswith(f"?v={entry['revision']}"), entry
        else:
            assert entry["revision"] == digest[:12], entry
    assert sum("fetch" in e for e in precache) > len(precache) / 2  # pages and scripts both use it


def worker_precache(source: str) -> list[dict]:
    """PRECACHE as the served worker decodes it: the script run in Node with a stand-in
    `self` (its top level only defines constants and adds listeners)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required to run the service worker's top level")
    script = ("const vm = require('vm'); let src = ''; process.stdin.on('data', (d) => { src += d; });"
              "process.stdin.on('end', () => { const ctx = { self: { addEventListener() {}, location: "
              "{ origin: 'http://localhost' } }, URL }; vm.createContext(ctx);"
              "console.log(JSON.stringify(vm.runInContext(src + ';PRECACHE', ctx))); });")
    done = subprocess.run([node, "-e", script], input=source, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cache_version_follows_content(tmp_path, content_copy):
    config = {"CONTENT_DIR": str(content_copy), "INSTANCE_DIR": str(tmp_path / "i")}
    first = create_app(config).config["CACHE_VERSION"]
    assert create_app(config).config["CACHE_VERSION"] == first
    path = content_copy / "site.yaml"
    path.write_text(path.read_text().replace("Works offline.", "Works offline, too."))
    assert create_app(config).config["CACHE_VERSION"] != first


def test_offline_page(client):
    response = client.get("/offline")
    assert response.status_code == 200
    assert "<h1>You're offline</h1>" in response.get_data(as_text=True)
