import base64
import gzip
import hashlib
import json
import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from server import critical_css, pages
from server.pages import page_urls
from server.pwa import precache_urls


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.inline_scripts, self.styles, self.style_attrs = [], [], 0, 0
        self.style_texts = []
        self._in_style = False
        self.resources, self.nav_links, self.h1 = [], [], 0
        self._in_script = None
        self._in_nav = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "style" in a:
            self.style_attrs += 1
        if tag == "style":
            self.styles += 1
            self._in_style = True
            self.style_texts.append("")
        if tag == "h1":
            self.h1 += 1
        if tag == "script":
            self._in_script = a
            self.scripts.append(a)
        if tag in {"script", "img", "source", "iframe"} and a.get("src"):
            self.resources.append(a["src"])
        if tag == "link" and a.get("href"):
            self.resources.append(a["href"])
        # What the module loader fetches after the first paint.
        for deferred in ("data-src", "data-css", "data-href"):
            if a.get(deferred):
                self.resources.append(a[deferred])
        if tag == "nav" and "tabbar" in (a.get("class") or ""):
            self._in_nav = True
        if tag == "a" and self._in_nav:
            self.nav_links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_nav = False
        if tag == "script":
            self._in_script = None
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        # Every inline script counts, data blocks too: the data the modules read is in
        # generated modules (module_data), so a page's first 14 KB stay markup and CSS.
        if self._in_script is not None and data.strip():
            self.inline_scripts.append(data)
        if self._in_style:
            self.style_texts[-1] += data


def module_data(client, name: str) -> object:
    """The value a generated data module (`export default {...};`) gives its importers,
    fetched by the URL a relative import asks for."""
    response = client.get(f"/static/{name}")
    assert response.status_code == 200 and response.mimetype == "text/javascript", name
    code = [line for line in response.get_data(as_text=True).splitlines() if not line.startswith("//")]
    assert len(code) == 1 and code[0].startswith("export default ") and code[0].endswith(";"), name
    return json.loads(code[0].removeprefix("export default ").removesuffix(";"))


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def all_pages(app):
    return ["/offline", *page_urls(app.extensions["mbr_content"])]


def test_every_page_renders_without_inline_code_or_third_parties(app, client):
    """The only inline code is the page's own rules (critical_css), the head script and
    the module loader, each allowed by its own hash in the page's CSP; the stored (linked)
    variant has no inline style at all."""
    inline = app.extensions["mbr_inline"]
    scripts = [inline["script"], inline["loader"]]
    for url in all_pages(app):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        parser = PageParser()
        parser.feed(html)
        csp = response.headers["Content-Security-Policy"]
        assert parser.inline_scripts == scripts, url
        assert len(parser.style_texts) == 1 and parser.style_attrs == 0, url
        # Exactly the rules that can match this page, worked out from the page itself.
        style = parser.style_texts[0]
        assert style == critical_css.for_page(inline["rules"], html.replace(style, "", 1)), url
        script_src = next(d for d in csp.split("; ") if d.startswith("script-src "))
        style_src = next(d for d in csp.split("; ") if d.startswith("style-src "))
        assert script_src.split()[2:] == [csp_hash(s) for s in scripts], url
        assert style_src.split()[1:] == ["'self'", csp_hash(style)], url
        assert "unsafe-inline" not in csp
        linked_response = client.get(url + "?css=linked")
        linked = PageParser()
        linked.feed(linked_response.get_data(as_text=True))
        assert linked.styles == 0 and linked.inline_scripts == scripts, url
        assert "'sha256-" not in next(d for d in linked_response.headers["Content-Security-Policy"].split("; ")
                                      if d.startswith("style-src ")), url
        assert any(r.startswith("/static/css/app.css?v=") for r in linked.resources), url
        assert parser.h1 == 1, url
        for resource in parser.resources:
            # The tab icon is in the page itself (a data: URL), never fetched.
            assert resource.startswith(("/", "data:image/svg+xml,")), f"{url} loads {resource} from another origin"
        assert 0 < len(parser.nav_links) <= 5, url


