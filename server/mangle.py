"""Shorter local names in the scripts the browser downloads, made once at start-up.

Every byte of JavaScript is paid by each install (issue 14), and most of what is left
after the comments go (server/minify.py) is code; much of that is the long, readable
names of local variables. There is no front-end build step and no Node where the app
runs, so this module renames them in Python, from a real parse (tree-sitter's JavaScript
grammar), the way terser's mangler does:

- A scope analysis: every binding (parameters, `var`/`let`/`const`, function and class
  declarations, catch parameters, `for` heads, imports, the name of a named function or
  class expression) is declared in the scope the language gives it (`var` and, in
  functions, function declarations hoist to the function), and every identifier that is
  a variable reference is resolved to the binding it reads, or to a global.
- Names are handed out scope by scope, outermost first. A binding of scope S gets the
  shortest name that is not a reserved word, not taken by another binding of S, and not
  the (final) name of anything a reference inside S's subtree reads from outside S (an
  outer binding or a global such as `document`): so no renamed binding can capture a
  reference, and none can be captured. Inner scopes reuse the short names freely. Within
  a scope names go in order of declaration, in an alphabet ordered by how often the rest
  of the script uses each character (both as terser does: brotli then finds the same
  `(e,t)` at the head of function after function).
- What is never renamed: property names, object keys, labels, `import.meta`; the top
  level of a classic script (sw.js, the inline scripts: it is the page's global scope);
  a module's exported bindings (`export const x`, `export function f`) and the names
  other modules import. Shorthand is expanded where a renamed binding needs it
  (`{a}` -> `{a:b}`, `export {a}` -> `export {b as a}`, `import {a}` -> `import {a as b}`).
- A script using `with` or `eval`, and the few constructs whose scoping this module does
  not model (a function declared inside a block of a classic script; a parameter default
  reading a name the function body declares), is returned unchanged: `mangle_report`
  says why. Anything the grammar cannot parse raises `MangleError` (start-up fails: a
  script we cannot read is never served half-renamed).

The output differs from the input only in identifier names (and the shorthand
expansions): tests/test_mangle.py and tests/test_minify.py prove it with acorn and
eslint-scope, two independent tools.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import tree_sitter_javascript
from tree_sitter import Language, Node, Parser

__all__ = ["MangleError", "mangle", "mangle_report", "mangle_cached"]

_LANGUAGE = Language(tree_sitter_javascript.language())

# Never handed out: reserved words (in strict code too), words that are keywords in some
# context (`of`, `as`, `let`, `async`...), names the language gives meaning to, and the
# global values a reader expects. `of`, `yield` and `await` matter twice: strip_js_comments
# treats a `/` after them as the start of a regular expression.
_RESERVED_WORDS = """
    break case catch class const continue debugger default delete do else enum export extends
    false finally for function if import in instanceof new null return super switch this throw
    true try typeof var void while with yield let static implements interface package private
    protected public await async of get set as from target meta arguments eval undefined NaN
    Infinity
