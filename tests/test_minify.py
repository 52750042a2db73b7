"""The served scripts and stylesheet are the sources made smaller, and nothing else
(server/minify.py, server/mangle.py).

Every script the app serves - the modules under client/static/js, the generated modules,
the rendered service worker and the inline scripts - is checked in two steps, by tools
independent of the server:
- without its comments, it is the same program: acorn (tests/js/js_tokens.mjs) reads the
  same tokens (each one's exact text, and whether a line break precedes it) and the same
  syntax tree from both;
- as served (also renamed), acorn reads the same tree but for the names of variables,
  and eslint-scope finds the same variables, each reference reading the corresponding
  variable, globals unchanged (tests/js/scope_check.mjs; tests/test_mangle.py proves on
  planted bugs that this check catches a capture).
The stylesheet's meaning is checked in Chromium (tests/test_browser_minified_css.py); here
its rules of thumb are checked on small cases.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from server import critical_css
from server.inline import first_paint_script, module_loader_script
from server.mangle import mangle_report
from server.minify import minify_css, minify_js, strip_js_comments
from server.pwa import release

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
JS_DIR = ROOT / "client" / "static" / "js"


def _node(script: str, payload: list[dict], packages: tuple[str, ...]) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required to check the served scripts with acorn")
    for package in packages:
        if not (TESTS / "node_modules" / package).exists():
            pytest.fail(f"{package} is not installed: run `npm ci` in tests/ (tests/run.sh does)")
    result = subprocess.run([node, str(TESTS / "js" / script)], input=json.dumps(payload),
                            capture_output=True, text=True, cwd=TESTS, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def acorn(files: dict[str, tuple[str, str]]) -> dict[str, dict]:
    """{name: (text, sourceType)} -> acorn's tokens and tree for each (or its error)."""
    payload = [{"name": name, "text": text, "sourceType": kind} for name, (text, kind) in files.items()]
    return _node("js_tokens.mjs", payload, ("acorn",))


def scope_check(pairs: dict[str, tuple[str, str, str]]) -> dict[str, dict]:
    """{name: (source, served, sourceType)} -> {name: {errors, variables, references,
    renamed}} from tests/js/scope_check.mjs (acorn trees and eslint-scope compared)."""
    payload = [{"name": name, "source": source, "served": served, "sourceType": kind}
               for name, (source, served, kind) in pairs.items()]
    return _node("scope_check.mjs", payload, ("acorn", "eslint-scope"))


def assert_same_meaning(pairs: dict[str, tuple[str, str, str]]) -> dict[str, dict]:
    """{name: (source, served, sourceType)}: the served script is the source with only
    variables renamed (each consistently, none captured)."""
    checked = scope_check(pairs)
    problems = {name: result["errors"] for name, result in checked.items() if result["errors"]}
    assert not problems, problems
    return checked


def assert_same_program(pairs: dict[str, tuple[str, str, str]]) -> None:
    """{name: (source, served, sourceType)}: acorn reads the same program from both."""
    files = {}
    for name, (source, served, kind) in pairs.items():
        files[f"source:{name}"] = (source, kind)
        files[f"served:{name}"] = (served, kind)
    read = acorn(files)
    for name in pairs:
        source, served = read[f"source:{name}"], read[f"served:{name}"]
        assert "error" not in source, (name, source.get("error"))
        assert "error" not in served, (name, served.get("error"))
        assert served["tokens"] == source["tokens"], name
        assert served["tree"] == source["tree"], name


def served_scripts(app) -> dict[str, tuple[str, str, str]]:
    """Every script the app sends a browser: {name: (as written, as served, sourceType)}."""
    assets = app.extensions["mbr_assets"]
    scripts = {
        name: (source, assets.files[name].data.decode("utf-8"), "module")
        for name, source in assets.sources.items() if name.endswith(".js")
    }
    current = release(app)
    # A classic script: registered without {type: 'module'} (client/static/js/app.js).
    scripts["sw.js"] = (current.sw_source, current.sw.data.decode("utf-8"), "script")
    with app.app_context():
        scripts["first-paint (inline)"] = (first_paint_script(assets), app.extensions["mbr_inline"]["script"],
                                           "script")
        scripts["module loader (inline)"] = (module_loader_script(assets), app.extensions["mbr_inline"]["loader"],
                                             "script")
    return scripts


