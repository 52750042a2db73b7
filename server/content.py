"""Load content/ once at start-up, validate it, and check every cross-reference.

A broken file stops start-up with one line per problem naming the file, the item and
the field, because a silently missing caution is worse than an app that will not start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError

from . import content_schemas as cs
from . import illustrations as ill
from .screening import ScreeningFileSchema

# file name -> (top-level key holding the list of items, schema). The order is the
# order problems are reported in.
FILES: dict[str, tuple[str, type[Schema]]] = {
    "site.yaml": ("site", cs.SiteFileSchema),
    "sources.yaml": ("sources", cs.SourcesFileSchema),
    "categories.yaml": ("categories", cs.CategoriesFileSchema),
    "causes.yaml": ("causes", cs.CausesFileSchema),
    "exercises.yaml": ("exercises", cs.ExercisesFileSchema),
    "routines.yaml": ("routines", cs.RoutinesFileSchema),
    "reminders.yaml": ("reminders", cs.RemindersFileSchema),
    "plan.yaml": ("choices", cs.PlanFileSchema),
    "screening.yaml": ("questions", ScreeningFileSchema),
    "safety.yaml": ("movement_cautions", cs.SafetyFileSchema),
    "progress.yaml": ("adaptations", cs.ProgressFileSchema),
}


class ContentError(Exception):
    """Raised when content/ is invalid; `problems` holds one readable line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) in content:\n" + "\n".join(f"  - {p}" for p in problems)
        )


@dataclass
class Content:
    version: str
    site: dict[str, Any]
    sources: dict[str, dict]
    categories: dict[str, dict]
    causes: dict[str, dict]
    exercises: dict[str, dict]
    routines: dict[str, dict]
    reminders: dict[str, dict]
    choices: dict[str, dict]
    screening: dict[str, Any]
    safety: dict[str, Any] = field(default_factory=dict)
    progress: dict[str, Any] = field(default_factory=dict)
    illustrations: dict[str, ill.Illustration] = field(default_factory=dict)
    illustration_parts: dict[str, str] = field(default_factory=dict)

    def causes_in(self, category_id: str) -> list[dict]:
        return [c for c in self.causes.values() if c["category"] == category_id]

    def routine_seconds(self, routine_id: str) -> int:
        return sum(step["seconds"] for step in self.routines[routine_id]["steps"])

    def routines_with(self, exercise_id: str) -> list[dict]:
        return [
            r for r in self.routines.values() if any(s["exercise"] == exercise_id for s in r["steps"])
        ]

    def routine_movements(self, routine_id: str) -> list[str]:
        """Every spinal movement any step of the routine makes, in vocabulary order."""
        moves = {m for s in self.routines[routine_id]["steps"]
                 for m in self.exercises[s["exercise"]]["movements"]}
        return [m for m in cs.MOVEMENTS if m in moves]

    def movements_left_out(self, cause_ids: list[str]) -> list[str]:
        """Movements that safety.yaml leaves out for any of these causes."""
        moves = {rule["movement"] for rule in self.safety.get("movement_cautions", [])
                 if set(rule["leave_out_for_causes"]) & set(cause_ids)}
        return [m for m in cs.MOVEMENTS if m in moves]


def _item_label(raw_items: Any, index: Any) -> str:
    if isinstance(index, int) and isinstance(raw_items, list) and 0 <= index < len(raw_items):
        item = raw_items[index]
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            return f"item {index} '{item['id']}'"
    return f"item {index}"