"""
_RESERVED = frozenset(_RESERVED_WORDS.split())

_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$"
_REST = _FIRST + "0123456789"


class _Names:
    """The names to hand out, shortest first, reserved words skipped. Within a length,
    the characters the rest of the script uses most come first (as terser does): the
    compressor then finds the new names among what it has already seen."""

    def __init__(self, kept_text: bytes) -> None:
        counts = {ch: kept_text.count(ch.encode()) for ch in _REST}
        self.first = sorted(_FIRST, key=lambda ch: (-counts[ch], _REST.index(ch)))
        self.rest = sorted(_REST, key=lambda ch: (-counts[ch], _REST.index(ch)))
        self.names: list[str] = []
        self.source = self._generate()

    def _generate(self) -> Iterator[str]:
        for length in itertools.count(1):
            for tail in itertools.product(self.rest, repeat=length - 1):
                for first in self.first:
                    name = first + "".join(tail)
                    if name not in _RESERVED:
                        yield name

    def __getitem__(self, i: int) -> str:
        while len(self.names) <= i:
            self.names.append(next(self.source))
        return self.names[i]


class MangleError(Exception):
    """The parser could not read the script: it must not be served."""


class _Unmanglable(Exception):
    """A construct this module does not rename through: the script is kept as is."""


@dataclass(eq=False)
class _Binding:
    name: str
    scope: _Scope
    fixed: bool = False  # keeps its name (exported, a classic script's global, ...)
    param: bool = False
    # (start byte, end byte, how to write it) for the declaration and every reference.
    sites: list[tuple[int, int, str]] = field(default_factory=list)
    new_name: str | None = None

    @property
    def final(self) -> str:
        return self.new_name or self.name


@dataclass(eq=False)
class _Scope:
    parent: _Scope | None
    hoists: bool  # `var` (and, in strict code, a function body's functions) land here
    fixed: bool = False  # a classic script's global scope
    bindings: dict[str, _Binding] = field(default_factory=dict)
    children: list[_Scope] = field(default_factory=list)
    # References made directly in this scope: (name, site).
    refs: list[tuple[str, tuple[int, int, str]]] = field(default_factory=list)
    # A function's: every name its parameter list mentions when it has defaults.
    param_reads: set[str] = field(default_factory=set)
    reads_out: set = field(default_factory=set)  # bindings / global names read from outside

    def __post_init__(self) -> None:
        if self.parent is not None:
            self.parent.children.append(self)

    def var_scope(self) -> _Scope:
        scope = self
        while not scope.hoists:
            scope = scope.parent
        return scope

    def declare(self, name: str, site: tuple[int, int, str] | None, *, fixed: bool = False,
                param: bool = False) -> _Binding:
        binding = self.bindings.get(name)
        if binding is None:
            binding = self.bindings[name] = _Binding(name, self)
        binding.fixed = binding.fixed or fixed or self.fixed or name in ("arguments", "eval")
        binding.param = binding.param or param
        if site is not None:
            binding.sites.append(site)
        return binding


# How a site is written once its binding has a new name ("{old}"/"{new}" filled in).
_PLAIN = "{new}"
_SHORTHAND = "{old}:{new}"          # `{a}` in an object literal or a pattern
_EXPORT_SHORTHAND = "{new} as {old}"  # `export {a}`
_IMPORT_SHORTHAND = "{old} as {new}"  # `import {a}`

_FUNCTIONS = frozenset({"function_declaration", "generator_function_declaration", "function_expression",
                        "generator_function", "arrow_function", "method_definition"})


class _Analysis:
    """One walk of the tree: scopes, declarations, and references (resolved afterwards)."""

    def __init__(self, root: Node, module: bool) -> None:
        self.module = module
        self.top = _Scope(None, hoists=True, fixed=not module)
        # Explicit stack (deep expression chains would exhaust Python's recursion).
        self.stack: list[tuple[Node, _Scope]] = [(c, self.top) for c in reversed(root.named_children)]
        while self.stack:
            node, scope = self.stack.pop()
            self.visit(node, scope)

    # -- helpers -------------------------------------------------------------------------

    def push(self, node: Node | None, scope: _Scope) -> None:
        if node is not None:
            self.stack.append((node, scope))

    def push_children(self, node: Node, scope: _Scope) -> None:
        for child in reversed(node.named_children):
            self.stack.append((child, scope))

    def ref(self, node: Node, scope: _Scope, how: str) -> None:
        name = node.text.decode("utf-8")
        if name == "eval":
            raise _Unmanglable("uses eval")
        scope.refs.append((name, (node.start_byte, node.end_byte, how)))

    def declare_pattern(self, node: Node, target: _Scope, scope: _Scope, *, fixed: bool = False,
                        param: bool = False) -> None:
        """Declares every name a binding pattern binds in `target`; expressions inside it
        (defaults, computed keys) are walked in `scope`."""
        kind = node.type
        if kind == "identifier":
            target.declare(node.text.decode("utf-8"), (node.start_byte, node.end_byte, _PLAIN), fixed=fixed,
                           param=param)
        elif kind == "shorthand_property_identifier_pattern":
            target.declare(node.text.decode("utf-8"), (node.start_byte, node.end_byte, _SHORTHAND), fixed=fixed,
                           param=param)
        elif kind in ("object_pattern", "array_pattern"):
            for child in node.named_children:
                if child.type != "comment":
                    self.declare_pattern(child, target, scope, fixed=fixed, param=param)
        elif kind == "pair_pattern":
            key = node.child_by_field_name("key")
            if key is not None and key.type == "computed_property_name":
                self.push(key, scope)
            self.declare_pattern(node.child_by_field_name("value"), target, scope, fixed=fixed, param=param)
        elif kind in ("assignment_pattern", "object_assignment_pattern"):
            self.declare_pattern(node.child_by_field_name("left"), target, scope, fixed=fixed, param=param)
            self.push(node.child_by_field_name("right"), scope)
        elif kind == "rest_pattern":
            for child in node.named_children:
                self.declare_pattern(child, target, scope, fixed=fixed, param=param)
        elif kind == "comment":
            pass
        else:
            raise _Unmanglable(f"unexpected {kind} in a binding pattern")

    def function(self, node: Node, scope: _Scope) -> None:
        """A function's parameters and body, in a scope of their own."""
        inner = _Scope(scope, hoists=True)
        single = node.child_by_field_name("parameter")  # `x => ...`
        if single is not None:
            self.declare_pattern(single, inner, inner, param=True)
        params = node.child_by_field_name("parameters")
        if params is not None:
            for child in params.named_children:
                if child.type != "comment":
                    self.declare_pattern(child, inner, inner, param=True)
            if "=" in params.text.decode("utf-8"):
                # Defaults are evaluated in a scope between the outer one and the body's:
                # `function f(a = x) { var x }` reads an outer x. Not modelled: _resolve
                # gives up if the body declares any name the parameter list mentions.
                todo = [params]
                while todo:
                    part = todo.pop()
                    if part.type in ("identifier", "shorthand_property_identifier"):
                        inner.param_reads.add(part.text.decode("utf-8"))
                    todo.extend(part.named_children)
        body = node.child_by_field_name("body")
        if body is not None and body.type == "statement_block":
            self.push_children(body, inner)  # the body's top level is the function scope
        else:
            self.push(body, inner)

    def function_declared_in(self, scope: _Scope) -> _Scope:
        """Where a function declaration's name lives: its block in strict code (modules),
        the function (or the script) at a body's top level."""
        if scope.hoists:
            return scope
        if not self.module:
            # Annex B gives a sloppy script's block-level function a second, hoisted
            # binding; not modelled.
            raise _Unmanglable("a function declared inside a block of a classic script")
        return scope

    def exported(self, node: Node) -> bool:
        parent = node.parent
        return parent is not None and parent.type == "export_statement" and not any(
            c.type == "default" for c in parent.children)

    # -- the walk ------------------------------------------------------------------------

    def visit(self, node: Node, scope: _Scope) -> None:
        kind = node.type
        if kind == "identifier":
            self.ref(node, scope, _PLAIN)
        elif kind in ("shorthand_property_identifier", "shorthand_property_identifier_pattern"):
            self.ref(node, scope, _SHORTHAND)
        elif kind in ("property_identifier", "private_property_identifier", "statement_identifier",
                      "meta_property", "string", "number", "regex", "comment", "this", "super", "undefined",
                      "true", "false", "null", "hash_bang_line", "break_statement", "continue_statement",
                      "debugger_statement", "empty_statement"):
            pass
        elif kind == "with_statement":
            raise _Unmanglable("uses with")
        elif kind in ("function_declaration", "generator_function_declaration"):
            name = node.child_by_field_name("name")
            if name is not None:  # (`export default function () {}` has none)
                target = self.function_declared_in(scope)
                target.declare(name.text.decode("utf-8"), (name.start_byte, name.end_byte, _PLAIN),
                               fixed=self.exported(node))
            self.function(node, scope)
        elif kind in ("function_expression", "generator_function"):
            name = node.child_by_field_name("name")
            if name is not None:
                # The name is visible only inside the function, in a scope of its own.
                outer = _Scope(scope, hoists=False)
                outer.declare(name.text.decode("utf-8"), (name.start_byte, name.end_byte, _PLAIN))
                scope = outer
            self.function(node, scope)
        elif kind == "arrow_function":
            self.function(node, scope)
        elif kind == "method_definition":
            name = node.child_by_field_name("name")
            if name is not None and name.type == "computed_property_name":
                self.push(name, scope)
            self.function(node, scope)
        elif kind in ("class_declaration", "class"):
            name = node.child_by_field_name("name")
            if name is not None:
                site = (name.start_byte, name.end_byte, _PLAIN)
                if kind == "class_declaration":
                    # One name for the block and for the class's own scope (always the same).
                    scope.declare(name.text.decode("utf-8"), site, fixed=self.exported(node))
                else:
                    scope = _Scope(scope, hoists=False)
                    scope.declare(name.text.decode("utf-8"), site)
            for child in reversed(node.named_children):
                if child != name:
                    self.push(child, scope)
        elif kind == "class_static_block":
            body = node.child_by_field_name("body")
            self.push_children(body, _Scope(scope, hoists=True))
        elif kind in ("statement_block", "switch_body", "for_statement"):
            self.push_children(node, _Scope(scope, hoists=False))
        elif kind == "for_in_statement":
            inner = _Scope(scope, hoists=False)
            declaration = node.child_by_field_name("kind")
            left = node.child_by_field_name("left")
            for child in reversed(node.named_children):
                if child == left and declaration is not None:
                    continue
                self.push(child, inner)
            if declaration is not None:
                target = inner.var_scope() if declaration.type == "var" else inner
                self.declare_pattern(left, target, inner)
        elif kind == "catch_clause":
            inner = _Scope(scope, hoists=False)
            param = node.child_by_field_name("parameter")
            if param is not None:
                self.declare_pattern(param, inner, inner)
            self.push(node.child_by_field_name("body"), inner)
        elif kind in ("variable_declaration", "lexical_declaration"):
            target = scope.var_scope() if kind == "variable_declaration" else scope
            fixed = self.exported(node)
            for declarator in node.named_children:
                if declarator.type != "variable_declarator":
                    continue
                self.declare_pattern(declarator.child_by_field_name("name"), target, scope, fixed=fixed)
                self.push(declarator.child_by_field_name("value"), scope)
        elif kind == "import_statement":
            self.import_statement(node)
        elif kind == "export_statement":
            self.export_statement(node, scope)
        else:
            self.push_children(node, scope)

    def import_statement(self, node: Node) -> None:
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if clause is None:
            return  # import 'x';
        for part in clause.named_children:
            if part.type == "identifier":  # import d from ...
                self.top.declare(part.text.decode("utf-8"), (part.start_byte, part.end_byte, _PLAIN))
            elif part.type == "namespace_import":  # import * as ns from ...
                for ident in part.named_children:
                    if ident.type == "identifier":
                        self.top.declare(ident.text.decode("utf-8"), (ident.start_byte, ident.end_byte, _PLAIN))
            elif part.type == "named_imports":
                for spec in part.named_children:
                    if spec.type != "import_specifier":
                        continue
                    alias = spec.child_by_field_name("alias")
                    if alias is not None:
                        self.top.declare(alias.text.decode("utf-8"), (alias.start_byte, alias.end_byte, _PLAIN))
                    else:
                        name = spec.child_by_field_name("name")
                        self.top.declare(name.text.decode("utf-8"),
                                         (name.start_byte, name.end_byte, _IMPORT_SHORTHAND))

    def export_statement(self, node: Node, scope: _Scope) -> None:
        if node.child_by_field_name("source") is not None:
            return  # export ... from '...': names of another module only
        for child in reversed(node.named_children):
            if child.type == "export_clause":
                for spec in child.named_children:
                    if spec.type != "export_specifier":
                        continue
                    name = spec.child_by_field_name("name")
                    if name.type != "identifier":
                        raise _Unmanglable("export of a string name")
                    how = _PLAIN if spec.child_by_field_name("alias") is not None else _EXPORT_SHORTHAND
                    self.ref(name, scope, how)
            else:
                self.push(child, scope)  # a declaration (its visit marks it exported) or a value