def test_every_served_script_is_the_same_program_as_its_source(app):
    scripts = served_scripts(app)
    on_disk = {f"js/{p.name}" for p in JS_DIR.glob("*.js")}
    assert on_disk and on_disk <= set(scripts), on_disk - set(scripts)
    generated = set(scripts) - on_disk - {"sw.js", "first-paint (inline)", "module loader (inline)"}
    assert generated, "the generated modules (regions, reminder data) are checked too"
    # The module on disk is what the app holds as its source.
    for name in on_disk:
        assert scripts[name][0] == (ROOT / "client" / "static" / name).read_text(encoding="utf-8"), name
    # Step 1: without its comments, the same tokens and tree.
    stripped = {name: strip_js_comments(source) for name, (source, _, _) in scripts.items()}
    assert_same_program({name: (source, stripped[name], kind) for name, (source, _, kind) in scripts.items()})
    # Step 2: every script was renamed (none left as is: no `with`, no `eval`), and what
    # is served is that...
    for name, (_, served, kind) in scripts.items():
        assert mangle_report(stripped[name], module=kind == "module") == (served, None), name
    # ... the same program, variables aside.
    checked = assert_same_meaning(scripts)
    # (The names did change: each kind of script has its renames.)
    for name in ("js/storage.js", "sw.js", "first-paint (inline)", "module loader (inline)"):
        assert checked[name]["renamed"] > 20, (name, checked[name])
    assert sum(r["variables"] for r in checked.values()) > 1000
    # ... and it did get smaller.
    source = sum(len(s) for s, _, _ in scripts.values())
    served = sum(len(s) for _, s, _ in scripts.values())
    assert served < 0.75 * source, (served, source)
    for name, (_, text, _) in scripts.items():
        assert not any(line.lstrip().startswith("//") for line in text.splitlines()), name


def test_the_served_bytes_are_the_minified_sources(app, client):
    assets = app.extensions["mbr_assets"]
    css = (ROOT / "client/static/css/app.css").read_text(encoding="utf-8")
    assert assets.sources["css/app.css"] == css
    served = client.get("/static/css/app.css").get_data(as_text=True)
    assert served == minify_css(css) != css
    # Pages inline their own rules of the same minified text (tests/test_critical_css.py).
    assert app.extensions["mbr_inline"]["rules"] == critical_css.parse(served)
    for name in ("js/app.js", "js/storage.js"):
        body = client.get(f"/static/{name}").get_data(as_text=True)
        assert body == minify_js((ROOT / "client/static" / name).read_text(encoding="utf-8"), module=True)
    # The hashed URL is the hash of the bytes served.
    url = assets.url("css/app.css")
    assert client.get(url).get_data(as_text=True) == served


# --- JavaScript: the cases a regular expression would get wrong -------------------------