def _flatten(messages: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Turn marshmallow's nested error dict into (dotted.field[path], message) pairs."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if isinstance(key, int):
                sub = f"{path}[{key}]"
            elif key == "_schema":
                sub = path or "(item)"
            else:
                sub = f"{path}.{key}" if path else str(key)
            yield from _flatten(value, sub)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        for message in messages:
            yield path or "(file)", message
    elif isinstance(messages, list):
        for message in messages:
            yield from _flatten(message, path)
    else:
        yield path or "(file)", str(messages)


def _schema_problems(name: str, list_key: str, raw: Any, err: ValidationError) -> list[str]:
    problems: list[str] = []
    messages = err.messages if isinstance(err.messages, Mapping) else {"(file)": err.messages}
    for key, value in messages.items():
        if key == list_key and isinstance(value, Mapping) and list_key != "site":
            raw_items = raw.get(list_key) if isinstance(raw, Mapping) else None
            for index, item_errors in value.items():
                label = _item_label(raw_items, index)
                for path, message in _flatten(item_errors):
                    problems.append(f"content/{name}: {list_key} {label}: field '{path}': {message}")
        else:
            for path, message in _flatten(value, "" if key == "_schema" else str(key)):
                problems.append(f"content/{name}: field '{path}': {message}")
    return problems


def _read(directory: Path) -> tuple[dict[str, Any], list[str], str]:
    data: dict[str, Any] = {}
    problems: list[str] = []
    digest = hashlib.sha256()
    for name, (list_key, schema_cls) in FILES.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"content/{name}: file is missing")
            continue
        raw_bytes = path.read_bytes()
        digest.update(name.encode() + b"\0" + raw_bytes + b"\0")
        try:
            raw = yaml.safe_load(raw_bytes)
        except yaml.YAMLError as exc:
            problems.append(f"content/{name}: not valid YAML: {exc}".replace("\n", " "))
            continue
        try:
            data[name] = schema_cls().load(raw if raw is not None else {})
        except ValidationError as err:
            problems.extend(_schema_problems(name, list_key, raw, err))
    return data, problems, digest.hexdigest()[:16]


def _index(name: str, list_key: str, items: list[dict], problems: list[str]) -> dict[str, dict]:
    by_id: dict[str, dict] = {}
    for i, item in enumerate(items):
        if item["id"] in by_id:
            problems.append(
                f"content/{name}: {list_key} item {i} '{item['id']}': field 'id': "
                f"duplicate id (first used by an earlier item)"
            )
        else:
            by_id[item["id"]] = item
    return by_id


def _check_refs(
    name: str,
    list_key: str,
    items: list[dict],
    field_name: str,
    known: Mapping[str, Any],
    what: str,
    problems: list[str],
) -> None:
    for i, item in enumerate(items):
        value = item.get(field_name)
        refs = value if isinstance(value, list) else [value]
        for ref in refs:
            if ref is not None and ref not in known:
                problems.append(
                    f"content/{name}: {list_key} item {i} '{item['id']}': field '{field_name}': "
                    f"unknown {what} '{ref}'"
                )


