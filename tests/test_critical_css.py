"""Each page inlines only the stylesheet rules that can match it (server/critical_css.py)."""

import re
from pathlib import Path

import pytest

from server import critical_css

STYLESHEET = Path(__file__).resolve().parent.parent / "client" / "static" / "css" / "app.css"

CSS = """
:root { --ink: #111; }
/* a comment { with braces } */
body { margin: 0 }
.card, .nowhere { padding: 1rem }
.gone { color: red }
.card .gone { color: blue }
#main > .lead { font-size: 1.2rem }
button:not(.gone) { cursor: pointer }
a[href^="tel:"]::after { content: "; }" }
@media (prefers-color-scheme: dark) { .card { background: #000 } .gone { color: pink } }
@media (min-width: 900px) { .gone { display: none } }
@keyframes pulse { from { opacity: 0 } to { opacity: 1 } }
@supports (display: grid) { :is(.card, .gone) { display: grid } }
"""

HTML = '<main id="main"><p class="lead">Hi</p><div class="card">x</div><button>b</button></main>'


def test_rules_naming_only_present_classes_and_ids_stay_in_order():
    out = critical_css.for_page(critical_css.parse(CSS), HTML)
    # Declarations are kept as written; only whole rules go.
    assert out == (
        ":root{ --ink: #111; }"
        "body{ margin: 0 }"
        ".card, .nowhere{ padding: 1rem }"  # one selector of the list can match
        "#main > .lead{ font-size: 1.2rem }"
        "button:not(.gone){ cursor: pointer }"  # an absent class makes :not() match
        'a[href^="tel:"]::after{ content: "; }" }'  # braces and semicolons in strings
        "@media (prefers-color-scheme: dark){.card{ background: #000 }}"  # pruned inside
        "@keyframes pulse{ from { opacity: 0 } to { opacity: 1 } }"  # kept whole
        "@supports (display: grid){:is(.card, .gone){ display: grid }}"
    )


def test_a_word_in_an_inline_script_keeps_its_class():
    # The head script adds classes (the safety hold); they are words in the page.
    out = critical_css.for_page(critical_css.parse(".stretch-hold [data-stretch] { display: none }"),
                                "<script>root.classList.add('stretch-hold')</script>")
    assert out == ".stretch-hold [data-stretch]{ display: none }"


@pytest.mark.parametrize("broken", ["a { color: red", "a { color: red } }", ".x { b: 'unclosed }"])
def test_unbalanced_css_is_refused_at_start_up(broken):
    with pytest.raises((ValueError, IndexError)):
        critical_css.parse(broken)


def test_the_app_stylesheet_loses_no_rule_when_every_name_is_present(app):
    source = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(), flags=re.S)
    rules = app.extensions["mbr_inline"]["rules"]
    css = critical_css.for_page(rules, "")
    names = " ".join(re.findall(r"[.#](-?[_a-zA-Z][\w-]*)", source))
    full = critical_css.for_page(rules, names)
    assert len(full) > len(css)
    # Every rule of the stylesheet is in the output: count declarations blocks.
    assert full.count("{") == source.count("{") and full.count("}") == source.count("}")
