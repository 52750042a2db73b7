"""Mid-Back Relief: the Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .config import load_config
from .content import ContentError, load_content
from .illustrations import sprite

__all__ = ["create_app", "ContentError"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Raises ContentError (naming file, item and field) on bad content."""
    settings = load_config(config)
    client = Path(settings["CLIENT_DIR"])
    instance = Path(settings["INSTANCE_DIR"])
    app = Flask(
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

    from . import api, assets, pages, pwa, regions, reminders_api, screening_api, security

    assets.init_app(
        app,
        client / "static",
        {
            assets.SPRITE: sprite(content.illustrations, content.illustration_parts),
            regions.CLIENT_MODULE: regions.client_module(content.screening),
        },
    )
    security.init_app(app)
    pages.init_app(app)
    api.init_app(app)
    screening_api.init_app(app)
    reminders_api.init_app(app)
    pwa.init_app(app)
    return app