def load_content(directory: str | Path, illustrations_dir: str | Path | None = None) -> Content:
    """Read, validate and cross-check content/; raise ContentError listing every problem."""
    directory = Path(directory)
    data, problems, version = _read(directory)
    if problems:
        raise ContentError(problems)

    lists = {name: data[name][key] for name, (key, _) in FILES.items() if key != "site"}
    idx = {name: _index(name, FILES[name][0], items, problems) for name, items in lists.items()}
    screening = data["screening.yaml"]
    idx["screening.yaml"] = _index(
        "screening.yaml", "questions", screening["questions"], problems
    )
    sources = idx["sources.yaml"]
    categories, causes = idx["categories.yaml"], idx["causes.yaml"]
    exercises, routines = idx["exercises.yaml"], idx["routines.yaml"]
    reminders = idx["reminders.yaml"]
    safety = data["safety.yaml"]

    refs: list[tuple[str, str, Mapping[str, Any], str]] = [
        ("categories.yaml", "sources", sources, "source"),
        ("causes.yaml", "category", categories, "category"),
        ("causes.yaml", "exercises", exercises, "exercise"),
        ("causes.yaml", "routines", routines, "routine"),
        ("causes.yaml", "reminders", reminders, "reminder"),
        ("causes.yaml", "sources", sources, "source"),
        ("exercises.yaml", "categories", categories, "category"),
        ("exercises.yaml", "sources", sources, "source"),
        ("routines.yaml", "categories", categories, "category"),
        ("reminders.yaml", "category", categories, "category"),
        ("reminders.yaml", "causes", causes, "cause"),
        ("reminders.yaml", "routine", routines, "routine"),
        ("reminders.yaml", "sources", sources, "source"),
        ("plan.yaml", "causes", causes, "cause"),
        ("plan.yaml", "routines", routines, "routine"),
        ("plan.yaml", "reminders", reminders, "reminder"),
    ]
    for name, field_name, known, what in refs:
        _check_refs(name, FILES[name][0], lists[name], field_name, known, what, problems)
    for kind in ("questions", "combinations"):
        _check_refs(
            "screening.yaml", kind, screening.get(kind, []), "sources", sources, "source", problems
        )
    _check_refs("safety.yaml", "movement_cautions", lists["safety.yaml"], "sources", sources,
                "source", problems)
    _check_refs("safety.yaml", "movement_cautions", lists["safety.yaml"], "leave_out_for_causes",
                causes, "cause", problems)
    for ref in safety["general_caution"]["sources"]:
        if ref not in sources:
            problems.append(
                f"content/safety.yaml: field 'general_caution.sources': unknown source '{ref}'"
            )
    for i, reminder in enumerate(lists["reminders.yaml"]):
        sourced = [(f"warnings[{j}]", w) for j, w in enumerate(reminder["warnings"])]
        if reminder["target_warning"]:
            sourced.append(("target_warning", reminder["target_warning"]))
        for where, item in sourced:
            for ref in item["sources"]:
                if ref not in sources:
                    problems.append(
                        f"content/reminders.yaml: reminders item {i} '{reminder['id']}': "
                        f"field '{where}.sources': unknown source '{ref}'"
                    )

    for i, routine in enumerate(lists["routines.yaml"]):
        for j, step in enumerate(routine["steps"]):
            if step["exercise"] not in exercises:
                problems.append(
                    f"content/routines.yaml: routines item {i} '{routine['id']}': "
                    f"field 'steps[{j}].exercise': unknown exercise '{step['exercise']}'"
                )

    # Safety rule: causes that need a clinician first may only point at gentle movement.
    for i, cause in enumerate(lists["causes.yaml"]):
        if not cause["check_first"]:
            continue
        for ex_id in cause["exercises"]:
            if ex_id in exercises and exercises[ex_id]["difficulty"] != "gentle":
                problems.append(
                    f"content/causes.yaml: causes item {i} '{cause['id']}': field 'exercises': "
                    f"'{ex_id}' is not gentle, but this cause needs checking first"
                )
        for r_id in cause["routines"]:
            if r_id in routines and not routines[r_id]["gentle"]:
                problems.append(
                    f"content/causes.yaml: causes item {i} '{cause['id']}': field 'routines': "
                    f"'{r_id}' is not gentle, but this cause needs checking first"
                )

    problems.extend(_safety_problems(lists, sources, exercises, routines, reminders, causes))
    problems.extend(_progress_problems(data["progress.yaml"], sources, exercises, routines,
                                       reminders, lists["safety.yaml"]))

    drawings: dict[str, ill.Illustration] = {}
    parts: dict[str, str] = {}
    if illustrations_dir is not None:
        positions = {e["id"]: i for i, e in enumerate(lists["exercises.yaml"])}
        drawings, parts, found = ill.load(
            Path(illustrations_dir), {e["id"]: e["illustration"] for e in lists["exercises.yaml"]}
        )
        for exercise_id, message in found:
            where = (
                f"content/exercises.yaml: exercises item {positions[exercise_id]} '{exercise_id}': "
                "field 'illustration': " if exercise_id else ""
            )
            problems.append(where + message)

    if problems:
        raise ContentError(problems)

    return Content(
        version=version,
        site=data["site.yaml"]["site"],
        sources=sources,
        categories=categories,
        causes=causes,
        exercises=exercises,
        routines=routines,
        reminders=reminders,
        choices=idx["plan.yaml"],
        screening=screening,
        safety=safety,
        progress=data["progress.yaml"],
        illustrations=drawings,
        illustration_parts=parts,
    )


