"""Mid-Back Relief: the Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_config
from .content import ContentError, load_content
from .illustrations import sprite
from .reminders import Reminders, SchemaTooNew

__all__ = ["create_app", "ContentError", "MidBackRelief", "SchemaTooNew"]


class MidBackRelief(Flask):
    """The Flask app, with the services it was built with."""

    reminders: Reminders


def create_app(config: Mapping[str, Any] | None = None) -> MidBackRelief:
    """Build the app. Raises ContentError (naming file, item and field) on bad content,
    and SchemaTooNew when the reminder database is newer than this code."""
    settings = load_config(config)
    client = Path(settings["CLIENT_DIR"])
    instance = Path(settings["INSTANCE_DIR"])
    app = MidBackRelief(
        __name__,
        static_folder=None,  # served from memory with hashed URLs by server.assets
        template_folder=str(client / "templates"),
        instance_path=str(instance.resolve()),
    )
    app.config.update(settings)
    instance.mkdir(parents=True, exist_ok=True)

    content = load_content(settings["CONTENT_DIR"], client / "static" / "illustrations")
    app.extensions["mbr_content"] = content
    app.jinja_env.globals.update(content=content, site=content.site)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from . import api, assets, fastpath, inline, jsonlimits, pages, pwa, regions, reminders, screening_api, security
    from .reminders import api as reminders_api
    from .reminders.client import CLIENT_MODULE as REMINDER_CLIENT_MODULE
    from .reminders.client import client_data as reminder_client_data
    from .reminders.client import client_module as reminder_client_module

    def fast_urls() -> list[str]:
        # Every prebuilt body with a URL of its own: pages, hashed assets, the manifest,
        # the read-only content API.
        return [*pwa.precache_urls(content), *api.body_urls(app.extensions["mbr_api"])]

    fastpath.init_app(app, fast_urls)
    if int(settings["TRUSTED_PROXIES"]) > 0:
        # The client's address and scheme as the trusted proxies saw them: rate limits
        # key on the real address, HSTS follows X-Forwarded-Proto. The Host header is
        # never trusted for links (PUBLIC_URL is).
        hops = int(settings["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)

    app.reminders = reminders.setup(settings, content.reminders.values())
    reminder_client = reminder_client_data(app.reminders.texts, content.reminders.values(),
                                           content.choices.values(), int(settings["REMINDER_GRACE_SECONDS"]),
                                           [level["id"] for level in content.screening["levels"]])
    app.extensions["mbr_reminder_client"] = reminder_client
    assets.init_app(
        app,
        client / "static",
        {
            assets.SPRITE: sprite(content.illustrations, content.illustration_parts),
            regions.CLIENT_MODULE: regions.client_module(content.screening),
            REMINDER_CLIENT_MODULE: reminder_client_module(reminder_client),
            **pages.client_modules(content),
        },
    )
    security.init_app(app)
    inline.init_app(app, app.extensions["mbr_assets"])
    jsonlimits.init_app(app, api.API_PREFIX)
    pages.init_app(app)
    smorest = api.init_app(app)
    screening_api.init_app(app)
    reminders_api.register(smorest, app.reminders)
    pwa.init_app(app, app.reminders)
    return app