def _resolve(top: _Scope) -> None:
    """Each reference to its binding (adding its site), and each scope's reads_out."""
    order: list[_Scope] = []
    todo = [top]
    while todo:
        scope = todo.pop()
        order.append(scope)
        todo.extend(scope.children)
    for scope in order:
        for name in scope.param_reads:
            binding = scope.bindings.get(name)
            if binding is not None and not binding.param:
                raise _Unmanglable("a parameter default reads a name the body declares")
        for name, site in scope.refs:
            found = scope
            while found is not None and name not in found.bindings:
                found = found.parent
            if found is None:
                target = name  # a global
            else:
                binding = found.bindings[name]
                binding.sites.append(site)
                target = binding
            if found is not scope:
                scope.reads_out.add(target)
    for scope in reversed(order):  # children before parents
        if scope.parent is not None:
            for target in scope.reads_out:
                if isinstance(target, str) or target.scope is not scope.parent:
                    scope.parent.reads_out.add(target)


def _assign(top: _Scope, names: _Names, unsafe: frozenset[str] = frozenset()) -> None:
    """New names, outermost scope first (inner scopes avoid the outer names they read)."""
    todo = [top]
    while todo:
        scope = todo.pop()
        todo.extend(reversed(scope.children))
        taken = set()
        for target in scope.reads_out:
            if isinstance(target, str):
                if "globals" not in unsafe:
                    taken.add(target)
            elif "outer" not in unsafe:
                taken.add(target.final)
        for binding in scope.bindings.values():
            if binding.fixed:
                taken.add(binding.name)
        # In order of declaration, as terser does: the first parameter of every function
        # gets the same name, which compresses best.
        movable = [b for b in scope.bindings.values() if not b.fixed]
        movable.sort(key=lambda b: min((s[0] for s in b.sites), default=0))
        i = 0
        for binding in movable:
            while names[i] in taken:
                i += 1
            binding.new_name = names[i]
            taken.add(names[i])
            i += 1


