"""Exercise illustrations: read and check the drawings, and bundle them into one sprite.

Each client/static/illustrations/<name>.svg shows a movement as two poses,
`<g id="start">` and `<g id="end">`, drawn over what both share (`<g id="still">`: the
floor, the chair, the legs that stay put). Drawings may `<use>` the shared parts in
parts.svg (`href="#p-…"`). tests/tools/draw_illustrations.py draws them all from one body.

The sprite holds each pose as a symbol, `ill-<exercise>-start` and `ill-<exercise>-end`;
the still part and the shared parts are defined once and `<use>`d by both poses. Pages
show the two poses side by side or fade between them (client/static/css/app.css).

The page styles the drawings (the `.ill` rule in app.css), so the sprite carries no
style of its own: `fill`, `stroke-width` and the round caps and joins it sets match the
files' root attributes (which are there for viewing a file on its own), and the colours
follow light and dark: lines without a stroke take the page's `stroke` (the figure),
lines with `stroke="currentColor"` its `color` (the moving body part and the arrows,
which every pose must have).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

SVG_NS = "{http://www.w3.org/2000/svg}"
PARTS_FILE = "parts.svg"
POSES = ("start", "end")
GROUPS = ("still", *POSES)
HIGHLIGHT = "currentColor"
# Pages draw every pose in a 200 x 160 frame; another shape would be letterboxed.
ASPECT = 200 / 160
FORBIDDEN_TAGS = {"script", "style", "foreignObject", "image", "a"}


@dataclass(frozen=True)
class Illustration:
    view_box: str
    still: str
    start: str
    end: str


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _markup(el: ET.Element) -> str:
    """Serialize without namespace prefixes (the sprite declares the SVG namespace once)."""
    attrs = "".join(f' {_local(k)}="{escape(v, {chr(34): "&quot;"})}"' for k, v in el.attrib.items())
    inner = escape((el.text or "").strip()) + "".join(_markup(child) for child in el)
    tag = _local(el.tag)
    return f"<{tag}{attrs}>{inner}</{tag}>" if inner else f"<{tag}{attrs}/>"


def _inner(el: ET.Element) -> str:
    return "".join(_markup(child) for child in el)


def _safety_problems(root: ET.Element, known_ids: Iterable[str]) -> list[str]:
    """No scripts, styles or outside references: the sprite is served from our origin
    under a policy that allows neither, and must not make another request."""
    problems = []
    known = set(known_ids)
    for el in root.iter():
        tag = _local(el.tag)
        if tag in FORBIDDEN_TAGS:
            problems.append(f"<{tag}> is not allowed")
        for key, value in el.attrib.items():
            name = _local(key)
            if name.startswith("on") or name == "style":
                problems.append(f"attribute '{name}' is not allowed")
            if name == "href" and (not value.startswith("#") or value[1:] not in known):
                problems.append(f"<{tag} href=\"{value}\"> refers to no shared part")
    return problems


def parse_parts(text: str) -> tuple[dict[str, str], list[str]]:
    """Shared parts: every `<g id="p-…">` in parts.svg."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return {}, [f"not well-formed SVG ({exc})"]
    parts = {}
    for el in root.iter(f"{SVG_NS}g"):
        part_id = el.get("id", "")
        if part_id:
            if not re.fullmatch(r"p-[a-z0-9-]+", part_id):
                return {}, [f"part id '{part_id}' must start with 'p-'"]
            parts[part_id] = _markup(el)
    problems = _safety_problems(root, parts)
    return parts, problems


def parse(text: str, part_ids: Iterable[str]) -> tuple[Illustration | None, list[str]]:
    """One exercise's drawing, or the problems that stop it being used."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return None, [f"not well-formed SVG ({exc})"]
    if root.tag != f"{SVG_NS}svg":
        return None, ["the root element must be <svg xmlns=\"http://www.w3.org/2000/svg\">"]
    problems = _safety_problems(root, part_ids)
    box = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", root.get("viewBox", ""))]
    if len(box) != 4 or box[3] <= 0 or abs(box[2] / box[3] - ASPECT) > 0.01:
        problems.append("viewBox must be four numbers with width:height 5:4")
    groups: dict[str, ET.Element] = {}
    for child in root:
        gid = child.get("id")
        if _local(child.tag) != "g" or gid not in GROUPS:
            problems.append(f"top-level <{_local(child.tag)} id=\"{gid}\"> must be <g id=\"still|start|end\">")
        else:
            groups[gid] = child
    for pose in POSES:
        if pose not in groups:
            problems.append(f"no <g id=\"{pose}\"> pose")
        elif not any(el.get("stroke") == HIGHLIGHT for el in groups[pose].iter()):
            problems.append(f"the {pose} pose highlights nothing (no stroke=\"{HIGHLIGHT}\")")
    if problems:
        return None, problems
    parts = {g: _inner(groups[g]) if g in groups else "" for g in GROUPS}
    return Illustration(" ".join(f"{v:g}" for v in box), parts["still"], parts["start"], parts["end"]), []


Problem = tuple[str | None, str]  # (the exercise it belongs to, if any; the message)


def load(directory: Path, files: Mapping[str, str]) -> tuple[dict[str, Illustration], dict[str, str], list[Problem]]:
    """Read parts.svg and each exercise's file (exercise id -> file name)."""
    problems: list[Problem] = []
    parts: dict[str, str] = {}
    parts_path = directory / PARTS_FILE
    if parts_path.is_file():
        parts, found = parse_parts(parts_path.read_text(encoding="utf-8"))
        problems += [(None, f"client/static/illustrations/{PARTS_FILE}: {p}") for p in found]
    drawings: dict[str, Illustration] = {}
    for exercise_id, name in files.items():
        path = directory / name
        if not path.is_file():
            problems.append((exercise_id, f"file client/static/illustrations/{name} does not exist"))
            continue
        drawing, found = parse(path.read_text(encoding="utf-8"), parts)
        problems += [(exercise_id, f"client/static/illustrations/{name}: {p}") for p in found]
        if drawing is not None:
            drawings[exercise_id] = drawing
    return drawings, parts, problems


def sprite(drawings: Mapping[str, Illustration], parts: Mapping[str, str]) -> str:
    """One SVG file for every page: shared parts and still parts once, then a symbol
    per pose."""
    defs = "".join(parts.values()) + "".join(
        f'<g id="ill-{i}-still">{d.still}</g>' for i, d in drawings.items() if d.still
    )
    symbols = []
    for exercise_id, d in drawings.items():
        still = f'<use href="#ill-{exercise_id}-still"/>' if d.still else ""
        for pose in POSES:
            symbols.append(
                f'<symbol id="ill-{exercise_id}-{pose}" viewBox="{d.view_box}">{still}{getattr(d, pose)}</symbol>'
            )
    return f'<svg xmlns="http://www.w3.org/2000/svg"><defs>{defs}</defs>{"".join(symbols)}</svg>\n'
