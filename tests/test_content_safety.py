"""Exercise and hydration safety in content/ (issue 9, items 7 and 8), and the loader
rules that keep it so: each is shown to hold, then broken to show start-up refuses it.

Guidance: Royal Osteoporosis Society consensus (Brooke-Wavell et al., BJSM 2022: avoid a
high degree of spinal flexion); stenosis: extension narrows the canal (reference section
7); NHS 6-8 drinks a day; fluid limits, water tablets, lithium, potassium and electrolyte
signs (reference sections 4 and 7).
"""

import pytest
import yaml

from server.content import ContentError, load_content
from tests.conftest import ROOT
from tests.test_content import ILLUSTRATIONS, break_file, problems_for

FLEXION_MOVES = {"seated-flexion", "cat-cow", "thread-the-needle", "childs-pose"}
EXTENSION_MOVES = {"seated-extension", "cat-cow"}
UNVERIFIED_EXERCISE_SOURCES = {
    "parkinson-alabama-exercises", "keith-james-physio", "rebalance-pt", "ls-msk-clinic",
    "preston-physio-scapular", "bupa-chin-tuck-video", "nhs-breathing-stress",
}  # fmt: skip


@pytest.fixture(scope="module")
def content():
    return load_content(ROOT / "content", ILLUSTRATIONS)


def test_every_flexion_move_carries_the_osteoporosis_caution(content):
    flexion = {e["id"] for e in content.exercises.values() if "flexion" in e["movements"]}
    # The issue names child's pose, cat-cow and thread-the-needle; the forward curl already had it.
    assert flexion == FLEXION_MOVES
    for ex_id in flexion:
        ex = content.exercises[ex_id]
        caution = [c for c in ex["cautions"] if "osteoporosis" in c]
        assert len(caution) == 1, ex_id
        assert "weak bones" in caution[0], ex_id
        assert "ros-exercise-2022" in ex["sources"], ex_id


def test_every_extension_move_carries_the_stenosis_caution(content):
    extension = {e["id"] for e in content.exercises.values() if "extension" in e["movements"]}
    assert extension == EXTENSION_MOVES
    for ex_id in extension:
        ex = content.exercises[ex_id]
        assert any("stenosis" in c for c in ex["cautions"]), ex_id
        assert "eorthopod-stenosis-posture" in ex["sources"], ex_id


def test_stenosis_and_the_diagnosed_spine_plan_never_bend_backwards(content):
    stenosis = content.causes["spinal-stenosis"]
    plan = content.choices["diagnosed-spine"]
    assert stenosis["routines"] == ["upright-gentle"]
    assert plan["routines"] == ["upright-gentle"]
    assert "spinal-stenosis" in plan["causes"]
    routine = content.routines["upright-gentle"]
    assert routine["gentle"] and "skeletal-neurological" in routine["categories"]
    assert [s["exercise"] for s in routine["steps"]] == [
        "slow-belly-breathing", "seated-rotation", "shoulder-blade-squeeze", "chin-tuck",
        "slow-belly-breathing"]
    assert content.routine_movements("upright-gentle") == ["rotation"]
    assert content.routine_seconds("upright-gentle") == 240
    for ex_id in stenosis["exercises"]:
        assert "extension" not in content.exercises[ex_id]["movements"], ex_id
    assert content.movements_left_out(plan["causes"]) == ["extension"]
    assert content.movements_left_out(["disc-herniation"]) == []
    # The old routine did arch backwards: the rule is not vacuous.
    assert "extension" in content.routine_movements("gentle-mobility")
    assert "bending backwards" in " ".join(stenosis["what_to_avoid"])
    assert "cat and cow" not in " ".join(stenosis["what_helps"])


def test_the_general_caution_names_each_group(content):
    caution = content.safety["general_caution"]
    text = caution["text"]
    for words in ("pregnant", "surgery", "broken bone", "osteoporosis", "inflammatory arthritis"):
        assert words in text
    assert caution["title"] == "Before you start"
    assert caution["sources"] == ["general-exercise-caution", "ros-exercise-2022"]
    assert content.sources["general-exercise-caution"]["unverified"] is True


def test_every_exercise_source_has_an_address_or_says_it_is_unchecked(content):
    cited = {s for e in content.exercises.values() for s in e["sources"]}
    unverified = set()
    for sid in cited:
        source = content.sources[sid]
        assert source["url"] or source["unverified"], sid
        if source["unverified"]:
            unverified.add(sid)
            assert source["url"] is None, f"{sid}: an unchecked source gives no address"
            assert "not" in source["note"] and "check" in source["note"], sid
    assert unverified == UNVERIFIED_EXERCISE_SOURCES


