"""The PWA blueprint: web app manifest, service worker and offline page.

flask-pwa would fill this role, but its only release (0.1.0) requires Flask < 2.

The service worker precaches every file under its own revision (the hash of its bytes),
as Workbox's precache manifest does: a new release copies unchanged files from the
previous cache and downloads only the files whose bytes changed. A first install gets
everything in one request (`/precache.pack`), compressed as one brotli stream, so the
markup the pages share is sent once: every page, and the static files the page the
worker was installed from has not loaded (`?from=<that page>`); the ones it has loaded
come from the browser's HTTP cache.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, render_template, request

from .assets import IMMUTABLE, get_assets
from .content import Content
from .http import Body
from .inline import LINKED_PARAM
from .minify import minify_js
from .pages import page_urls, rendered_once
from .reminders import Reminders

bp = Blueprint("pwa", __name__)

PACK_PATH = "/precache.pack"

THEME_COLOR = "#0f5c5a"
THEME_COLOR_DARK = "#10201f"  # the browser bar in dark mode (base.html)
BACKGROUND_COLOR = "#f7f5f0"


def build_manifest(content: Content) -> dict:
    assets = get_assets()
    site = content.site
    return {
        "id": "/",
        "name": site["name"],
        "short_name": site["short_name"],
        "description": site["description"],
        "lang": "en",
        "dir": "ltr",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["health", "fitness", "medical"],
        "icons": [
            {"src": assets.url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png",
             "purpose": "any"},
            {"src": assets.url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "any"},
            {"src": assets.url("icons/maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
            {"src": assets.url("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml",
             "purpose": "any"},
        ],
        "shortcuts": [
            {"name": "Start a posture break", "short_name": "Posture break",
             "url": "/routines/desk-reset?start=1",
             "icons": [{"src": assets.url("icons/icon-192.png"), "sizes": "192x192"}]},
            {"name": "Stretches and routines", "short_name": "Stretches", "url": "/stretches",
             "icons": [{"src": assets.url("icons/icon-192.png"), "sizes": "192x192"}]},
            {"name": "Safety check", "short_name": "Safety check", "url": "/screening",
             "icons": [{"src": assets.url("icons/icon-192.png"), "sizes": "192x192"}]},
        ],
        "screenshots": [
            {"src": assets.url("screenshots/narrow.png"), "sizes": "780x1688",
             "type": "image/png", "form_factor": "narrow",
             "label": "Home screen with your plan and a safety check"},
            {"src": assets.url("screenshots/wide.png"), "sizes": "1280x800",
             "type": "image/png", "form_factor": "wide",
             "label": "Stretch library on a larger screen"},
        ],
    }


def _source_digest(app: Flask, content: Content) -> str:
    """A hash over everything that shapes an offline file: content, templates, assets."""
    templates = Path(app.config["CLIENT_DIR"]) / "templates"
    chunks = [content.version.encode()]
    for path in sorted(templates.rglob("*")):
        if path.is_file():
            chunks.append(path.relative_to(templates).as_posix().encode() + b"\0")
            chunks.append(path.read_bytes())
    return get_assets().digest(chunks)


@bp.get("/manifest.webmanifest")
def manifest():
    body = current_app.extensions["mbr_manifest"]
    return body.respond(request)


@bp.get("/sw.js")
def service_worker():
    # no-cache: the browser must revalidate the worker on every check, or an update
    # could sit unnoticed behind an HTTP cache.
    response = release().sw.respond(request, "no-cache")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get(PACK_PATH)
def precache_pack():
    current = release()
    if request.args.get("v") != current.version:
        abort(404)  # an old worker's pack is gone; it fetches files one by one instead
    return current.pack_for(request.args.get("from")).respond(request, IMMUTABLE)


@bp.get("/offline")
@rendered_once
def offline() -> str:
    return render_template("pwa/offline.html", nav="")


def precache_urls(content: Content) -> list[str]:
    """The cache keys of every file the app needs offline."""
    return ["/offline", "/manifest.webmanifest", *page_urls(content), *get_assets().precache_urls()]


# Response headers a stored copy keeps: a page served from the cache must carry the same
# policy (CSP above all) as one served from the network.
KEPT_HEADERS = ("Content-Type", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                "Permissions-Policy", "Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy",
                "X-Frame-Options")


@dataclass(frozen=True)
class Release:
    """Everything one release's service worker installs: built once, on first use."""

    version: str
    entries: list[dict]  # {url, revision, fetch?}: the worker's precache manifest
    sw: Body  # served without its whole-line comments (they stay in the template)
    pack: Body  # every page (an update with many changed pages fetches it)
    sw_source: str  # the worker as rendered, comments and all (tests compare the two)
    # For a first install: each page's URL -> the static files a visit to it has loaded
    # by the time the worker installs (the rest travel in that page's pack).
    loads: dict[str, frozenset[str]]
    statics: dict[str, tuple[bytes, dict]]  # url -> (bytes, kept headers)
    pages: list[tuple[str, bytes, dict]]
    _packs: dict[frozenset[str], Body] = field(default_factory=dict, compare=False, repr=False)

    def pack_for(self, first_page: str | None) -> Body:
        """The pack for a first install from `first_page`: every page, then every static
        file that page has not loaded, in one brotli stream (one stream compresses each
        script against the others and the pages, ~5 KB less than one by one). At most
        one pack per distinct set of files (a handful), compressed on first use; an
        unknown page gets the pages-only pack, and the worker fetches the rest."""
        loaded = self.loads.get(first_page or "")
        if loaded is None:
            return self.pack
        wanted = frozenset(self.statics) - loaded
        with _pack_lock:
            body = self._packs.get(wanted)
            if body is None:
                files = self.pages + [(url, *self.statics[url]) for url in self.statics if url in wanted]
                body = self._packs[wanted] = _pack(files)
        return body