def test_page_data_is_in_generated_modules(app, client):
    """What the modules read (the plan's content slice, the safety-check rules, the
    diary's rules) is built once in Python and served as hashed, precached modules,
    never embedded in a page."""
    content = app.extensions["mbr_content"]
    expected = {
        pages.APP_DATA_MODULE: pages.app_data(content),
        pages.SCREENING_MODULE: pages.screening_client(content),
        pages.PROGRESS_MODULE: pages.progress_client(content),
    }
    assets = app.extensions["mbr_assets"]
    with app.app_context():
        offline = precache_urls(content)
    for name, data in expected.items():
        assert module_data(client, name) == json.loads(json.dumps(data)), name
        assert assets.url(name) in offline, name
        hashed = client.get(assets.url(name))
        assert "immutable" in hashed.headers["Cache-Control"], name
    # (No page embeds data: test_every_page_renders_without_inline_code_or_third_parties
    # allows no inline script but the first-paint one.)


def test_screening_module_is_the_rule_set_less_its_citations(app, client):
    """The safety check's module drops only what /screening's HTML carries: the source
    ids (cited there) and the outcomes' words (its static lists, which the page reads
    them from); every field evaluation reads is there unchanged, levels in order.
    (tests/test_browser_screening.py proves the page's evaluation equal to the server's.)"""
    rules = json.loads(json.dumps(app.extensions["mbr_content"].screening))
    data = module_data(client, pages.SCREENING_MODULE)
    for key in ("signs", "combinations"):
        for item in rules[key]:
            assert item.pop("sources")
    rules["levels"] = [{"id": level["id"]} for level in rules["levels"]]
    assert data == {key: rules[key] for key in ("version", "levels", "signs", "questions", "combinations")}
    content = app.extensions["mbr_content"]
    html = client.get("/screening").get_data(as_text=True)
    for item in content.screening["signs"] + content.screening["combinations"]:
        for sid in item["sources"]:
            source = content.sources[sid]
            assert str(escape(f"{source['publisher']}: {source['title']}")) in html, sid


def test_pages_carry_their_content_without_javascript(app, client):
    content = app.extensions["mbr_content"]
    for cause in content.causes.values():
        html = client.get(f"/causes/{cause['category']}/{cause['id']}").get_data(as_text=True)
        assert cause["title"].replace("'", "&#39;") in html
        for tip in cause["what_helps"]:
            assert tip.replace("'", "&#39;").replace('"', "&#34;") in html
    for ex in content.exercises.values():
        html = client.get(f"/stretches/{ex['id']}").get_data(as_text=True)
        assert "<svg" in html and ex["illustration_alt"].replace("'", "&#39;") in html
        assert len(re.findall(r'<ol class="steps">.*?</ol>', html, re.S)) == 1
        assert "Stop</strong> if the pain becomes sharp" in html
    for routine in content.routines.values():
        html = client.get(f"/routines/{routine['id']}").get_data(as_text=True)
        assert html.count('class="routine-step"') == len(routine["steps"])


@pytest.mark.parametrize("url", ["/causes/nope", "/causes/muscular-postural/nope",
                                 "/causes/skeletal-neurological/muscle-strain",
                                 "/stretches/nope", "/routines/nope", "/nope"])
def test_unknown_pages_are_html_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "find that page" in response.get_data(as_text=True)


def test_pages_have_etag_and_answer_304(client):
    first = client.get("/stretches")
    etag = first.headers["ETag"]
    again = client.get("/stretches", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_pages_are_gzipped_when_asked(client):
    plain = client.get("/about")
    packed = client.get("/about", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2


def test_static_assets_are_hashed_and_immutable(client):
    # The page variant the service worker stores links the stylesheet.
    html = client.get("/?css=linked").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', html).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert response.mimetype == "text/css"
    stale = client.get("/static/css/app.css?v=0000")
    assert "immutable" not in stale.headers["Cache-Control"]
    assert client.get("/static/js/app.js").mimetype == "text/javascript"
    assert client.get("/static/nope.js").status_code == 404