def _kept_text(source: bytes, top: _Scope) -> bytes:
    """The script without the names that will change."""
    spans = sorted(site[:2] for scope in _scopes(top) for binding in scope.bindings.values() if not binding.fixed
                   for site in binding.sites)
    out, pos = [], 0
    for start, end in spans:
        out.append(source[pos:start])
        pos = max(pos, end)
    out.append(source[pos:])
    return b"".join(out)


def _scopes(top: _Scope) -> Iterator[_Scope]:
    todo = [top]
    while todo:
        scope = todo.pop()
        yield scope
        todo.extend(scope.children)


def _rewrite(source: bytes, top: _Scope) -> bytes:
    edits: list[tuple[int, int, bytes]] = []
    todo = [top]
    while todo:
        scope = todo.pop()
        todo.extend(scope.children)
        for binding in scope.bindings.values():
            if binding.new_name is None or binding.new_name == binding.name:
                continue
            for start, end, how in binding.sites:
                edits.append((start, end, how.format(old=binding.name, new=binding.new_name).encode()))
    edits.sort()
    out: list[bytes] = []
    pos = 0
    for start, end, text in edits:
        if start < pos:
            raise MangleError(f"overlapping renames at byte {start}")
        out.append(source[pos:start])
        out.append(text)
        pos = end
    out.append(source[pos:])
    return b"".join(out)


