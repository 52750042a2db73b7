"""The stylesheet rules one page can use, for the copy inlined in that page.

Every page carries its CSS inline so the first paint waits for nothing, and the whole
page must arrive in the first round trip (about 14 KB). The full stylesheet is most of
that, while a page uses about half of it. So each page inlines only the rules that can
match it: a rule stays when one of its selectors names only classes and ids that occur
as words in the page (its markup and its inline scripts, which name the classes they
add). Everything else stays too: element and attribute selectors, at-rules, custom
properties. Parts inside :not(), :is(), :where() and :has() are not counted (an absent
class can make `:not(.x)` match). The full stylesheet follows after the first paint
(inline/load-modules.js), before any module runs, so elements the modules build are
styled as before; over the same rules in the same order, it changes nothing already drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE_OR_COMMENT = re.compile(r"\s+|/\*.*?\*/", re.S)
# At-rules whose body holds rules (pruned inside); any other block is kept whole.
_GROUPING = ("@media", "@supports", "@layer", "@container")
_PSEUDO_ARGUMENTS = re.compile(r":(?:not|is|where|has|matches|-webkit-any)\((?:[^()]|\([^()]*\))*\)")
_NAMES = re.compile(r"[.#](-?[_a-zA-Z][\w-]*)")
_WORDS = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class Rule:
    prelude: str
    body: str | None = None  # declarations; None for a statement such as @import
    children: tuple[Rule, ...] = ()  # rules inside a grouping at-rule


def _skip_string(css: str, i: int) -> int:
    quote = css[i]
    i += 1
    while css[i] != quote:
        i += 2 if css[i] == "\\" else 1
    return i + 1


def _parse(css: str, i: int = 0, nested: bool = False) -> tuple[list[Rule], int]:
    rules: list[Rule] = []
    n = len(css)
    while i < n:
        space = _SPACE_OR_COMMENT.match(css, i)
        if space and space.end() > i:
            i = space.end()
            continue
        if css[i] == "}":
            if not nested:
                raise ValueError("unbalanced '}' in the stylesheet")
            return rules, i + 1
        j = i
        while j < n and css[j] not in "{;}":
            j = _skip_string(css, j) if css[j] in "\"'" else j + 1
        prelude = css[i:j].strip()
        if j >= n or css[j] == ";":
            rules.append(Rule(prelude))
            i = j + 1
        elif css[j] == "}":
            raise ValueError(f"unexpected '}}' after {prelude[:40]!r}")
        elif prelude.startswith(_GROUPING):
            children, i = _parse(css, j + 1, nested=True)
            rules.append(Rule(prelude, children=tuple(children)))
        else:
            depth, k = 0, j
            while True:
                if k >= n:
                    raise ValueError(f"unclosed block after {prelude[:40]!r}")
                c = css[k]
                if c in "\"'":
                    k = _skip_string(css, k)
                    continue
                depth += c == "{"
                depth -= c == "}"
                if depth == 0:
                    break
                k += 1
            rules.append(Rule(prelude, body=css[j + 1:k]))
            i = k + 1
    return rules, i


def parse(css: str) -> list[Rule]:
    """The stylesheet's top-level rules. Raises ValueError on unbalanced braces."""
    return _parse(css)[0]


def _selectors(prelude: str) -> list[str]:
    out, depth, start = [], 0, 0
    for k, c in enumerate(prelude):
        depth += c in "(["
        depth -= c in ")]"
        if c == "," and depth == 0:
            out.append(prelude[start:k])
            start = k + 1
    out.append(prelude[start:])
    return out


def _may_match(selector: str, words: set[str]) -> bool:
    return all(name in words for name in _NAMES.findall(_PSEUDO_ARGUMENTS.sub("", selector)))


def _keep(rule: Rule, words: set[str]) -> bool:
    if rule.body is None or rule.prelude.startswith("@"):
        return True  # statements and at-rule blocks (@keyframes, @font-face, @page)
    return any(_may_match(s, words) for s in _selectors(rule.prelude))


def _emit(rules: list[Rule] | tuple[Rule, ...], words: set[str]) -> str:
    out = []
    for rule in rules:
        if rule.children or (rule.body is None and rule.prelude.startswith(_GROUPING)):
            inner = _emit(rule.children, words)
            if inner:
                out.append(f"{rule.prelude}{{{inner}}}")
        elif rule.body is None:
            out.append(f"{rule.prelude};")
        elif _keep(rule, words):
            out.append(f"{rule.prelude}{{{rule.body}}}")
    return "".join(out)


def for_page(rules: list[Rule], html: str) -> str:
    """The rules of `rules` that can match `html`, in their order, as CSS text."""
    return _emit(rules, set(_WORDS.findall(html)))