TRICKY = {
    # `//` and `/*` inside a template literal that spans lines stay, spaces and all.
    "template": (
        "const t = `first line   \n// not a comment\n   /* nor this */   \n\nlast`;\n"
        "// a comment\nexport default t;\n",
        "const t = `first line   \n// not a comment\n   /* nor this */   \n\nlast`;\n"
        "export default t;\n",
    ),
    # Nested templates inside `${}`, with braces of their own; indentation in code goes.
    "nested": (
        "const a = `x ${ `y ${ {k: `\n  // kept\n`}.k } z` }\n// kept too\n`;\n"
        "  // dropped\n    const b = { c: `${a}` }; // dropped\n",
        "const a = `x ${ `y ${ {k: `\n  // kept\n`}.k } z` }\n// kept too\n`;\n"
        "const b = { c: `${a}` };\n",
    ),
    # A regular expression with quotes, a backtick and `//` in it; a division after it.
    "regex": (
        "const re = /['\"`]\\/\\/[/*]/g;\n// gone\nconst half = 10 / 2 / 1;\n"
        "const r2 = x.split(/\\//);\nif (ok) { return /`/.test(s) }\n",
        "const re = /['\"`]\\/\\/[/*]/g;\nconst half = 10 / 2 / 1;\n"
        "const r2 = x.split(/\\//);\nif (ok) { return /`/.test(s) }\n",
    ),
    # URLs in strings stay; comments after code go, with the spaces before them.
    "urls": (
        "const u = 'https://example.org/a'; // trailing comment\n"
        "const v = \"//cdn\";\n/* a block\n   over lines */\nconst w = '/*';   \n\n\n",
        "const u = 'https://example.org/a';\n"
        "const v = \"//cdn\";\nconst w = '/*';\n",
    ),
    # A block comment followed by code on its last line stays whole; one inside a line
    # goes, leaving a space where it kept two tokens apart.
    "block-then-code": (
        "/* one\n two */ const x = 1;\n/** doc */\nfunction f(/* no args */) {\n"
        "  return x/* end */+x; /* a */ /* b */\n}\n",
        "/* one\n two */ const x = 1;\nfunction f() {\nreturn x +x;\n}\n",
    ),
    # `+/**/+` is two plus signs, not an increment.
    "kept-apart": (
        "let a = 1, b = 2;\nlet c = a +/* apart */+b;\nlet d = a/**/;\n",
        "let a = 1, b = 2;\nlet c = a + +b;\nlet d = a;\n",
    ),
    # A block comment that starts after code and runs onto the next line stays.
    "code-then-block": (
        "const y = 2; /* runs\n   on */ const z = y;\n",
        "const y = 2; /* runs\n   on */ const z = y;\n",
    ),
    # A line continuation inside a string.
    "continuation": (
        "const s = 'a \\\n  // inside the string';\n// outside\n",
        "const s = 'a \\\n  // inside the string';\n",
    ),
    # A line break a comment held stays: `a` and `(b)` are two statements.
    "asi": (
        "let a = 1 /* one */\n/* two */\n(function () {})()\n",
        "let a = 1\n(function () {})()\n",
    ),
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_scripts_keep_what_is_not_a_whole_line_comment(name):
    source, expected = TRICKY[name]
    assert strip_js_comments(source) == expected


def test_tricky_scripts_are_the_same_program_for_acorn():
    # Wrapped in a function: `return` at the top level is not a program.
    pairs = {}
    for name, (source, _) in TRICKY.items():
        wrapped = f"function wrap(ok) {{\n{source}\n}}\n".replace("export default t;", "void t;")
        pairs[name] = (wrapped, strip_js_comments(wrapped), "script")
    assert_same_program(pairs)


@pytest.mark.parametrize("text", [
    "const t = `never closed\n// x\n",        # unclosed template
    "const s = 'broken\n// x\n';\n",          # newline inside a string
    "/* never closed\nconst x = 1;\n",        # unclosed block comment
    "const x = `${ {a: 1 `;\n// x\n",         # unclosed template expression
])
def test_a_script_the_scanner_cannot_follow_comes_back_unchanged(text):
    assert strip_js_comments(text) == text


def test_comment_only_and_empty_scripts():
    assert strip_js_comments("") == ""
    assert strip_js_comments("// only\n/* only */\n") == ""
    assert strip_js_comments("a();\n// last line, no newline") == "a();"


# --- CSS ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "expected"), [
    # Comments and the whitespace around punctuation go; the last `;` of a block too.
    ("/* c */\n.a ,\n.b {\n  color : red ;\n  margin: 0 auto;\n}\n", ".a,.b{color :red;margin:0 auto}"),
    # A space before `:` in a selector is a descendant combinator.
    ("a :hover { color: red; } a:hover { color: blue; }", "a :hover{color:red}a:hover{color:blue}"),
    # Descendants keep their space; child, sibling combinators need none.
    (".a .b > .c + .d ~ .e { x: 1 }", ".a .b>.c+.d~.e{x:1}"),
    (":is(.a, .b) > .c:has(> d) { x: 1 }", ":is(.a,.b)>.c:has(>d){x:1}"),
    # calc() needs its spaces around + and -; * and / keep theirs too.
    (".a { width: calc(100% - (2 * 8px) + var(--x, 0px)); }", ".a{width:calc(100% - (2 * 8px) + var(--x,0px))}"),
    # Media queries: `and (` stays valid.
    ("@media screen and (min-width: 30rem), print { .a { x: 1 } }",
     "@media screen and (min-width:30rem),print{.a{x:1}}"),
    ("@media (hover: hover) and (pointer: fine) { .a { x: 1; } }", "@media (hover:hover) and (pointer:fine){.a{x:1}}"),
    # Strings stay exactly as written, escapes and spaces included.
    ('.a::before { content: "  /* x */ , { }  " / "\\FE0E"; }', '.a::before{content:"  /* x */ , { }  " / "\\FE0E"}'),
    # A custom property's value as written (scripts may read it), trimmed as browsers do.
    (":root { --font: a,  b , 'c d' ; --n: 1; }", ":root{--font:a,  b , 'c d';--n:1}"),
    # A comment between two words keeps them apart.
    ("div/**/span { x: 1 }", "div/**/span{x:1}"),
    ("@keyframes k { 0%, 50% { opacity: 1; } to { opacity: 0 } }", "@keyframes k{0%,50%{opacity:1}to{opacity:0}}"),
    (".a { x: 1 !important; }", ".a{x:1!important}"),
    (".a\\ b { x: url( a b.png ); }", ".a\\ b{x:url( a b.png )}"),
    ('[data-x="a  b"] ~ p { x: 1 }', '[data-x="a  b"]~p{x:1}'),
])
def test_css_minified(source, expected):
    assert minify_css(source) == expected


@pytest.mark.parametrize("text", [
    ".a { content: \"never closed; }\n",
    "/* never closed\n.a { x: 1 }",
    ".a { x: 1 ",
    ".a { x: 1 } }",
])
def test_a_stylesheet_the_minifier_cannot_follow_comes_back_unchanged(text):
    assert minify_css(text) == text