def test_nice_ng234_replaces_cg75_everywhere(content):
    assert "nice-cg75" not in content.sources
    ng234 = content.sources["nice-ng234"]
    assert ng234["url"] == "https://www.nice.org.uk/guidance/NG234/chapter/recommendations"
    assert "NG234" in ng234["title"] and "2023" in ng234["publisher"]
    for sid, source in content.sources.items():
        if sid != "nice-ng234":
            assert "cg75" not in " ".join(str(v) for v in source.values()).lower(), sid
    for path in (ROOT / "content").glob("*.yaml"):
        if path.name != "sources.yaml":
            assert "cg75" not in path.read_text().lower(), path.name


def test_cramp_source_titles_are_the_published_ones(content):
    schwellnus = content.sources["schwellnus-2008"]
    assert schwellnus["title"] == ("Cause of exercise associated muscle cramps (EAMC): altered "
                                   "neuromuscular control, dehydration or electrolyte depletion?")
    assert "2009;43:401-8" in schwellnus["publisher"]
    assert content.sources["miller-2015-hyponatraemia"]["title"] == (
        "Rethinking the cause of exercise-associated muscle cramping: moving beyond dehydration "
        "and electrolyte losses")


def test_hydration_warnings_cover_fluid_limits_medicines_and_electrolytes(content):
    hydration = content.reminders["hydration"]
    warnings = {w["id"]: w["text"] for w in hydration["warnings"]}
    assert list(warnings) == ["fluid-limit", "diuretics", "lithium", "electrolytes"]
    assert "limit fluids" in warnings["fluid-limit"]
    assert "heart failure" in warnings["fluid-limit"] and "kidney disease" in warnings["fluid-limit"]
    assert "water tablets (diuretics)" in warnings["diuretics"]
    assert "lithium" in warnings["lithium"] and "dehydrated" in warnings["lithium"]
    for sign in ("many muscles", "tingling round your lips", "palpitations", "get checked"):
        assert sign in warnings["electrolytes"]
    for w in hydration["warnings"]:
        assert w["sources"], w["id"]
    # NHS: 6 to 8 drinks a day. The default sits inside it; above 8 the app says so.
    assert hydration["daily_target"] == 8
    assert hydration["target_warning"]["above"] == 8
    assert "6 to 8" in hydration["target_warning"]["text"]
    assert "nhs-water-drinks" in hydration["target_warning"]["sources"]


def test_the_wider_potassium_warning(content):
    texts = content.reminders["hydration"]["tips"] + content.causes["dehydration"]["what_to_avoid"]
    potassium = [t for t in texts if "potassium" in t.lower()]
    assert len(potassium) == 2
    for text in potassium:
        for words in ("kidney disease", "ACE inhibitor", "ARB", "spironolactone", "older"):
            assert words in text, (words, text)
    assert content.sources["nhs-potassium-medicines"]["unverified"] is True
    assert "nhs-potassium-medicines" in content.causes["dehydration"]["sources"]
    assert "nhs-potassium-medicines" in content.reminders["hydration"]["sources"]


def test_no_clinician_review_is_claimed(content):
    assert content.site["clinical_review"] is None
    assert "last_reviewed" not in content.site


# --- Break it: start-up refuses content that breaks a rule --------------------------


def _exercise(d, ex_id):
    return next(e for e in d["exercises"] if e["id"] == ex_id)


def _cause(d, cause_id):
    return next(c for c in d["causes"] if c["id"] == cause_id)


