"""Smaller bytes for what the browser downloads, made once at start-up.

The repository keeps readable sources: the scripts and the stylesheet carry comments that
say why (about a quarter of the JavaScript). The browser needs none of that, and every
byte of it is paid by each install (issue 14: the whole offline install has a budget) and,
for the stylesheet, by every page, which carries it inline within the first round trip.
There is no front-end build step, so the server trims them as it loads them:

- `strip_js_comments` drops comments, indentation, trailing whitespace and blank lines
  from a script. It never rewrites code or joins lines: a small scanner follows strings,
  template literals (with `${}` nesting), regular expression literals and comments, so
  nothing inside a string or a template is touched; when the scanner cannot follow a
  file to a clean end it returns the file unchanged.
- `minify_js` is what the app serves: the script without its comments
  (`strip_js_comments`), then with its local names shortened (server/mangle.py).
- `minify_css` drops comments and the whitespace CSS does not need, keeping every space
  that means something (descendant combinators, `and (` in media queries, `+` and `-`
  inside `calc()`, strings, custom property values).

All are pure functions; tests/test_minify.py proves them against acorn's token stream and
syntax tree, against eslint-scope's scope analysis (for the renames) and against Chromium's
computed styles.
"""

from __future__ import annotations

import bisect
import logging
import re

from .mangle import mangle_cached

__all__ = ["strip_js_comments", "minify_js", "minify_js_module", "minify_css"]

log = logging.getLogger(__name__)

# --- JavaScript ---------------------------------------------------------------------------

# After one of these characters a `/` starts a regular expression, not a division (the
# classic rule every JS minifier and highlighter uses). `)` and `]` end an operand, so
# `(a + b) / 2` divides; `}` usually ends a block, after which a statement may start.
_REGEX_AFTER_CHARS = frozenset("(,=:[!&|?{};+-*%<>~^}")
# ... and after these words (`return /x/.test(s)`).
_REGEX_AFTER_WORDS = frozenset({
    "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case",
    "do", "else", "yield", "await",
})
# Punctuators that never merge with a neighbour into another token (and spaces).
_NEVER_JOINED = frozenset("()[]{};, \t")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


class _Unscannable(Exception):
    """The scanner lost track (a newline inside a string or a regex, an unclosed literal):
    the caller then keeps the text as it is."""


def _scan_js(text: str) -> tuple[dict[int, int], set[int]]:
    """Where the comments are and which newlines are in plain code.

    Returns ({comment start: comment end (exclusive; a line comment ends before its
    newline)}, {index of every newline that is outside strings, templates and comments}).
    """
    comments: dict[int, int] = {}
    code_newlines: set[int] = set()
    # One entry per open `${`: how many `{` are open inside that expression, so the `}`
    # that closes it (and returns to the template) is told apart from an object's.
    template_depths: list[int] = []
    last_char = ""  # the last significant character of code (comments and spaces skipped)
    last_word = ""  # the identifier, keyword or number that ends there, if any
    n = len(text)
    i = 0

    def template_end(i: int) -> int:
        """Scans template text from i (just after a backtick or a closing `}`) to the end
        of the template or the start of an expression. Returns the index after it, and
        pushes a depth counter when an expression starts."""
        while i < n:
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if ch == "`":
                return i + 1
            if ch == "$" and i + 1 < n and text[i + 1] == "{":
                template_depths.append(0)
                return i + 2
            i += 1
        raise _Unscannable("unclosed template literal")

    def quoted_end(i: int, quote: str) -> int:
        while i < n:
            ch = text[i]
            if ch == "\\":
                i += 2  # an escape, including a line continuation
                continue
            if ch == quote:
                return i + 1
            if ch in "\r\n":
                raise _Unscannable("newline in a string")
            i += 1
        raise _Unscannable("unclosed string")

    def regex_end(i: int) -> int:
        in_class = False
        while i < n:
            ch = text[i]
            if ch in "\r\n":
                raise _Unscannable("newline in a regular expression")
            if ch == "\\":
                i += 2
                continue
            if in_class:
                in_class = ch != "]"
            elif ch == "[":
                in_class = True
            elif ch == "/":
                return i + 1
            i += 1
        raise _Unscannable("unclosed regular expression")

    while i < n:
        ch = text[i]
        if ch == "\n":
            code_newlines.add(i)
            i += 1
        elif ch in " \t\r\f\v":
            i += 1
        elif ch == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            comments[i] = end
            i = end
        elif ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end == -1:
                raise _Unscannable("unclosed block comment")
            comments[i] = end + 2
            i = end + 2
        elif ch == "/":
            if last_char == "" or last_word in _REGEX_AFTER_WORDS or (
                    not last_word and last_char in _REGEX_AFTER_CHARS):
                i = regex_end(i + 1)
            else:
                i += 1  # division
            last_char, last_word = "/", ""
        elif ch in "'\"":
            i = quoted_end(i + 1, ch)
            last_char, last_word = ch, ""
        elif ch == "`":
            i = template_end(i + 1)
            last_char, last_word = "`", ""
        elif ch == "}" and template_depths and template_depths[-1] == 0:
            template_depths.pop()  # the end of a `${...}`: back inside the template
            i = template_end(i + 1)
            last_char, last_word = "`", ""
        elif ch in _WORD_CHARS:
            start = i
            while i < n and text[i] in _WORD_CHARS:
                i += 1
            last_char, last_word = text[i - 1], text[start:i]
        else:
            if template_depths and ch == "{":
                template_depths[-1] += 1
            elif template_depths and ch == "}":
                template_depths[-1] -= 1
            last_char, last_word = ch, ""
            i += 1
    if template_depths:
        raise _Unscannable("unclosed template expression")
    return comments, code_newlines


