"""The PWA blueprint: web app manifest, service worker and offline page.

flask-pwa would fill this role, but its only release (0.1.0) requires Flask < 2.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Flask, current_app, render_template, request

from .assets import get_assets
from .content import Content
from .http import Body
from .pages import page_urls, rendered_once
from .reminders import Reminders

bp = Blueprint("pwa", __name__)

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
    response = current_app.extensions["mbr_sw"].respond(request, "no-cache")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
@rendered_once
def offline() -> str:
    return render_template("pwa/offline.html", nav="")


def precache_urls(content: Content) -> list[str]:
    return ["/offline", "/manifest.webmanifest", *page_urls(content), *get_assets().precache_urls()]


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
        sw = render_template(
            "pwa/sw.js",
            version=version,
            precache=precache_urls(content),
            offline_url="/offline",
            # The same payload the scheduler pushes, without a due time: the worker
            # completes it for reminders the open page asks it to show.
            reminder_payloads=reminders.payload_templates(),
            # Storage names and actions: the same data the pages import (reminder-data.js).
            reminder_client=app.extensions["mbr_reminder_client"],
            icon=get_assets().url("icons/icon-192.png"),
            badge=get_assets().url("icons/badge-96.png"),
        )
        app.extensions["mbr_sw"] = Body.of(sw, "text/javascript")
        app.config["CACHE_VERSION"] = version
        app.config["CACHE_NAME_HASH"] = hashlib.sha256(sw.encode()).hexdigest()[:8]
