"""Static files, held in memory with content-hashed URLs.

Every file under client/static is read once at start-up. Its URL carries a hash of its
bytes (`?v=`), so the browser may cache it forever, and the service worker's cache name
is a hash over everything the app needs offline.

Scripts and stylesheets are served trimmed (server/minify.py: comments out of the
scripts and their local names shortened, comments and needless whitespace out of the
stylesheet): the repository keeps the readable sources, the browser gets the smaller
bytes, and the hashes are of the bytes served.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterable, Mapping
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, request

from .http import Body
from .minify import minify_css, minify_js_module

bp = Blueprint("assets", __name__)

IMMUTABLE = "public, max-age=31536000, immutable"
# Not needed offline: the install dialog's screenshots and the large install icons are
# only used while online (installing); the installed app already holds its icons.
NOT_PRECACHED = ("screenshots/", "icons/icon-512.png", "icons/maskable-512.png",
                 "icons/apple-touch-icon.png", "icons/maskable.svg", "illustrations/")
# Pages draw illustrations from this one generated file (see content.illustration_sprite).
SPRITE = "illustrations/sprite.svg"
TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
    ".ico": "image/x-icon",
}
# What each kind of text file goes through before it is served (and hashed). Every
# script here is an ES module (the classic ones, sw.js and the inline scripts, are
# rendered from templates: server/pwa.py, server/inline.py).
MINIFIERS = {".js": minify_js_module, ".mjs": minify_js_module, ".css": minify_css}


class Assets:
    def __init__(self, static_dir: Path, generated: Mapping[str, str] | None = None):
        self.files: dict[str, Body] = {}
        self.hashes: dict[str, str] = {}
        # The text as written, for each file served trimmed (tests compare the two).
        self.sources: dict[str, str] = {}
        for path in sorted(static_dir.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            self._add(path.relative_to(static_dir).as_posix(), path.read_bytes())
        for name, text in (generated or {}).items():
            self._add(name, text.encode("utf-8"))

    def _add(self, rel: str, data: bytes) -> None:
        suffix = Path(rel).suffix
        minify = MINIFIERS.get(suffix)
        if minify is not None:
            source = data.decode("utf-8")
            self.sources[rel] = source
            data = minify(source).encode("utf-8")
        mimetype = TYPES.get(suffix) or mimetypes.guess_type(rel)[0]
        body = Body.of(data, mimetype or "application/octet-stream")
        self.files[rel] = body
        self.hashes[rel] = hashlib.sha256(body.data).hexdigest()[:10]

    def url(self, filename: str) -> str:
        if filename not in self.hashes:
            raise KeyError(f"no static file client/static/{filename}")
        return f"/static/{filename}?v={self.hashes[filename]}"

    def precache_urls(self) -> list[str]:
        return [
            self.url(name) for name in self.files
            if not name.startswith(NOT_PRECACHED) or name == SPRITE
        ]

    def digest(self, extra: Iterable[bytes] = ()) -> str:
        h = hashlib.sha256()
        for name in sorted(self.hashes):
            h.update(name.encode() + b"\0" + self.hashes[name].encode())
        for chunk in extra:
            h.update(chunk)
        return h.hexdigest()[:16]


def get_assets() -> Assets:
    return current_app.extensions["mbr_assets"]


def asset_url(filename: str) -> str:
    return get_assets().url(filename)


@bp.get("/static/<path:filename>")
def static(filename: str):
    assets = get_assets()
    body = assets.files.get(filename)
    if body is None:
        abort(404)
    versioned = request.args.get("v") == assets.hashes[filename]
    # An unversioned URL (an ES module imported relatively) must be revalidated, or an
    # old module could be paired with a new page after an update.
    return body.respond(request, IMMUTABLE if versioned else "no-cache")


def init_app(app: Flask, static_dir: Path, generated: Mapping[str, str] | None = None) -> None:
    app.extensions["mbr_assets"] = Assets(static_dir, generated)
    app.register_blueprint(bp)
    app.add_template_global(asset_url)