def _safety_problems(
    lists: Mapping[str, list[dict]],
    sources: Mapping[str, dict],
    exercises: Mapping[str, dict],
    routines: Mapping[str, dict],
    reminders: Mapping[str, dict],
    causes: Mapping[str, dict],
) -> list[str]:
    """The exercise-safety rules of safety.yaml, and every exercise source traceable."""
    problems: list[str] = []
    rules = lists["safety.yaml"]

    for i, ex in enumerate(lists["exercises.yaml"]):
        where = f"content/exercises.yaml: exercises item {i} '{ex['id']}'"
        for rule in rules:
            if rule["movement"] not in ex["movements"]:
                continue
            word = rule["caution_mentions"].lower()
            if not any(word in c.lower() for c in ex["cautions"]):
                problems.append(
                    f"{where}: field 'cautions': it moves into {rule['movement']}, so a caution must "
                    f"mention '{rule['caution_mentions']}' (safety.yaml '{rule['id']}')"
                )
            if not set(rule["sources"]) & set(ex["sources"]):
                problems.append(
                    f"{where}: field 'sources': its {rule['id']} caution needs one of "
                    f"{', '.join(rule['sources'])} (safety.yaml '{rule['id']}')"
                )
        # A reader must be able to find every source behind a move, or be told it is unchecked.
        for ref in ex["sources"]:
            source = sources.get(ref)
            if source is not None and not source["url"] and not source["unverified"]:
                problems.append(
                    f"{where}: field 'sources': source '{ref}' has no url and is not marked "
                    f"unverified"
                )

    def offending(routine_id: str, movement: str) -> list[str]:
        routine = routines.get(routine_id)
        if routine is None:
            return []
        return sorted({s["exercise"] for s in routine["steps"]
                       if movement in exercises.get(s["exercise"], {}).get("movements", [])})

    for rule in rules:
        movement, left_out = rule["movement"], set(rule["leave_out_for_causes"])
        why = f"{movement} is left out for %s (safety.yaml '{rule['id']}')"
        for i, cause in enumerate(lists["causes.yaml"]):
            if cause["id"] not in left_out:
                continue
            where = f"content/causes.yaml: causes item {i} '{cause['id']}'"
            for ex_id in cause["exercises"]:
                if movement in exercises.get(ex_id, {}).get("movements", []):
                    problems.append(f"{where}: field 'exercises': '{ex_id}' moves into "
                                    + why % f"'{cause['id']}'")
            linked = [("routines", r) for r in cause["routines"]]
            linked += [("reminders", reminders[r]["routine"]) for r in cause["reminders"]
                       if r in reminders]
            for field_name, r_id in linked:
                for ex_id in offending(r_id, movement):
                    problems.append(f"{where}: field '{field_name}': routine '{r_id}' has "
                                    f"'{ex_id}', but " + why % f"'{cause['id']}'")
        for i, choice in enumerate(lists["plan.yaml"]):
            hit = sorted(left_out & set(choice["causes"]))
            if not hit:
                continue
            where = f"content/plan.yaml: choices item {i} '{choice['id']}'"
            for r_id in choice["routines"]:
                for ex_id in offending(r_id, movement):
                    problems.append(f"{where}: field 'routines': routine '{r_id}' has "
                                    f"'{ex_id}', but " + why % f"'{hit[0]}'")
    return problems


def _progress_problems(
    progress: Mapping[str, Any],
    sources: Mapping[str, dict],
    exercises: Mapping[str, dict],
    routines: Mapping[str, dict],
    reminders: Mapping[str, dict],
    movement_cautions: list[dict],
) -> list[str]:
    """progress.yaml: everything it names exists; what the diary offers is gentle; the
    "next level" moves the spine in no direction a safety rule limits, so it stays safe
    for the causes that need a check first."""
    problems: list[str] = []
    name = "content/progress.yaml"
    for ref in progress["trend"]["sources"]:
        if ref not in sources:
            problems.append(f"{name}: field 'trend.sources': unknown source '{ref}'")
    for ref in progress["insights"]["break_types"]:
        if ref not in reminders:
            problems.append(f"{name}: field 'insights.break_types': unknown reminder '{ref}'")
    limited = {rule["movement"] for rule in movement_cautions}
    for i, rule in enumerate(progress["adaptations"]):
        where = f"{name}: adaptations item {i} '{rule['id']}'"
        for ref in rule["sources"]:
            if ref not in sources:
                problems.append(f"{where}: field 'sources': unknown source '{ref}'")
        for r_id in rule["routines"]:
            routine = routines.get(r_id)
            if routine is None:
                problems.append(f"{where}: field 'routines': unknown routine '{r_id}'")
                continue
            if not routine["gentle"]:
                problems.append(f"{where}: field 'routines': '{r_id}' is not gentle")
            if rule["when"].get("improving"):
                moves = sorted({m for s in routine["steps"]
                                for m in exercises.get(s["exercise"], {}).get("movements", [])}
                               & limited)
                if moves:
                    problems.append(f"{where}: field 'routines': next-level routine '{r_id}' "
                                    f"moves into {', '.join(moves)} (limited by safety.yaml)")
    return problems
