"""What the first paint needs, inside the page itself.

Every page served from the network carries the stylesheet in a `<style>` element and a
small head script that applies stored state changing the first screen (the safety hold),
so the first paint waits for no other request and nothing shifts when the modules load.
Both texts are fixed at start-up; their SHA-256 hashes go into the Content-Security-Policy
(never 'unsafe-inline').

The service worker precaches a variant of each page that links the (precached)
stylesheet instead (`?css=linked`): the offline install then holds the CSS once, not
once per page.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, render_template, request
from markupsafe import Markup

from . import security
from .assets import Assets
from .minify import strip_js_comments

STYLESHEET = "css/app.css"
HOLD_RULE = "js/hold-rule.js"
STORAGE = "js/storage.js"
LINKED_PARAM = ("css", "linked")


def csp_hash(text: str) -> str:
    """The CSP source expression allowing exactly this inline element text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def _storage_key(storage_js: str, name: str) -> str:
    # The keys live in storage.js; read them from there so they are written once.
    match = re.search(rf"\b{name}:\s*'([^']+)'", storage_js)
    if not match:
        raise RuntimeError(f"client/static/{STORAGE} has no key {name!r}")
    return match.group(1)


def first_paint_script(assets: Assets) -> str:
    rule = assets.files[HOLD_RULE].data.decode("utf-8")
    # The module's declarations as plain script: the same text, `export` dropped.
    rule = re.sub(r"^export ", "", rule, flags=re.MULTILINE)
    storage_js = assets.files[STORAGE].data.decode("utf-8")
    return render_template(
        "inline/first-paint.js",
        hold_rule=Markup(rule.strip()),
        screenings_key=_storage_key(storage_js, "screenings"),
        assessed_key=_storage_key(storage_js, "assessed"),
    )


def wants_linked_css() -> bool:
    """True for the page variant the service worker stores."""
    return request.args.get(LINKED_PARAM[0]) == LINKED_PARAM[1]


def enhancement_scripts(html: str) -> Markup:
    """Module scripts marked low priority: they enhance a page that is already drawn."""
    return Markup(str(html).replace('<script type="module" ', '<script type="module" fetchpriority="low" '))


def init_app(app: Flask, assets: Assets) -> None:
    app.jinja_env.filters["enhancement_scripts"] = enhancement_scripts
    css = assets.files[STYLESHEET].data.decode("utf-8")
    if "</style" in css.lower():
        raise RuntimeError(f"client/static/{STYLESHEET} cannot be inlined: it contains '</style'")
    with app.app_context():
        script = strip_js_comments(first_paint_script(assets))  # every page carries it
    if "</script" in script.lower():
        raise RuntimeError("the first-paint script cannot be inlined: it contains '</script'")
    app.jinja_env.globals.update(inline_css=Markup(css), first_paint_js=Markup(script))
    app.extensions["mbr_inline"] = {"style": css, "script": script}
    security.allow_inline(app, styles=[csp_hash(css)], scripts=[csp_hash(script)])