_MODULE_SOURCES = re.compile(r'<script type="text/x-module" data-src="([^"]+)"')
# Static files a page names (modules, the stylesheet its loader adds, the drawings' sprite)
# and the modules a script imports, statically or not (`from"./x.js"`, `import("./x.js")`).
_STATIC_REFS = re.compile(r"""/static/[^"'\s#?]+""")
_IMPORTS = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*["']\./([\w.-]+\.js)["']""")


def _pack(files: list[tuple[str, bytes, dict]]) -> Body:
    """One line of JSON (the header sets; each file's key, length and header set), then
    the files' bytes, one after another."""
    header_sets: list[dict] = []
    index = []
    for url, data, headers in files:
        if headers not in header_sets:
            header_sets.append(headers)
        index.append([url, len(data), header_sets.index(headers)])
    head = json.dumps({"headers": header_sets, "files": index}, separators=(",", ":"))
    return Body.of(head.encode() + b"\n" + b"".join(data for _, data, _ in files), "application/octet-stream")


def _first_visit_loads(page: str, statics: dict[str, tuple[bytes, dict]]) -> frozenset[str]:
    """The precached static files a visit to `page` (its HTML) has loaded by the time the
    worker installs: what the page names, and every module those import, transitively.
    A wrong guess only costs bytes: a file named here but not loaded is fetched on its
    own; one loaded but not named here arrives twice."""
    by_path = {url.split("?", 1)[0]: url for url in statics}
    todo = [by_path[p] for p in _STATIC_REFS.findall(page) if p in by_path]
    seen: set[str] = set()
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        if url.split("?", 1)[0].endswith(".js"):
            text = statics[url][0].decode("utf-8")
            todo += [by_path[p] for p in (f"/static/js/{name}" for name in _IMPORTS.findall(text)) if p in by_path]
    return frozenset(seen)


def _fetch_url(url: str) -> str | None:
    """Where the worker fetches a file from, when not from its cache key: pages in their
    variant linking the precached stylesheet; scripts at the unversioned address the
    pages' relative imports use, so a module the page has just loaded is revalidated
    from the HTTP cache (304) rather than downloaded again."""
    if url.startswith("/static/js/"):
        return url.split("?", 1)[0]
    if url.startswith("/static/") or url == "/manifest.webmanifest":
        return None
    return f"{url}?{LINKED_PARAM[0]}={LINKED_PARAM[1]}"


def _compact(entry: dict) -> list:
    """A precache entry as the worker's template sends it (sw.js decodes it)."""
    url, fetch = entry["url"], entry.get("fetch")
    revision = None if f"?v={entry['revision']}" in url else entry["revision"]
    if fetch is None:
        return [url, revision]
    if fetch == f"{url}?{LINKED_PARAM[0]}={LINKED_PARAM[1]}":
        return [url, revision, 1]
    if fetch == url.split("?", 1)[0]:
        return [url, revision, 2]
    raise ValueError(f"no short form for fetching {url} from {fetch}")


def _worker_part(client: dict) -> dict:
    """What the worker reads of the reminder constants the pages import."""
    return {
        "storage": client["storage"],
        "snooze_minutes": client["snooze_minutes"],
        "server_actions": client["server_actions"],
        "types": {name: {"actions": t["actions"]} for name, t in client["types"].items()},
    }


def _build_release(app: Flask) -> Release:
    content: Content = app.extensions["mbr_content"]
    version = app.config["CACHE_VERSION"]
    entries: list[dict] = []
    pages: list[tuple[str, bytes, dict]] = []
    statics: dict[str, tuple[bytes, dict]] = {}
    html: dict[str, str] = {}
    client = app.test_client()
    with app.app_context():
        urls = precache_urls(content)
    # The modules pages name themselves (the loader imports them at their ?v= address):
    # fetched there too, so the copy the page has just loaded comes from the HTTP cache.
    page_modules: set[str] = set()
    for url in urls:
        fetch = None if url in page_modules else _fetch_url(url)
        response = client.get(fetch or url)  # no Accept-Encoding: the plain bytes
        if response.status_code != 200:
            raise RuntimeError(f"precached {url} answers {response.status_code}")
        data = response.get_data()
        if response.mimetype == "text/html":
            html[url] = response.get_data(as_text=True)
            page_modules.update(_MODULE_SOURCES.findall(html[url]))
        digest = hashlib.sha256(data).hexdigest()
        # A static file's URL carries the start of its hash (?v=): that is its revision.
        entry = {"url": url, "revision": digest[:10] if url.startswith("/static/") else digest[:12]}
        if fetch:
            entry["fetch"] = fetch
        entries.append(entry)
        headers = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
        if url.startswith("/static/"):
            statics[url] = (data, headers)
        else:
            pages.append((url, data, headers))
    pack = _pack(pages)
    loads = {url: _first_visit_loads(page, statics) for url, page in html.items()}
    bodies = [data for _, data, _ in pages]
    # Past this many changed pages the pack costs less than fetching them one by one
    # (gzip sizes as the estimate: brotli keeps the same proportion, and costs more to
    # compute just for an estimate).
    page_bytes = sorted(len(Body.of(b, "text/html").gzipped or b) for b in bodies)
    median = page_bytes[len(page_bytes) // 2] if page_bytes else 1
    pack_worth = max(1, round(len(pack.gzipped or pack.data) / median))
    with app.app_context():
        sw = render_template(
            "pwa/sw.js",
            version=version,
            precache=[_compact(entry) for entry in entries],
            linked=f"{LINKED_PARAM[0]}={LINKED_PARAM[1]}",
            pack_url=f"{PACK_PATH}?v={version}",
            pack_worth=pack_worth,
            offline_url="/offline",
            # The same payload the scheduler pushes, without a due time: the worker
            # completes it for reminders the open page asks it to show.
            reminder_payloads=app.extensions["mbr_reminder_payloads"],
            # Storage names and actions: the same data the pages import (reminder-data.js).
            reminder_client=_worker_part(app.extensions["mbr_reminder_client"]),
            icon=get_assets().url("icons/icon-192.png"),
            badge=get_assets().url("icons/badge-96.png"),
        )
    # Every browser downloads the worker on every update check; the comments are for us
    # (and the long local names: server/minify.py; a classic script, its top level kept).
    return Release(version, entries, Body.of(minify_js(sw), "text/javascript"), pack, sw,
                   loads, statics, pages)


_release_lock = threading.Lock()
_pack_lock = threading.Lock()


def release(app: Flask | None = None) -> Release:
    """This process's release, built on first use (every page rendered, the pack
    compressed) and kept."""
    app = app or current_app._get_current_object()
    current = app.extensions.get("mbr_release")
    if current is None:
        with _release_lock:
            current = app.extensions.get("mbr_release")
            if current is None:
                current = _build_release(app)
                app.extensions["mbr_release"] = current
    return current


def warm(app: Flask) -> None:
    """Build at start-up what would otherwise be built on first use: the release (every
    page, the service worker, the pack) and every body's brotli and gzip forms, so no
    request ever waits for compression."""
    release(app)
    current = app.extensions["mbr_release"]
    bodies: list[Body] = [*app.extensions["mbr_pages"].values(), *app.extensions["mbr_assets"].files.values(),
                          app.extensions["mbr_manifest"], current.sw, current.pack,
                          *app.extensions.get("mbr_api", {}).values()]
    with app.test_request_context():
        for url in page_urls(app.extensions["mbr_content"]):
            # The variant a browser gets from the network (stylesheet inline).
            app.test_client().get(url)
    bodies += app.extensions["mbr_pages"].values()
    for body in bodies:
        body.encodings  # noqa: B018 - computes and keeps the compressed forms
    if "mbr_fastpath" in app.extensions:
        app.extensions["mbr_fastpath"].prime()  # Flask's answers, recorded for the layer below it


def init_app(app: Flask, reminders: Reminders) -> None:
    app.register_blueprint(bp)
    # The manifest and every page's <meta name="theme-color"> use the same colours.
    app.jinja_env.globals.update(theme_color=THEME_COLOR, theme_color_dark=THEME_COLOR_DARK)
    content: Content = app.extensions["mbr_content"]
    with app.app_context():
        manifest_json = json.dumps(build_manifest(content), indent=1)
        app.extensions["mbr_manifest"] = Body.of(manifest_json, "application/manifest+json")
        version = _source_digest(app, content)
        app.extensions["mbr_cache_version"] = version
        app.extensions["mbr_reminder_payloads"] = reminders.payload_templates()
        app.config["CACHE_VERSION"] = version