def strip_js_comments(text: str) -> str:
    """The script without its comments, indentation, trailing spaces and blank lines.

    Only what lies in plain code is touched: template literals and strings keep every
    character, and every line break between two tokens stays (automatic semicolon
    insertion depends on them). A block comment that runs on from code onto later lines
    is kept as written (rare; not worth the care). Text the scanner cannot follow comes
    back unchanged.
    """
    if "\u2028" in text or "\u2029" in text:
        # JavaScript ends a line comment at these too; not worth following: keep as is.
        return text
    try:
        comments, code_newlines = _scan_js(text)
    except _Unscannable:
        return text
    starts = sorted(comments)
    n = len(text)
    out: list[str] = []
    i = 0
    while i < n:
        line_end = text.find("\n", i)
        line_end = n if line_end == -1 else line_end
        ends_in_code = line_end == n or line_end in code_newlines
        if not (i == 0 or (i - 1) in code_newlines):
            # The line starts inside a template literal or a comment: as written (its
            # trailing spaces are code's only when the line ends in code).
            line = text[i:line_end]
            out.append(line.rstrip(" \t") if ends_in_code else line)
            i = line_end + 1
            continue
        j = i
        while j < line_end and text[j] in " \t":
            j += 1
        if j in comments:
            # A comment first on the line: drop it (and every line it spans) when
            # nothing but spaces follows it.
            k = comments[j]
            while k < n and text[k] in " \t":
                k += 1
            if k == n or (text[k] == "\n" and k in code_newlines):
                i = k + 1
                continue
        line = _without_comments(text, j, line_end, comments, starts)
        if ends_in_code:
            line = line.rstrip(" \t")
        if line or not ends_in_code:
            out.append(line)  # (a line left empty, blank or all comments, goes)
        i = line_end + 1
    result = "\n".join(out)
    if text.endswith("\n") and result:
        result += "\n"
    return result


def minify_js(text: str, *, module: bool = False) -> str:
    """The script as served: without its comments, then with shorter local names.

    `module`: an ES module (its top-level names that are not exported are local too);
    otherwise a classic script, whose top level is the page's global scope and is kept.
    A script the renamer leaves alone (it uses `with` or `eval`, see server/mangle.py) is
    served without its comments and logged; one the parser cannot read raises
    server.mangle.MangleError, so start-up fails rather than serve it.
    """
    stripped = strip_js_comments(text)
    mangled, unchanged_because = mangle_cached(stripped, module=module)
    if unchanged_because is not None:
        log.warning("script served without renaming (%s): %.60r", unchanged_because, stripped)
    return mangled


