"""server/mangle.py on the cases a renamer gets wrong.

Each snippet is renamed and then proved, as the served scripts are (tests/test_minify.py),
by acorn and eslint-scope (tests/js/scope_check.mjs): the same tree but for variable
names, every variable mapped to exactly one, every reference reading the corresponding
variable, globals untouched. A few outputs are also spelled out, so a reader sees what
the renamer does. The last tests plant bugs in the renamer and check that the proof
fails: a check that could not fail would prove nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from server.assets import Assets
from server.mangle import MangleError, mangle, mangle_report
from server.minify import minify_js, strip_js_comments
from tests.test_minify import ROOT, assert_same_meaning, scope_check, served_scripts

# name: (source, sourceType)
SNIPPETS = {
    "shadowing": ("""
export function total(values, extra) {
  const add = (value) => value + extra;
  let sum = 0;
  for (const value of values) { let extra = add(value); sum += extra; }
  { const values = [sum]; return values[0]; }
}
""", "module"),
    "closures": ("""
export function counter(start, step) {
  let count = start;
  return function next(times) {
    for (let i = 0; i < times; i += 1) count += step;
    return () => count + document.title.length + next.length;
  };
}
""", "module"),
    "shorthand": ("""
export function shape(first, second) {
  const { third, fourth = 2, ...others } = first;
  let fifth;
  ({ second, fifth = 5 } = first);
  [fifth, second] = [second, fifth];
  return { first, second, third, fourth, fifth, others, [third]: 1, third2: third };
}
""", "module"),
    "defaults": ("""
export function defaults(first, second = first + 1, { third = second, fourth: [fifth = third] = [] } = {}) {
  return first + second + third + fifth;
}
export const arrow = (one, two = () => one) => two();
""", "module"),
    "classes": ("""