BREAKS = [
    ("exercises.yaml",
     lambda d: _exercise(d, "childs-pose").update(
         cautions=[c for c in _exercise(d, "childs-pose")["cautions"] if "osteoporosis" not in c]),
     "content/exercises.yaml: exercises item 7 'childs-pose': field 'cautions': it moves into "
     "flexion, so a caution must mention 'osteoporosis' (safety.yaml 'osteoporosis')"),
    ("exercises.yaml",
     lambda d: _exercise(d, "cat-cow")["sources"].remove("ros-exercise-2022"),
     "content/exercises.yaml: exercises item 3 'cat-cow': field 'sources': its osteoporosis "
     "caution needs one of ros-exercise-2022"),
    ("exercises.yaml",
     lambda d: _exercise(d, "open-book")["movements"].append("flexion"),
     "'open-book': field 'cautions': it moves into flexion"),
    ("exercises.yaml",
     lambda d: _exercise(d, "doorway-chest-stretch")["movements"].append("extension"),
     "'doorway-chest-stretch': field 'cautions': it moves into extension, so a caution must "
     "mention 'stenosis'"),
    ("exercises.yaml",
     lambda d: _exercise(d, "chin-tuck").update(movements=["twist"]),
     "content/exercises.yaml: exercises item 9 'chin-tuck': field 'movements[0]'"),
    ("causes.yaml",
     lambda d: _cause(d, "spinal-stenosis").update(routines=["gentle-mobility"]),
     "content/causes.yaml: causes item 7 'spinal-stenosis': field 'routines': routine "
     "'gentle-mobility' has 'cat-cow', but extension is left out for 'spinal-stenosis'"),
    ("causes.yaml",
     lambda d: _cause(d, "spinal-stenosis")["exercises"].append("cat-cow"),
     "'spinal-stenosis': field 'exercises': 'cat-cow' moves into extension is left out"),
    ("causes.yaml",
     lambda d: _cause(d, "spinal-stenosis").update(reminders=["posture-break"]),
     "'spinal-stenosis': field 'reminders': routine 'desk-reset' has 'seated-extension'"),
    ("plan.yaml",
     lambda d: next(c for c in d["choices"] if c["id"] == "diagnosed-spine").update(
         routines=["upright-gentle", "desk-reset"]),
     "content/plan.yaml: choices item 7 'diagnosed-spine': field 'routines': routine "
     "'desk-reset' has 'seated-extension', but extension is left out for 'spinal-stenosis'"),
    ("sources.yaml",
     lambda d: next(s for s in d["sources"] if s["id"] == "staywell-thoracic").pop("url"),
     "'shoulder-blade-squeeze': field 'sources': source 'staywell-thoracic' has no url and is "
     "not marked unverified"),
    ("reminders.yaml",
     lambda d: d["reminders"][2].pop("target_warning"),
     "content/reminders.yaml: reminders item 2 'hydration': field 'target_warning': Required "
     "when daily_target is set."),
    ("reminders.yaml",
     lambda d: d["reminders"][2].update(daily_target=12),
     "'hydration': field 'daily_target': daily_target 12 is above target_warning.above 8."),
    ("reminders.yaml",
     lambda d: d["reminders"][2]["target_warning"].update(above=10),
     "'hydration': field 'target_warning.text': Must mention the number 10 (above)."),
    ("reminders.yaml",
     lambda d: d["reminders"][2]["warnings"][2]["sources"].append("no-such-source"),
     "'hydration': field 'warnings[2].sources': unknown source 'no-such-source'"),
    ("safety.yaml",
     lambda d: d["general_caution"]["sources"].append("no-such-source"),
     "content/safety.yaml: field 'general_caution.sources': unknown source 'no-such-source'"),
    ("safety.yaml",
     lambda d: d["movement_cautions"][1].update(leave_out_for_causes=["no-such-cause"]),
     "content/safety.yaml: movement_cautions item 1 'spinal-stenosis': field "
     "'leave_out_for_causes': unknown cause 'no-such-cause'"),
    ("site.yaml",
     lambda d: d["site"].update(clinical_review={"reviewer": "Dr A", "role": "GP",
                                                 "date": "2027-01-10", "next_review": "2027-01-01"}),
     "content/site.yaml: field 'site.clinical_review.next_review': Must be after date."),
    ("site.yaml",
     lambda d: d["site"].update(last_reviewed="2026-11-25"),
     "content/site.yaml: field 'site.last_reviewed': Unknown field."),
]


@pytest.mark.parametrize("name, mutate, expected", BREAKS, ids=[b[2][:60] for b in BREAKS])
def test_start_up_refuses_content_that_breaks_a_safety_rule(content_copy, name, mutate, expected):
    break_file(content_copy, name, mutate)
    problems = problems_for(content_copy)
    assert any(expected in p for p in problems), "\n".join(problems)


def test_the_unbroken_copy_loads(content_copy):
    # The break tests start from content that passes, so each failure above is its own.
    load_content(content_copy, ILLUSTRATIONS)


def test_a_recorded_review_is_accepted(content_copy):
    break_file(content_copy, "site.yaml", lambda d: d["site"].update(clinical_review={
        "reviewer": "Dr A Example", "role": "GP", "date": "2027-01-10", "next_review": "2027-07-10"}))
    site = load_content(content_copy, ILLUSTRATIONS).site
    assert site["clinical_review"]["reviewer"] == "Dr A Example"


def test_safety_file_is_required(content_copy):
    (content_copy / "safety.yaml").unlink()
    with pytest.raises(ContentError) as info:
        load_content(content_copy, ILLUSTRATIONS)
    assert info.value.problems == ["content/safety.yaml: file is missing"]


def test_indices_in_break_messages_match_the_files():
    # The expected messages above name item positions; keep them honest.
    exercises = yaml.safe_load((ROOT / "content/exercises.yaml").read_text())["exercises"]
    causes = yaml.safe_load((ROOT / "content/causes.yaml").read_text())["causes"]
    choices = yaml.safe_load((ROOT / "content/plan.yaml").read_text())["choices"]
    assert [e["id"] for e in exercises].index("childs-pose") == 7
    assert [e["id"] for e in exercises].index("cat-cow") == 3
    assert [e["id"] for e in exercises].index("chin-tuck") == 9
    assert [c["id"] for c in causes].index("spinal-stenosis") == 7
    assert [c["id"] for c in choices].index("diagnosed-spine") == 7