def minify_js_module(text: str) -> str:
    """minify_js for an ES module."""
    return minify_js(text, module=True)


def _without_comments(text: str, start: int, end: int, comments: dict[int, int], starts: list[int]) -> str:
    """text[start:end] (one line, from its first token) without the comments that begin
    and end on it, and without the spaces before each."""
    pieces: list[str] = []
    pos = start
    for comment in starts[bisect.bisect_left(starts, start):]:
        if comment >= end or comments[comment] > end:
            break  # past the line, or a block comment that runs onto the next lines
        pieces.append(text[pos:comment].rstrip(" \t"))
        pos = comments[comment]
        # Two tokens the comment kept apart (`a/* x */b`, `+/* x */+`) stay apart.
        joined = "".join(pieces)
        if (pos < end and joined and text[pos] not in _NEVER_JOINED and joined[-1] not in _NEVER_JOINED):
            pieces.append(" ")
    pieces.append(text[pos:end])
    return "".join(pieces).lstrip(" \t")


# --- CSS ------------------------------------------------------------------------------

# A string, a comment, an unquoted url(...), an escaped character (`.a\\ b` is one class
# name), a run of whitespace, or one other character.
_CSS_TOKEN = re.compile(
    r"""
      (?P<string>"(?:[^"\\\n]|\\.|\\\n)*"|'(?:[^'\\\n]|\\.|\\\n)*')
    | (?P<comment>/\*.*?\*/)
    | (?P<url>url\(\s*[^'")\s][^)]*\))
    | (?P<escape>\\.)
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.X | re.S | re.I,
)
# Whitespace next to these is never needed, anywhere.
_CSS_TIGHT_BEFORE = frozenset("{};,)!")
_CSS_TIGHT_AFTER = frozenset("{};,(")
# Combinators: only in selectors (inside a declaration value `+` and `-` are arithmetic
# in calc(), where the spaces around them are required).
_CSS_COMBINATORS = frozenset(">+~")
# At-rules whose block holds rules (selectors), not declarations.
_CSS_RULE_BLOCKS = ("@media", "@supports", "@layer", "@container", "@document", "@keyframes",
                    "@-webkit-keyframes", "@scope", "@starting-style")


class _CssUnsure(Exception):
    """Something the minifier does not follow (an unclosed string or comment, unbalanced
    braces): the caller keeps the stylesheet as it is."""


def minify_css(text: str) -> str:
    """The stylesheet without comments and needless whitespace, with the same meaning.

    Kept: every string as written; a space before `:` in a selector (`a :hover` is a
    descendant combinator, not `a:hover`); spaces around `+`, `-`, `*` and `/` in values
    (required in calc()); spaces before `(` (`and (` in a media query); custom property
    values as written (scripts can read them). Dropped: comments, the spaces around
    braces, `;`, `,`, after `(` and before `)`, after `:` in declarations and at-rule
    preludes, around `>`, `+` and `~` in selectors, and each block's last `;`.
    Text it cannot follow comes back unchanged.
    """
    try:
        return _minify_css(text)
    except _CssUnsure:
        return text


def _minify_css(text: str) -> str:
    tokens: list[tuple[str, str]] = []
    pos = 0
    for match in _CSS_TOKEN.finditer(text):
        if match.start() != pos:
            raise _CssUnsure("untokenizable text")
        pos = match.end()
        kind = match.lastgroup or "other"
        value = match.group()
        if kind == "other" and value in "\"'":
            raise _CssUnsure("unclosed string")
        if kind == "other" and value == "/" and text.startswith("/*", match.start()):
            raise _CssUnsure("unclosed comment")
        tokens.append((kind, value))
    if pos != len(text):
        raise _CssUnsure("untokenizable text")

    # Comments go. Where one sat between two pieces of code with no space around it, a
    # space could change meaning either way (`div/**/span`), so an empty comment stays.
    merged: list[tuple[str, str]] = []
    for index, (kind, value) in enumerate(tokens):
        if kind != "comment":
            merged.append((kind, value))
            continue
        before = merged[-1] if merged else ("space", "")
        after = tokens[index + 1] if index + 1 < len(tokens) else ("space", "")
        if before[0] in ("space", "comment") or after[0] in ("space", "comment"):
            continue
        if before[1] in _CSS_TIGHT_AFTER or after[1] in _CSS_TIGHT_BEFORE:
            continue
        merged.append(("code", "/**/"))

    out: list[str] = []
    # What each open brace holds: "rules" (selectors follow) or "decls" (declarations).
    blocks: list[str] = []
    prelude_start = 0  # index in `out` where the current prelude began
    in_custom_value = False  # inside `--name: value`, whose text scripts may read as is
    paren_depth = 0
    bracket_depth = 0

    def context() -> str:
        """Where the next token is: a selector, an at-rule prelude or a declaration."""
        if blocks and blocks[-1] == "decls":
            return "decls"
        prelude = "".join(out[prelude_start:]).lstrip()
        return "at-rule" if prelude.startswith("@") else "selector"

    def last_out() -> str:
        return out[-1][-1] if out and out[-1] else ""

    def next_code(index: int) -> str:
        """The first token after index that is not whitespace ("" at the end)."""
        for kind, value in merged[index + 1:]:
            if kind != "space":
                return value
        return ""

    for index, (kind, value) in enumerate(merged):
        if kind == "space":
            nxt = next_code(index)
            if in_custom_value:
                # Kept verbatim but trimmed, as the browser trims it.
                if last_out() != ":" and nxt not in (";", "}", ""):
                    out.append(value)
                continue
            prev = last_out()
            if not prev or not nxt or prev.isspace():
                continue
            if prev in _CSS_TIGHT_AFTER or nxt[0] in _CSS_TIGHT_BEFORE:
                continue
            where = context()
            if prev == ":" and where in ("decls", "at-rule"):
                continue
            if where == "selector" and bracket_depth == 0 and (
                    prev in _CSS_COMBINATORS or nxt[0] in _CSS_COMBINATORS):
                continue
            out.append(" ")
            continue
        if kind != "other":
            out.append(value)
            continue
        ch = value
        if ch == "{":
            if paren_depth or bracket_depth:
                raise _CssUnsure("brace inside parentheses")
            prelude = "".join(out[prelude_start:]).strip().lower()
            holds_rules = prelude.startswith(_CSS_RULE_BLOCKS)
            # A block inside declarations would be CSS nesting: not followed here.
            if blocks and blocks[-1] == "decls":
                raise _CssUnsure("nested rule")
            blocks.append("rules" if holds_rules else "decls")
            out.append(ch)
            prelude_start = len(out)
            in_custom_value = False
        elif ch == "}":
            if not blocks or paren_depth or bracket_depth:
                raise _CssUnsure("unbalanced braces")
            blocks.pop()
            if out and out[-1] == ";":
                out.pop()  # the block's last declaration needs no `;`
            out.append(ch)
            prelude_start = len(out)
            in_custom_value = False
        elif ch == ";":
            out.append(ch)
            if not blocks or blocks[-1] != "decls":
                prelude_start = len(out)  # after `@import ...;` and the like
            in_custom_value = False
        elif ch == ":" and blocks and blocks[-1] == "decls" and paren_depth == 0 and not in_custom_value:
            # The end of a property name: a custom property's value is kept as written.
            name = "".join(out[prelude_start:]).split(";")[-1].strip()
            in_custom_value = name.startswith("--")
            out.append(ch)
        else:
            if ch == "(":
                paren_depth += 1
            elif ch == ")":
                paren_depth -= 1
            elif ch == "[":
                bracket_depth += 1
            elif ch == "]":
                bracket_depth -= 1
            if paren_depth < 0 or bracket_depth < 0:
                raise _CssUnsure("unbalanced brackets")
            out.append(ch)
    if blocks or paren_depth or bracket_depth:
        raise _CssUnsure("unclosed block")
    return "".join(out).strip()
