"""The progress diary's rules (content/progress.yaml, client/static/js/progress-rules.js),
run in Node against dated fixtures written out by hand from issue 13:

- pain 7 or more -> gentler routines and breathing, shorter holds;
- steady improvement (7-day average down 2 points or 30 % against the 7 days before) ->
  the next level of routines;
- stress 7 or more -> breathing and relaxation;
- nothing offered while the safety check holds stretches;
- not improving after two weeks (not down 2 points or 30 % against the week two weeks
  earlier, pain still 3 or more), worse over a week, or a new warning sign -> offer the
  safety check, and propose its "not improving" answer;
- insight sentences only with 14 days of check-ins, 5 days each side, 1 point apart.

Also the content rules that keep what the diary offers gentle and safe.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.content import ContentError, load_content
from server.pages import progress_client

ROOT = Path(__file__).resolve().parents[1]
JS_MODULE = ROOT / "client" / "static" / "js" / "progress-rules.js"
TODAY = date(2026, 3, 31)  # a month end, near a European clock change


def day(back: int) -> str:
    return (TODAY - timedelta(days=back)).isoformat()


def week(values: list[int], ending_back: int, **extra: Any) -> list[dict]:
    """Check-ins for the 7 days ending `ending_back` days before TODAY, oldest first;
    None leaves a day out."""
    out = []
    for i, pain in enumerate(values):
        back = ending_back + 6 - i
        if pain is not None:
            out.append({"date": day(back), "at": f"{day(back)}T20:00:00Z", "pain": pain,
                        "interference": pain, "stiffness": 3, "stress": 3, "sleep": False, **extra})
    return out


NODE = r"""
import { readFileSync } from 'node:fs';
const mod = await import(process.argv[2]);
const { rules, cases } = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const out = {};
for (const [name, c] of Object.entries(cases)) {
  if (c.kind === 'adapt') out[name] = mod.adaptPlan(rules, c.args);
  else if (c.kind === 'offer') {
    const o = mod.safetyOffer(rules, c.args);
    out[name] = { offer: o.offer, reasons: o.reasons, propose: o.proposeNotImproving };
  }
  else if (c.kind === 'trend') out[name] = mod.trend(rules, c.args.checkins, c.args.today);
  else if (c.kind === 'insights') {
    const rows = mod.dailyFacts({ ...c.args, breakTypes: rules.insights.break_types });
    // As the progress page does: timed stretches named by the titles their runs recorded.
    out[name] = mod.insights(rules, rows, { ...c.titles, stretchTitles: mod.stretchTitles(c.args.history) });
  } else if (c.kind === 'history') {
    const rows = mod.dailyFacts({ dates: c.args.dates, checkins: [], history: c.args.history });
    out[name] = {
      runs: c.args.history.map(mod.historyRun),
      titles: mod.stretchTitles(c.args.history),
      rows: rows.map((r) => ({ date: r.date, routines: r.routines, routineIds: [...r.routineIds],
        stretches: r.stretches, stretchIds: [...r.stretchIds] })),
    };
  } else if (c.kind === 'dates') out[name] = c.args.map(([d, n]) => mod.addDays(d, n));
  else if (c.kind === 'pairs') out[name] = mod.beforeAfter(c.args, { 'desk-reset': '2-minute desk reset' });
  else if (c.kind === 'holds') {
    const holds = mod.holdsFor(mod.adaptPlan(rules, c.args));
    out[name] = { holds, seconds: c.seconds.map((x) => mod.holdSeconds(x, holds)) };
  }
}
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def content():
    return load_content(ROOT / "content")


@pytest.fixture(scope="module")
def rules(content) -> dict:
    return progress_client(content)


