"""A made-up back diary for the benchmark and the browser tests (issue 13).

`diary(today, days)` builds `days` days of daily check-ins ending today, with routines,
posture breaks and water that go with lower pain on some days, in the shapes the app
stores: the diary section (IndexedDB, client/static/js/diary.js), `mbr.history` and the
`mbr.reminders` log (localStorage). `seed_page(page, data)` writes it into an open page of
the app through the app's own modules, so the page reads it exactly as a person's.

Deterministic: the same arguments give the same diary.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

ROUTINES = ["desk-reset", "calm-down", "gentle-mobility"]


def diary(today: date, days: int, *, seed: int = 13, worsening: bool = False) -> dict[str, Any]:
    """Check-ins for `days` days ending `today` (every 7th day missed), posture breaks
    on most days (4 or more on two days of three, with pain 2 points lower those days),
    a routine most days and some water. `worsening`: the last 7 days' pain is 3 points
    above the 7 before."""
    rng = random.Random(seed)
    checkins: list[dict] = []
    history: list[dict] = []
    log: list[dict] = []
    ratings: list[dict] = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        iso = day.isoformat()
        many_breaks = back % 3 != 0
        breaks = 5 if many_breaks else 1
        for n in range(breaks):
            log.append({"date": iso, "type": "posture-break", "action": "done",
                        "at": f"{iso}T{9 + n:02d}:00:00.000Z"})
        if not many_breaks:
            log.append({"date": iso, "type": "posture-break", "action": "snooze",
                        "at": f"{iso}T15:00:00.000Z"})
        for n in range(back % 4 + 3):
            log.append({"date": iso, "type": "hydration", "action": "drank",
                        "at": f"{iso}T{8 + n:02d}:30:00.000Z"})
        if back % 2 == 0:
            routine = ROUTINES[back % len(ROUTINES)]
            history.append({"date": iso, "at": f"{iso}T12:00:00.000Z", "routine": routine,
                            "title": routine, "minutes": 2})
            ratings.append({"id": f"{iso}-{routine}", "date": iso, "at": f"{iso}T11:58:00.000Z",
                            "routine": routine, "before": 5, "after": 3})
        if back % 7 == 6:
            continue  # a missed check-in now and then
        pain = 3 if many_breaks else 5
        if worsening and back < 7:
            pain += 3
        checkins.append({
            "date": iso, "at": f"{iso}T20:00:00.000Z", "pain": pain,
            "interference": max(0, pain - 1), "stiffness": 4, "stress": rng.randint(2, 5),
            "sleep": back % 5 == 0, "newSign": False,
            "note": f"Day {days - back}: sat a lot." if back % 9 == 0 else "",
        })
    return {
        "diary": {"version": 1, "checkins": checkins, "ratings": ratings},
        "history": history,
        "reminders_log": log,
    }


SEED_JS = """
async (data) => {
  const src = document.querySelector('script[data-src*="/js/"]').getAttribute('data-src');
  const base = src.slice(0, src.indexOf('/js/') + 4);
  const { diarySection } = await import(`${base}diary.js`);
  await diarySection.write(data.diary);
  localStorage.setItem('mbr.history', JSON.stringify(data.history));
  const reminders = JSON.parse(localStorage.getItem('mbr.reminders') || 'null')
    || { v: 1, settings: null, synced: null,
         state: { pausedUntil: null, snoozed: {}, notBefore: {}, lastCheck: null } };
  reminders.log = data.reminders_log;
  localStorage.setItem('mbr.reminders', JSON.stringify(reminders));
  return data.diary.checkins.length;
}
"""


def seed_page(page: Any, data: dict[str, Any]) -> int:
    """Write `data` (from diary()) into the app's storage through an open page of the app."""
    return page.evaluate(SEED_JS, data)
