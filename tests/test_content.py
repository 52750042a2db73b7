"""content/: every cause in the article is there, and every file's schema and every
cross-reference fails start-up with the file, the item and the field."""

import re

import pytest
import yaml

from server.content import ContentError, load_content
from tests.conftest import ROOT

ILLUSTRATIONS = ROOT / "client" / "static" / "illustrations"

ARTICLE_CAUSES = {
    "muscular-postural": {"muscle-strain", "heavy-lifting", "poor-posture", "repetitive-motion",
                          "inactivity", "trigger-points"},
    "skeletal-neurological": {"disc-herniation", "spinal-stenosis", "nerve-impingement",
                              "arthritis"},
    "lifestyle-less-common": {"stress-anxiety", "dehydration", "systemic-conditions"},
}


@pytest.fixture(scope="module")
def content():
    return load_content(ROOT / "content", ILLUSTRATIONS)


def test_every_cause_in_the_article_is_there_in_its_category(content):
    for category, causes in ARTICLE_CAUSES.items():
        assert {c["id"] for c in content.causes_in(category)} == causes


def test_self_care_causes_link_exercises_routines_and_reminders(content):
    for cause in content.causes.values():
        if cause["check_first"]:
            continue
        assert cause["exercises"], cause["id"]
        assert cause["routines"], cause["id"]
        assert cause["reminders"], cause["id"]


def test_check_first_causes_lead_with_getting_checked_and_only_gentle_moves(content):
    for cid in ARTICLE_CAUSES["skeletal-neurological"] | {"systemic-conditions"}:
        cause = content.causes[cid]
        assert cause["check_first"], cid
        assert re.search(r"check|doctor|clinician|physio", cause["what_helps"][0], re.I), cid
        for ex in cause["exercises"]:
            assert content.exercises[ex]["difficulty"] == "gentle"
        for r in cause["routines"]:
            assert content.routines[r]["gentle"]
    assert content.causes["systemic-conditions"]["exercises"] == []


def test_exercise_library(content):
    exercises = list(content.exercises.values())
    assert len(exercises) >= 12
    quick_desk = [e for e in exercises if e["desk_friendly"] and e["duration_seconds"] < 60]
    assert len(quick_desk) >= 4
    for e in exercises:
        assert len(e["steps"]) >= 2 and e["cautions"] and e["illustration_alt"]
        drawing = content.illustrations[e["id"]]
        assert drawing.start and drawing.end and drawing.start != drawing.end


def test_routines_tied_to_categories_and_timed(content):
    expected = {"desk-reset": (90, 150), "gentle-mobility": (240, 360), "calm-down": (180, 330)}
    for rid, (low, high) in expected.items():
        assert low <= content.routine_seconds(rid) <= high, rid
    assert content.routines["gentle-mobility"]["gentle"]
    assert any(
        content.exercises[s["exercise"]]["kind"] == "breathing"
        for s in content.routines["calm-down"]["steps"]
    )


def break_file(directory, name, mutate):
    path = directory / name
    data = yaml.safe_load(path.read_text())
    mutate(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def problems_for(directory):
    with pytest.raises(ContentError) as info:
        load_content(directory, ILLUSTRATIONS)
    return info.value.problems


# (file, (list, index) of the broken item or None for a file-level field, the break, the
# whole problem after the item's label). The item's label (list, index and id) comes from
# the file, so the expected line is exact without naming today's ids.
CASES = [
    ("categories.yaml", ("categories", 0), lambda i: i.pop("summary"),
     "field 'summary': Missing data for required field."),
    ("causes.yaml", ("causes", 1), lambda i: i.update(what_helps=[]),
     "field 'what_helps': Shorter than minimum length 1."),
    ("exercises.yaml", ("exercises", 2), lambda i: i.update(position="lying"),
     "field 'position': Must be one of: seated, standing, floor."),
    ("exercises.yaml", ("exercises", 0), lambda i: i.update(steps=["One", 5]),
     "field 'steps[1]': Not a valid string."),
    ("routines.yaml", ("routines", 0), lambda i: i["steps"][0].update(seconds=0),
     "field 'steps[0].seconds': Must be greater than or equal to 5 and less than or equal to 600."),
    ("reminders.yaml", ("reminders", 0), lambda i: i.update(default_interval_minutes=5),
     "field 'default_interval_minutes': Must be greater than or equal to 15 and less than or equal to 240."),
    ("plan.yaml", ("choices", 0), lambda i: i.update(colour="blue"),
     "field 'colour': Unknown field."),
    ("sources.yaml", ("sources", 0), lambda i: i.update(url="not a url"),
     "field 'url': Not a valid URL."),
    ("site.yaml", None, lambda d: d["site"].update(emergency=""),
     "field 'site.emergency': Length must be between 1 and 2000."),
    ("screening.yaml", None, lambda d: d["signs"][0].update(level="someday"),
     "field 'signs[0].level': Must be one of: emergency, same-day, appointment (a yes must raise the urgency)."),
]


@pytest.mark.parametrize("name, where, mutate, expected", CASES, ids=[c[3][:40] for c in CASES])
def test_each_schema_rejects_a_broken_file_precisely(content_copy, name, where, mutate, expected):
    label = []

    def broken(data):
        if where is None:
            mutate(data)
            return
        collection, index = where
        label.append(f"{collection} item {index} '{data[collection][index]['id']}': ")
        mutate(data[collection][index])

    break_file(content_copy, name, broken)
    # Exactly one problem, naming the file, the item and the field, with the reason.
    assert problems_for(content_copy) == [f"content/{name}: {''.join(label)}{expected}"]


def test_cross_references_and_duplicates_are_caught(content_copy):
    first_routine = {}

    def bad_routine(d):
        first_routine["id"] = d["routines"][0]["id"]
        d["routines"][0]["steps"][0]["exercise"] = "no-such-move"

    break_file(content_copy, "routines.yaml", bad_routine)
    break_file(content_copy, "causes.yaml", lambda d: d["causes"][0].update(category="nope"))
    break_file(content_copy, "exercises.yaml", lambda d: d["exercises"].append(dict(d["exercises"][0])))
    problems = "\n".join(problems_for(content_copy))
    assert (f"content/routines.yaml: routines item 0 '{first_routine['id']}': "
            "field 'steps[0].exercise': unknown exercise 'no-such-move'") in problems
    assert "content/causes.yaml: causes item 0 'muscle-strain': field 'category': unknown category 'nope'" in problems
    assert "field 'id': duplicate id" in problems


def test_check_first_cause_may_not_link_a_non_gentle_move(content_copy, content):
    moderate = next((e for e in content.exercises.values() if e["difficulty"] != "gentle"), None)
    assert moderate is not None, "the library should have at least one moderate move"
    break_file(
        content_copy, "causes.yaml",
        lambda d: next(c for c in d["causes"] if c["id"] == "disc-herniation")["exercises"].append(
            moderate["id"]),
    )
    problems = "\n".join(problems_for(content_copy))
    assert "'disc-herniation': field 'exercises'" in problems and "not gentle" in problems


def test_missing_illustration_is_named(content_copy, tmp_path):
    import shutil

    ill = tmp_path / "ill"
    shutil.copytree(ILLUSTRATIONS, ill)
    (ill / "chin-tuck.svg").unlink()
    with pytest.raises(ContentError) as info:
        load_content(content_copy, ill)
    assert "'chin-tuck': field 'illustration'" in str(info.value)