def run_js(rules: dict, cases: dict, tmp_path: Path) -> dict:
    node = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)
    if node is None:
        pytest.fail("node is required to run client/static/js/progress-rules.js")
    script = tmp_path / "run.mjs"
    script.write_text(NODE, encoding="utf-8")
    data = tmp_path / "cases.json"
    data.write_text(json.dumps({"rules": rules, "cases": cases}), encoding="utf-8")
    result = subprocess.run([node, str(script), JS_MODULE.as_uri(), str(data)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


MOVES = {"calm-down": ["rotation"], "upright-gentle": ["rotation"],
         "desk-reset-plus": ["rotation", "side-bend"], "upright-next-step": ["rotation", "side-bend"]}


def adapt(checkins: list[dict], **extra: Any) -> dict:
    return {"kind": "adapt", "args": {"checkins": checkins, "today": TODAY.isoformat(),
                                      "routineMovements": MOVES, **extra}}


def offer(checkins: list[dict], screenings: list[dict] | None = None) -> dict:
    return {"kind": "offer", "args": {"checkins": checkins, "screenings": screenings or [],
                                      "today": TODAY.isoformat()}}


def test_plan_follows_the_check_ins(rules, tmp_path):
    steady = week([4] * 7, 7) + week([4] * 6 + [8], 0)
    better = week([6] * 7, 7) + week([4, 4, 4, 4, 4, 3, 3], 0)
    by_30_percent = week([5] * 7, 7) + week([3, 4, 3, 4, 3, 4, 3], 0)  # 5 -> 3.43: 31 %, 1.6 points
    by_28_percent = week([5] * 7, 7) + week([4, 4, 3, 4, 4, 3, 3], 0)  # 5 -> 3.57: 29 %, 1.4 points
    stressed = week([3] * 7, 0, stress=7)
    yesterday_high = [{"date": day(1), "pain": 7, "stress": 2}]
    two_days_ago_high = [{"date": day(2), "pain": 9, "stress": 9}]
    high_and_better = week([9] * 7, 7) + week([5, 5, 5, 5, 5, 5, 7], 0)
    cases = {
        "high": adapt(steady),
        "high-yesterday": adapt(yesterday_high),
        "stale": adapt(two_days_ago_high),
        "better": adapt(better),
        "30": adapt(by_30_percent),
        "28": adapt(by_28_percent),
        "stress": adapt(stressed),
        "held": adapt(steady + stressed, held=True),
        "high-and-better": adapt(high_and_better),
        "leave-out-side-bend": adapt(better, leaveOut=["side-bend"]),
    }
    got = run_js(rules, cases, tmp_path)
    ids = {name: [a["id"] for a in result["adaptations"]] for name, result in got.items()}
    assert ids["high"] == ["high-pain"]
    high = got["high"]["adaptations"][0]
    assert high["routines"] == ["calm-down", "upright-gentle"]
    assert "half the usual time" in high["text"]  # shorter holds
    assert ids["high-yesterday"] == ["high-pain"]
    assert ids["stale"] == []  # a check-in two days old says nothing about today
    assert ids["better"] == ["improving"]
    assert got["better"]["adaptations"][0]["routines"] == ["desk-reset-plus", "upright-next-step"]
    assert ids["30"] == ["improving"]
    assert ids["28"] == []
    assert ids["stress"] == ["high-stress"]
    assert got["stress"]["adaptations"][0]["routines"] == ["calm-down"]
    assert got["held"] == {"held": True, "adaptations": []}
    assert ids["high-and-better"] == ["high-pain"]
    assert got["leave-out-side-bend"]["adaptations"][0]["routines"] == []


def test_high_pain_makes_holds_shorter_in_the_player(rules, tmp_path):
    """Pain 7 or more today (or yesterday): holds are half as long, never below 10 s and
    never longer than they were; pain 3, a stale 9, or a safety hold: the usual holds."""
    seconds = [5, 10, 15, 20, 21, 30, 45, 90]

    def holds(checkins: list[dict], **extra: Any) -> dict:
        return {**adapt(checkins, **extra), "kind": "holds", "seconds": seconds}

    cases = {
        "pain-8": holds([{"date": day(0), "pain": 8, "stress": 2}]),
        "pain-7-yesterday": holds([{"date": day(1), "pain": 7, "stress": 2}]),
        "pain-3": holds([{"date": day(0), "pain": 3, "stress": 8}]),
        "pain-9-two-days-ago": holds([{"date": day(2), "pain": 9, "stress": 2}]),
        "pain-8-held": holds([{"date": day(0), "pain": 8, "stress": 2}], held=True),
        "no-diary": holds([]),
    }
    got = run_js(rules, cases, tmp_path)
    assert got["pain-8"]["holds"] == {"fraction": 0.5, "min_seconds": 10, "kinds": ["stretch", "mobility", "strength"],
                                      "adaptation": "high-pain"}
    assert got["pain-8"]["seconds"] == [5, 10, 10, 10, 11, 15, 23, 45]
    assert got["pain-7-yesterday"]["seconds"] == got["pain-8"]["seconds"]
    for usual in ("pain-3", "pain-9-two-days-ago", "pain-8-held", "no-diary"):
        assert got[usual] == {"holds": None, "seconds": seconds}, usual


def test_when_to_offer_the_safety_check(rules, tmp_path):
    three_flat_weeks = week([5] * 7, 14) + week([5] * 7, 7) + week([5] * 7, 0)
    two_points_down = week([6] * 7, 14) + week([5] * 7, 7) + week([4] * 7, 0)
    thirty_percent_down = week([3] * 7, 14) + week([3] * 7, 7) + week([2] * 7, 0)
    low_and_flat = week([2] * 7, 14) + week([2] * 7, 0)
    worse = week([3] * 7, 7) + week([5] * 7, 0)
    a_bit_worse = week([3] * 7, 7) + week([4] * 7, 0)  # +1 point, +33 %
    slightly_worse = week([5] * 7, 7) + week([6, 6, 6, 6, 6, 6, 5], 0)  # +0.86
    sparse = week([5, None, None, None, 5, 5, 5], 14) + week([8, None, None, 8, None, 8, None], 0)
    new_sign = [{"date": day(2), "at": f"{day(2)}T20:00:00Z", "pain": 2, "newSign": True}]
    check_after_sign = [{"date": day(1), "at": f"{day(1)}T09:00:00Z", "level": "self-care"}]
    check_before_sign = [{"date": day(3), "at": f"{day(3)}T09:00:00Z", "level": "self-care"}]
    old_sign = [{"date": day(8), "at": f"{day(8)}T20:00:00Z", "pain": 2, "newSign": True}]
    recent_check = [{"date": day(3), "at": f"{day(3)}T09:00:00Z", "level": "self-care"}]
    old_check = [{"date": day(8), "at": f"{day(8)}T09:00:00Z", "level": "self-care"}]
    cases = {
        "flat": offer(three_flat_weeks),
        "flat-checked": offer(three_flat_weeks, recent_check),
        "flat-old-check": offer(three_flat_weeks, old_check),
        "down-2": offer(two_points_down),
        "down-30": offer(thirty_percent_down),
        "low": offer(low_and_flat),
        "worse": offer(worse),
        "a-bit-worse": offer(a_bit_worse),
        "slightly-worse": offer(slightly_worse),
        "sparse": offer(sparse),
        "sign": offer(new_sign),
        "sign-checked": offer(new_sign, check_after_sign),
        "sign-earlier-check": offer(new_sign, check_before_sign),
        "old-sign": offer(old_sign),
        "nothing": offer([]),
    }
    got = run_js(rules, cases, tmp_path)
    assert got["flat"] == {"offer": True, "reasons": ["not-improving"], "propose": True}
    assert got["flat-checked"] == {"offer": False, "reasons": [], "propose": True}
    assert got["flat-old-check"]["reasons"] == ["not-improving"]
    assert got["down-2"] == {"offer": False, "reasons": [], "propose": False}
    assert got["down-30"]["propose"] is False
    assert got["low"]["propose"] is False  # pain 2 is not "not improving"
    # Two weeks of data: worse than last week; "two weeks ago" is not known yet.
    assert got["worse"] == {"offer": True, "reasons": ["worse"], "propose": True}
    assert got["a-bit-worse"]["reasons"][0] == "worse"
    assert "worse" not in got["slightly-worse"]["reasons"]
    assert got["sparse"] == {"offer": False, "reasons": [], "propose": False}  # 3 days a week is too few
    assert got["sign"] == {"offer": True, "reasons": ["new-sign"], "propose": False}
    assert got["sign-checked"]["offer"] is False
    assert got["sign-earlier-check"]["reasons"] == ["new-sign"]
    assert got["old-sign"]["offer"] is False
    assert got["nothing"] == {"offer": False, "reasons": [], "propose": False}


def insight_case(days: int, low_days: set[int], *, low: int = 3, high: int = 5) -> dict:
    """`days` check-ins ending TODAY; on the days in `low_days` (days back) 4 posture
    breaks and pain `low`, else 1 break and pain `high`."""
    dates = [day(b) for b in range(days - 1, -1, -1)]
    checkins, log = [], []
    for b in range(days):
        many = b in low_days
        checkins.append({"date": day(b), "pain": low if many else high})
        log += [{"date": day(b), "type": "posture-break", "action": "done"}] * (4 if many else 1)
    return {"kind": "insights", "titles": {"reminderTitles": {"posture-break": "Posture break"}},
            "args": {"dates": dates, "checkins": checkins, "log": log, "history": []}}


def test_insights_need_enough_days_and_a_real_difference(rules, tmp_path):
    cases = {
        "13 days": insight_case(13, set(range(0, 13, 2))),
        "14 days": insight_case(14, set(range(0, 14, 2))),
        "4 on one side": insight_case(20, {0, 3, 6, 9}),
        "5 on one side": insight_case(20, {0, 3, 6, 9, 12}),
        "0.9 apart": {**insight_case(14, set(range(0, 14, 2))), },
    }
    # 0.9 points apart: pain 4.1 vs 5 is not possible with whole numbers, so mix: low days
    # have pain 4 and one of them 5 -> 4.14 vs 5 = 0.86.
    c = cases["0.9 apart"]["args"]["checkins"]
    for i, entry in enumerate(c):
        if entry["pain"] == 3:
            entry["pain"] = 5 if i == 0 else 4
    got = run_js(rules, cases, tmp_path)
    assert got["13 days"] == []
    assert [i["text"] for i in got["14 days"]] == [
        "On days with 4 or more posture breaks your average pain was 2 points lower "
        "(7 days with, 7 days without)."]
    assert got["4 on one side"] == []
    assert got["5 on one side"][0]["daysWith"] == 5 and got["5 on one side"][0]["difference"] == -2
    assert got["0.9 apart"] == []


def test_timed_stretches_are_stretches_not_routines(rules, tmp_path):
    """"Time this stretch" records `stretch:<exercise id>` runs in the routines' history:
    counted as timed stretches with the title the run recorded, never as routines, in the
    day rows (charts, table), and in the insights (own sentence, not "any routine")."""
    history = [
        {"date": day(1), "routine": "desk-reset", "title": "2-minute desk reset"},
        {"date": day(1), "routine": "stretch:open-book", "title": "Open book"},
        {"date": day(0), "routine": "stretch:open-book", "title": "  Open book  "},
        {"date": day(0), "routine": "stretch:chin-tuck"},  # no title recorded
        {"date": day(0), "routine": "stretch:"},  # no id: not a run of anything
        {"date": day(0), "routine": 7},
        None,
    ]
    # 14 days of check-ins: the open book timed (and no routine) on 7 days with pain 3,
    # nothing on the other 7 with pain 5.
    dates = [day(b) for b in range(13, -1, -1)]
    low = set(range(0, 14, 2))
    timed = {"kind": "insights", "titles": {"routineTitles": {"desk-reset": "2-minute desk reset"}},
             "args": {"dates": dates, "log": [],
                      "checkins": [{"date": day(b), "pain": 3 if b in low else 5} for b in range(14)],
                      "history": [{"date": day(b), "routine": "stretch:open-book", "title": "Open book"}
                                  for b in sorted(low)]}}
    got = run_js(rules, {
        "history": {"kind": "history", "args": {"dates": [day(1), day(0)], "history": history}},
        "timed": timed,
    }, tmp_path)
    h = got["history"]
    assert h["runs"] == [
        {"kind": "routine", "id": "desk-reset", "title": "2-minute desk reset"},
        {"kind": "stretch", "id": "open-book", "title": "Open book"},
        {"kind": "stretch", "id": "open-book", "title": "Open book"},
        {"kind": "stretch", "id": "chin-tuck", "title": None},
        None, None, None,
    ]
    assert h["titles"] == {"open-book": "Open book"}
    assert h["rows"] == [
        {"date": day(1), "routines": 1, "routineIds": ["desk-reset"], "stretches": 1, "stretchIds": ["open-book"]},
        {"date": day(0), "routines": 0, "routineIds": [], "stretches": 2, "stretchIds": ["open-book", "chin-tuck"]},
    ]
    assert [i["text"] for i in got["timed"]] == [
        "On days you timed the open book your average pain was 2 points lower (7 days with, 7 days without)."]


def test_dates_and_before_after(rules, tmp_path):
    cases = {
        "dates": {"kind": "dates", "args": [["2026-03-31", 1], ["2026-01-01", -1], ["2024-02-28", 1],
                                            ["2026-03-29", 1], ["2026-10-25", 1], ["2026-03-31", -90]]},
        "pairs": {"kind": "pairs", "args": [
            {"routine": "desk-reset", "before": 6, "after": 3},
            {"routine": "desk-reset", "before": 5, "after": 3},
            {"routine": "desk-reset", "before": 5, "after": None},
        ]},
    }
    got = run_js(rules, cases, tmp_path)
    assert got["dates"] == ["2026-04-01", "2025-12-31", "2024-02-29", "2026-03-30", "2026-10-26",
                            "2025-12-31"]
    assert got["pairs"] == [{"routine": "desk-reset", "title": "2-minute desk reset", "runs": 2,
                             "before": 5.5, "after": 3}]


# ------------------------------------------------------------------ content rules


def test_the_page_data_carries_the_rules(rules):
    assert rules["trend"]["improvement_points"] == 2
    assert rules["trend"]["improvement_fraction"] == 0.3
    assert rules["trend"]["not_improving_days"] == 14
    assert rules["insights"]["min_checkin_days"] == 14
    assert rules["insights"]["min_days_each_side"] == 5
    assert rules["insights"]["min_difference"] == 1
    assert {a["id"]: a["when"] for a in rules["adaptations"]} == {
        "high-pain": {"pain_at_least": 7}, "improving": {"improving": True},
        "high-stress": {"stress_at_least": 7}}
    assert rules["levels"]["same-day"]


def test_next_level_routines_are_gentle_and_avoid_limited_movements(content):
    nxt = next(a for a in content.progress["adaptations"] if a["id"] == "improving")
    assert len(nxt["routines"]) >= 2
    for r_id in nxt["routines"]:
        assert content.routines[r_id]["gentle"]
        assert not {"flexion", "extension"} & set(content.routine_movements(r_id))
        # Longer than the first-level routines they follow on from.
        assert content.routine_seconds(r_id) > 120


def _change(content_copy: Path, edit) -> list[str]:
    path = content_copy / "progress.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ContentError) as err:
        load_content(content_copy)
    return err.value.problems


def test_content_refuses_unsafe_or_broken_progress_rules(content_copy):
    def not_gentle(d):
        d["adaptations"][0]["routines"] = ["floor-unwind"]
    assert any("'floor-unwind' is not gentle" in p for p in _change(content_copy, not_gentle))

    def bends(d):
        d["adaptations"][1]["routines"] = ["gentle-mobility", "desk-reset-plus"]
    assert any("moves into extension, flexion" in p for p in _change(content_copy, bends))

    def unknown(d):
        d["adaptations"][2]["routines"] = ["no-such-routine"]
        d["insights"]["break_types"] = ["no-such-reminder"]
    problems = _change(content_copy, unknown)
    assert any("unknown routine 'no-such-routine'" in p for p in problems)
    assert any("unknown reminder 'no-such-reminder'" in p for p in problems)

    def two_conditions(d):
        d["adaptations"][0]["when"] = {"pain_at_least": 7, "stress_at_least": 7}
        d["trend"]["improvement_fraction"] = 0
    problems = _change(content_copy, two_conditions)
    assert any("adaptations item 0 'high-pain'" in p and "exactly one" in p for p in problems)
    assert any("trend.improvement_fraction" in p for p in problems)