class Base { constructor(size) { this.size = size; } }
export const Made = class Named extends Base {
  #secret = 1;
  static count = 0;
  static { let local = Named.count; Named.count = local + 1; }
  get secret() { return this.#secret; }
  set secret(value) { this.#secret = value; }
  method(argument) { return Named.count + argument + this.size; }
  static create(value) { return new Named(value); }
};
export function make(size) {
  class Inner extends Made { twice() { return Inner.name + size; } }
  return new Inner(size);
}
""", "module"),
    "named function expressions": ("""
export const factorial = function fact(number) { return number ? number * fact(number - 1) : 1; };
const fact = 3;
export const other = () => fact;
""", "module"),
    "labels": ("""
export function find(rows, wanted) {
  outer: for (const row of rows) {
    inner: for (const cell of row) {
      if (cell === wanted) break outer;
      if (!cell) continue inner;
      continue outer;
    }
  }
  return rows;
}
""", "module"),
    "templates and regular expressions": ("""
export function describe(name, count, pattern) {
  const half = count / 2 / 1;
  return `${name}: ${count > 1 ? `${count} items, ${half}` : 'one'} \\`name\\` \\${name}`
    + name.split(/,\\s*\\/name/g).length + pattern.test(`/${name}/`);
}
""", "module"),
    "optional chaining": ("""
export function pick(thing, key, fallback) {
  return thing?.[key]?.value ?? thing?.fallback?.(key) ?? fallback?.key;
}
""", "module"),
    "async and generators": ("""
export async function* generate(items) { for await (const item of items) { yield await item; } }
export async function run(source) {
  const results = [];
  for await (const value of generate(source)) results.push(value);
  function* inner(limit) { for (let index = 0; index < limit; index += 1) yield index; }
  return [...inner(results.length)];
}
""", "module"),
    "loops": ("""
export function loops(object, list) {
  const keys = [];
  for (const key in object) keys.push(key);
  for (let index = 0, length = list.length; index < length; index += 1) keys.push(list[index]);
  for (const [first, second] of Object.entries(object)) keys.push(first + second);
  let last;
  for (last of list) keys.push(last);
  for (var hoisted = 0; hoisted < 1; hoisted++) keys.push(hoisted);
  if (list) { var later = hoisted; }
  return keys.concat(later);
}
""", "module"),
    "catch": ("""
export function attempt(action, report) {
  try { return action(); } catch { report(); } finally { report(action); }
  try { return action(); } catch (error) { return report(error.message); }
  try { return action(); } catch ({ message, code: status }) { return report(message, status); }
}
""", "module"),
    "switch": ("""
export function choose(kind, value) {
  switch (kind) {
    case 1: { let result = value; return result; }
    case 2: const doubled = value * 2; return doubled;
    default: function local() { return value; } return local();
  }
}
""", "module"),
    "imports and exports": ("""
import named, { shortDate, other as renamed, 'quoted-name' as quoted } from './x.js';
import * as everything from './y.js';
const helper = (value) => shortDate(value) + renamed + quoted + everything.x + named;
function internal(input) { return helper(input); }
let counted = 0;
export { helper, internal as published, counted };
export default function (input) { counted += 1; return internal(input) + import.meta.url; }
export { shortDate } from './x.js';
export * as reexported from './z.js';
""", "module"),
    "exported declarations": ("""
export const keptConst = 1, { keptKey, other: keptOther } = {};
export let keptLet = keptConst;
export function keptFunction(parameter) { return parameter + keptClass.name; }
export class keptClass {}
const notExported = keptLet;
export default class Named { method() { return Named === notExported; } }
""", "module"),
    "classic script": ("""
var topLevel = 1;
let topLet = 2;
function globalFunction(parameter, another) { var inner = parameter + topLevel + topLet; return inner + another; }
(() => { const hidden = globalFunction(1, 2); self.x = hidden; })();
class TopClass { method(value) { return value; } }
""", "script"),
    "arguments and this": ("""
export function variadic(first) {
  const rest = () => arguments.length + first + this;
  return rest() + new.target;
}
""", "module"),
    "objects": ("""
export function object(value, key) {
  return { value, key, [key]: value, 'value': 1, 2: value, method(value) { return value; }, get key() { return key; } };
}
""", "module"),
}


@pytest.fixture(scope="module")
def renamed():
    out = {}
    for name, (source, kind) in SNIPPETS.items():
        served, why = mangle_report(source, module=kind == "module")
        assert why is None, (name, why)
        out[name] = (source, served, kind)
    return out


def test_every_snippet_is_the_same_program_with_shorter_names(renamed):
    checked = assert_same_meaning(renamed)
    for name, (source, served, _) in renamed.items():
        assert checked[name]["renamed"] > 0, name
        assert len(served) < len(source), name


@pytest.mark.parametrize(("source", "expected"), [
    # (Names are handed out in order of declaration; one-letter names first, most
    # frequent letters of the rest of the script first: here `n`, `r`, `t`, `o`, `e`.)
    # Shorthand properties and patterns are expanded; the property name stays.
    ("export function f(first) { const {third, fourth = 2} = first; return {third, fourth}; }",
     "export function f(n) { const {third:t, fourth:o = 2} = n; return {third:t, fourth:o}; }"),
    # `export {x}` keeps the exported name; `import {x}` too.
    ("import {longName} from './x.js';\nconst local = longName;\nexport {local};\n",
     "import {longName as o} from './x.js';\nconst r = o;\nexport {r as local};\n"),
    # A name read from outside (`n`, a global here) is never taken by an inner binding.
    ("export function f(parameter) { return n + parameter; }",
     "export function f(r) { return n + r; }"),
    # An inner scope avoids the outer names it reads and reuses the others.
    ("export function f(first, second) { return [(third) => third + first, (fourth) => fourth]; }",
     "export function f(n, r) { return [(r) => r + n, (n) => n]; }"),
    # A classic script's top level is kept: it is the page's global scope.
    ("var topLevel = 1; function g(parameter) { return parameter + topLevel; }",
     "var topLevel = 1; function g(e) { return e + topLevel; }"),
    # Labels, property names and keys are not variables.
    ("export function f(value) { value: for (;;) { break value; } return value.value; }",
     "export function f(e) { value: for (;;) { break value; } return e.value; }"),
])
def test_what_the_renamer_writes(source, expected):
    assert mangle(source, module=source.startswith(("export", "import"))) == expected


@pytest.mark.parametrize(("source", "why"), [
    ("function f(object) { with (object) { return value; } }", "with"),
    ("function f(code) { return eval(code); }", "eval"),
    ("function f(longName) { if (longName) { function g() { return longName; } return g(); } }",
     "a function declared inside a block"),
    ("export function f(first = later) { var later = 1; return first; }", "parameter default"),
])
def test_what_it_does_not_model_is_left_unchanged(source, why):
    module = source.startswith("export")
    served, reason = mangle_report(source, module=module)
    assert served == source
    assert reason is not None and why in reason


@pytest.mark.parametrize("source", [
    "function f( { return 1; }",
    "const x = ;",
    "let s = 'unclosed;\n",
    "export function f() { return `${ }`; }",
])
def test_a_script_the_parser_cannot_read_fails_loudly(source):
    with pytest.raises(MangleError):
        mangle(source, module=True)


def test_the_output_is_the_same_bytes_every_time():
    # In fresh interpreters with different hash seeds (set and dict order must not leak in).
    program = (
        "import sys\nfrom server.mangle import mangle\nfrom server.minify import strip_js_comments\n"
        "text = open('client/static/js/storage.js', encoding='utf-8').read()\n"
        "sys.stdout.write(mangle(strip_js_comments(text), module=True))\n"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT,
                                env={**os.environ, "PYTHONHASHSEED": seed}, timeout=60, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert outputs.pop() == mangle(strip_js_comments((ROOT / "client/static/js/storage.js").read_text()), module=True)


# --- the proof catches a renamer that captures ------------------------------------------

@pytest.mark.parametrize(("unsafe", "source", "error"), [
    # A new name equal to a global the scope reads: `n` would now read the parameter.
    ("globals", "export function f(parameter) { return n + parameter; }", "captured"),
    # A new name equal to an outer variable the inner scope reads.
    ("outer", "export function f(first) { return (second) => first + second; }", "resolves to"),
])
def test_the_proof_catches_a_capture(unsafe, source, error):
    broken, why = mangle_report(source, module=True, unsafe=frozenset({unsafe}))
    assert why is None and broken != source
    # The same renamer without the planted bug passes.
    assert_same_meaning({"safe": (source, mangle(source, module=True), "module")})
    errors = scope_check({"broken": (source, broken, "module")})["broken"]["errors"]
    assert any(error in e for e in errors), (broken, errors)


def test_the_proof_catches_captures_in_the_served_scripts(app):
    # The planted bug on the real scripts: the check must fail on them.
    pairs = {}
    for name, (source, _, kind) in served_scripts(app).items():
        broken, why = mangle_report(strip_js_comments(source), module=kind == "module",
                                    unsafe=frozenset({"outer"}))
        assert why is None
        pairs[name] = (source, broken, kind)
    checked = scope_check(pairs)
    failing = [name for name, result in checked.items() if result["errors"]]
    assert len(failing) > 10, failing


def test_the_proof_catches_a_renamed_property_and_a_renamed_global():
    source = "export function f(value) { return document.title + value.size; }"
    served = mangle(source, module=True)
    for broken in (served.replace(".size", ".b"), served.replace("document", "b"),
                   served.replace("title", "a")):
        errors = scope_check({"broken": (source, broken, "module")})["broken"]["errors"]
        assert errors, broken


# --- where the app uses it ------------------------------------------------------------

def test_a_script_the_parser_cannot_read_stops_start_up(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "fine.js").write_text("export const answer = (value) => value + 1;\n")
    assets = Assets(tmp_path)
    assert assets.files["js/fine.js"].data == b"export const answer = (e) => e + 1;\n"
    (tmp_path / "js" / "broken.js").write_text("export const answer = (value) => ;\n")
    with pytest.raises(MangleError, match="line 1"):
        Assets(tmp_path)


def test_a_script_left_unrenamed_is_served_without_comments_and_logged(caplog):
    source = "// why\nfunction run(code) {\n  return eval(code); // direct eval: names must stay\n}\n"
    with caplog.at_level("WARNING", logger="server.minify"):
        assert minify_js(source) == "function run(code) {\nreturn eval(code);\n}\n"
    assert "uses eval" in caplog.text