def mangle_report(text: str, *, module: bool, unsafe: frozenset[str] = frozenset()) -> tuple[str, str | None]:
    """(the script with its local names shortened, None) or (the script unchanged, why).

    `module`: an ES module (its unexported top-level names are local too) or a classic
    script (its top level is the page's global scope: kept). `unsafe` plants bugs, for
    the tests that prove their checks catch a capture (never use it otherwise):
    "globals" lets a new name equal a global the scope reads (`document`), "outer" one
    equal an outer variable the scope reads.
    """
    source = text.encode("utf-8")
    tree = Parser(_LANGUAGE).parse(source)
    if tree.root_node.has_error:
        raise MangleError(_first_error(tree.root_node, source))
    try:
        analysis = _Analysis(tree.root_node, module)
        _resolve(analysis.top)
    except _Unmanglable as why:
        return text, str(why)
    _assign(analysis.top, _Names(_kept_text(source, analysis.top)), unsafe)
    return _rewrite(source, analysis.top).decode("utf-8"), None


def mangle(text: str, *, module: bool) -> str:
    """The script with its local names shortened (unchanged if it cannot be, see module doc)."""
    return mangle_report(text, module=module)[0]


@functools.lru_cache(maxsize=256)
def mangle_cached(text: str, *, module: bool) -> tuple[str, str | None]:
    """mangle_report, kept per process by content (tests build many apps from the same
    files; renaming every script costs about 0.1 s of CPU)."""
    return mangle_report(text, module=module)


def _first_error(root: Node, source: bytes) -> str:
    todo = [root]
    while todo:
        node = todo.pop()
        if node.type == "ERROR" or node.is_missing:
            line, column = node.start_point
            snippet = source[node.start_byte:node.start_byte + 60].decode("utf-8", "replace")
            what = f"missing {node.type}" if node.is_missing else "syntax error"
            return f"{what} at line {line + 1}, column {column + 1}: {snippet!r}"
        todo.extend(reversed(node.children))
    return "syntax error"
