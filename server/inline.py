"""What the first paint needs, inside the page itself.

Every page served from the network carries the stylesheet in a `<style>` element, a
small head script that applies stored state changing the first screen (the safety hold),
and a script at the end of the body that fills in the emergency number last worked out on
this phone and then imports the page's modules once the first paint is on screen. So the
first paint waits for no other request, no request competes with it, and nothing shifts
when the modules load. The texts are fixed at start-up; their SHA-256 hashes go into the
Content-Security-Policy (never 'unsafe-inline').

The service worker precaches a variant of each page that links the (precached)
stylesheet instead (`?css=linked`): the offline install then holds the CSS once, not
once per page.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import quote

from flask import Flask, current_app, render_template, request
from markupsafe import Markup

from . import critical_css, security
from .assets import Assets
from .minify import minify_js

STYLESHEET = "css/app.css"
HOLD_RULE = "js/hold-rule.js"
NUMBER_FILL = "js/number-fill.js"
TAB_ICON = "icons/icon.svg"
STORAGE = "js/storage.js"
LINKED_PARAM = ("css", "linked")
# Where base.html wants the page's own rules; finish_page puts them there.
PAGE_CSS_MARK = "/*mbr:page-css*/"


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


def _plain(assets: Assets, module: str) -> Markup:
    # A module of plain declarations as classic script: the same text, `export` dropped.
    text = assets.files[module].data.decode("utf-8")
    return Markup(re.sub(r"^export ", "", text, flags=re.MULTILINE).strip())


def first_paint_script(assets: Assets) -> str:
    """The head script: the safety hold, applied before the body is parsed."""
    storage_js = assets.files[STORAGE].data.decode("utf-8")
    return render_template(
        "inline/first-paint.js",
        hold_rule=_plain(assets, HOLD_RULE),
        screenings_key=_storage_key(storage_js, "screenings"),
        assessed_key=_storage_key(storage_js, "assessed"),
    )


def module_loader_script(assets: Assets) -> str:
    """The end-of-body script: the stored emergency number filled in, then the modules
    imported after the first paint."""
    storage_js = assets.files[STORAGE].data.decode("utf-8")
    return render_template("inline/load-modules.js", number_fill=_plain(assets, NUMBER_FILL),
                           local_help_key=_storage_key(storage_js, "localHelp"))


def wants_linked_css() -> bool:
    """True for the page variant the service worker stores."""
    return request.args.get(LINKED_PARAM[0]) == LINKED_PARAM[1]


_MODULE_TAG = re.compile(r'<script type="module" src="([^"]+)"></script>')


def enhancement_scripts(html: str) -> Markup:
    """A page's module scripts, as inert tags the module loader (inline/load-modules.js)
    imports after the first frame: they enhance a page that is already drawn."""
    return Markup(_MODULE_TAG.sub(r'<script type="text/x-module" data-src="\1"></script>', str(html)))


def finish_page(html: str) -> tuple[str, str]:
    """A rendered page with the rules it can use inlined, and the Content-Security-Policy
    that allows exactly them (a page linking the stylesheet gets the common policy)."""
    state = current_app.extensions["mbr_inline"]
    if PAGE_CSS_MARK not in html:
        return html, state["policy"]
    css = critical_css.for_page(state["rules"], html.replace(PAGE_CSS_MARK, ""))
    return html.replace(PAGE_CSS_MARK, css, 1), security.policy([csp_hash(css)], state["scripts"])


def init_app(app: Flask, assets: Assets) -> None:
    app.jinja_env.filters["enhancement_scripts"] = enhancement_scripts
    css = assets.files[STYLESHEET].data.decode("utf-8")
    if "</style" in css.lower():
        raise RuntimeError(f"client/static/{STYLESHEET} cannot be inlined: it contains '</style'")
    with app.app_context():
        # Every page carries them: without the comments, local names shortened
        # (server/minify.py; classic scripts, so their top-level names are kept).
        script = minify_js(first_paint_script(assets))
        loader = minify_js(module_loader_script(assets))
    for name, text in (("first-paint", script), ("module loader", loader)):
        if "</script" in text.lower():
            raise RuntimeError(f"the {name} script cannot be inlined: it contains '</script'")
    # The tab icon inside the page: a data: URL (allowed by img-src), so no request competes
    # with the first paint and the browser never asks for a /favicon.ico we do not have.
    icon = quote(assets.files[TAB_ICON].data.decode("utf-8"), safe=" /=:,.-")
    app.jinja_env.globals.update(page_css_mark=Markup(PAGE_CSS_MARK), first_paint_js=Markup(script),
                                 module_loader_js=Markup(loader), icon_data_url=f"data:image/svg+xml,{icon}")
    scripts = [csp_hash(script), csp_hash(loader)]
    app.extensions["mbr_inline"] = {"rules": critical_css.parse(css), "script": script, "loader": loader,
                                    "scripts": scripts, "policy": security.policy([], scripts)}
    security.allow_inline(app, scripts=scripts)
