"""Local data that survives (client/static/js/storage.js and transfer.js), in real
Chromium: corrupt or wrongly typed values under every storage key break no page (the
contexts fail on any uncaught error) and are reported with console.warn; import refuses
oversized, wrongly shaped and prototype-polluting files without changing anything,
shows what a valid one would change, replaces or merges (both histories kept, nothing
twice), and puts the old data back when a write fails. A year of heavy use is exported
and measured against the import cap."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

KEYS = {
    "plan": "mbr.plan", "history": "mbr.history", "screenings": "mbr.screenings", "profile": "mbr.profile",
    "assessed": "mbr.assessed", "preferences": "mbr.preferences", "reminders": "mbr.reminders",
    "player": "mbr.player",
}
STORAGE = "location.origin + '/static/js/storage.js'"
TRANSFER = "location.origin + '/static/js/transfer.js'"
DIARY = "location.origin + '/static/js/diary.js'"
WATCH = "location.origin + '/static/js/reminder-watch.js'"
FORMAT = {"format": "mid-back-relief-export", "version": 1, "exported": "2025-01-01T00:00:00.000Z"}


def pages(app) -> list[str]:
    content = app.extensions["mbr_content"]
    category = next(iter(content.categories))
    cause = next(c for c in content.causes.values() if c["category"] == category)
    return ["/", "/causes", f"/causes/{category}", f"/causes/{category}/{cause['id']}", "/stretches",
            f"/stretches/{next(iter(content.exercises))}", f"/routines/{next(iter(content.routines))}",
            "/reminders", "/screening", "/settings", "/about"]


# Raw localStorage texts: not JSON, wrong types at the top, and right types with wrong
# insides (the cases the issue found breaking pages).
CORRUPT = [
    "{not json",
    "42",
    "null",
    '"x"',
    "[]",
    '{"choices":"x"}',
    json.dumps({"settings": {"custom": True, "types": "x"}, "state": 7, "log": {"a": 1}, "answers": [1],
                "choices": [1, None], "emergencyNumber": 42, "routine": {"x": 1}, "index": -1}),
    json.dumps([{"date": 1, "level": "bogus"}, None, "x", {"date": "2024-01-01", "routine": "r", "minutes": "5"}]),
]


@pytest.mark.parametrize("raw", CORRUPT, ids=[f"value{i}" for i in range(len(CORRUPT))])
def test_corrupt_values_under_every_key_break_no_page(live_server, new_context, raw):
    context = new_context()
    warnings: list[str] = []
    context.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    context.add_init_script(
        "(([keys, raw]) => { if (!location.protocol.startsWith('http')) return;"
        " if (!sessionStorage.getItem('seeded')) { sessionStorage.setItem('seeded', '1');"
        " for (const k of keys) localStorage.setItem(k, raw); } })(" + json.dumps([list(KEYS.values()), raw]) + ")")
    page = context.new_page()
    for path in pages(live_server.app):
        page.goto(live_server.url + path)
        expect(page.locator("h1").first).to_be_visible()
        # Every module of the page has run: the in-app reminder watcher loads last.
        page.evaluate(f"import({WATCH}).then((m) => m.watch().tick())")
    # Nothing was thrown (the context's error guard checks at the end) and the bad
    # values were reported; reading never rewrote them.
    assert any("was not as expected" in w for w in warnings), warnings[:5]
    assert page.evaluate("localStorage.getItem('mbr.plan')") == raw


def test_a_bad_item_is_dropped_and_the_rest_kept(live_server, page):
    page.goto(live_server.url + "/settings")
    history = [{"date": "2024-05-01", "routine": "desk-reset", "minutes": 2},
               {"date": "yesterday", "routine": "desk-reset", "minutes": 2},
               {"date": "2024-05-02", "routine": "desk-reset", "minutes": 3, "__proto__": {"polluted": True}}]
    page.evaluate("(h) => localStorage.setItem('mbr.history', h)", json.dumps(history))
    page.reload()
    expect(page.locator("#history li")).to_have_count(1)
    expect(page.locator("#history")).to_contain_text("Wed 1 May 2024")
    assert page.evaluate("({}).polluted") is None


def test_histories_read_in_words(live_server, page):
    """Empty: one sentence, not "list, 1 item". Filled: "Today", "1 min 40 s"."""
    page.goto(live_server.url + "/settings")
    expect(page.locator("#history-empty")).to_have_text("No routines or timed stretches finished yet.")
    expect(page.locator("#history")).to_be_hidden()
    page.goto(live_server.url + "/reminders")
    expect(page.locator("#reminder-history-empty")).to_have_text("No reminders yet.")
    expect(page.locator("#reminder-history")).to_be_hidden()

    # Stored oldest first, shown newest first.
    page.evaluate("""() => {
      const d = new Date(), pad = (n) => String(n).padStart(2, '0');
      const today = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
      localStorage.setItem('mbr.history', JSON.stringify([
        {date: '2024-05-01', routine: 'calm-down', minutes: 0.7},
        {date: today, routine: 'desk-reset', title: 'Desk reset', minutes: 1.7, seconds: 100}]));
    }""")
    page.goto(live_server.url + "/settings")
    expect(page.locator("#history-empty")).to_be_hidden()
    items = page.locator("#history li")
    expect(items).to_have_text(["Today: Desk reset, 1 min 40 s", "Wed 1 May 2024: calm-down, 42 s"])


def test_status_lines_say_their_tone(settings_page):
    page = settings_page
    page.locator("#emergency-number").fill("1")
    page.locator("#settings-emergency button[type=submit]").click()
    status = page.locator("#emergency-status")
    expect(status).to_have_class(re.compile(r"\bis-error\b"))
    page.locator("#emergency-number").fill("")
    page.locator("#settings-emergency button[type=submit]").click()
    expect(status).to_have_class(re.compile(r"\bis-success\b"))
    expect(status).not_to_have_class(re.compile(r"\bis-error\b"))
    # The icon-word is drawn by CSS, so errors and successes differ without colour.
    marks = page.evaluate("""() => {
      const node = document.getElementById('emergency-status');
      const ok = getComputedStyle(node, '::before').content;
      node.className = 'status is-error';
      return [ok, getComputedStyle(node, '::before').content];
    }""")
    assert marks[0] != marks[1] and "Error" in marks[1], marks


def load_file(page, doc, name: str = "export.json") -> None:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    page.locator("#import-file").set_input_files(
        files=[{"name": name, "mimeType": "application/json", "buffer": text.encode()}])


def stored(page) -> dict:
    """Every key's raw text, except the reminder watcher's last look (it moves on its own)."""
    return page.evaluate("""(keys) => Object.fromEntries(keys.map((k) => {
      const raw = localStorage.getItem(k);
      if (k !== 'mbr.reminders' || raw === null) return [k, raw];
      const value = JSON.parse(raw);
      if (value && value.state) delete value.state.lastCheck;
      return [k, JSON.stringify(value)];
    }))""", list(KEYS.values()))


MINE = {
    "mbr.plan": {"choices": ["desk-work"], "skipped": False, "updated": "2025-01-01T08:00:00.000Z"},
    "mbr.history": [{"date": "2025-01-01", "at": "2025-01-01T09:00:00.000Z", "routine": "desk-reset", "minutes": 2},
                    {"date": "2025-01-02", "at": "2025-01-02T09:00:00.000Z", "routine": "desk-reset", "minutes": 2}],
    "mbr.preferences": {"emergencyNumber": "112", "sound": False},
}
THEIRS = {
    "plan": {"choices": ["stress"], "skipped": False, "updated": "2024-12-01T08:00:00.000Z"},
    "history": [{"date": "2024-12-30", "at": "2024-12-30T09:00:00.000Z", "routine": "calm-down", "minutes": 5},
                # the same routine as one on this phone: kept once
                {"date": "2025-01-01", "at": "2025-01-01T09:00:00.000Z", "routine": "desk-reset", "minutes": 2}],
    "preferences": {"emergencyNumber": "911", "speech": True},
}


@pytest.fixture
def settings_page(live_server, page):
    page.goto(live_server.url + "/settings")
    page.evaluate("(mine) => { for (const [k, v] of Object.entries(mine)) "
                  "localStorage.setItem(k, JSON.stringify(v)); }", MINE)
    page.reload()
    # The in-app reminder watcher has made its first look (and saved it) before the test.
    page.evaluate(f"import({WATCH}).then((m) => m.watch().tick())")
    return page


@pytest.mark.parametrize("doc, message", [
    ({**FORMAT, "data": {"reminders": {"settings": {"custom": True, "types": "x"}}}}, "reminders section"),
    ({**FORMAT, "data": {"history": [{"date": "2024-01-01", "routine": "desk-reset", "minutes": "5"}]}},
     "routine history section"),
    ({**FORMAT, "data": {"plan": {"choices": ["no-such-choice"]}}},
     "This file's plan section is not in the expected form."),
    ({**FORMAT, "data": {"screenings": [{"date": "2024-01-01", "at": "2024-01-01T00:00:00Z", "level": "fine",
                                          "reasons": []}]}}, "safety check section"),
    ({**FORMAT, "data": {"diary-typo": []}}, 'a part this app does not know ("diary-typo")'),
    ({**FORMAT, "version": 2, "data": {}}, "version 2"),
    ({"data": {}}, "not a Mid-Back Relief export"),
    ("[1, 2", "could not be read"),
    # Prototype pollution, at the top, as a section and inside a section.
    ('{"format":"mid-back-relief-export","version":1,"data":{},"__proto__":{"polluted":true}}', '"__proto__"'),
    ('{"format":"mid-back-relief-export","version":1,"data":{"__proto__":{"polluted":true}}}', '"__proto__"'),
    ('{"format":"mid-back-relief-export","version":1,"data":{"preferences":{"__proto__":{"polluted":true}}}}',
     "settings section"),
    ('{"format":"mid-back-relief-export","version":1,"data":{"profile":{"answers":{"constructor":true}}}}',
     "safety check facts section"),
], ids=["settings-types", "history-minutes", "unknown-choice", "level", "unknown-section", "version", "format",
        "not-json", "proto-top", "proto-section", "proto-inside", "constructor-key"])
def test_a_bad_file_changes_nothing(settings_page, doc, message):
    page = settings_page
    before = stored(page)
    load_file(page, doc)
    expect(page.locator("#data-status")).to_contain_text("Nothing was changed")
    expect(page.locator("#data-status")).to_contain_text(message)
    # An error looks like one (not the success green, with its icon-word), in plain words:
    # no field paths such as "history[0].minutes".
    expect(page.locator("#data-status")).to_have_class(re.compile(r"\bis-error\b"))
    assert not re.search(r"\w\[\d+\]|\w\.\w+ must", page.locator("#data-status").inner_text())
    expect(page.locator("#import-preview")).to_be_hidden()
    assert stored(page) == before
    assert page.evaluate("({}).polluted") is None
    page.goto(page.url.replace("/settings", "/reminders"))
    expect(page.locator("#next-reminder")).to_contain_text("Next:")


def test_an_oversized_file_is_refused_unread(settings_page):
    page = settings_page
    before = stored(page)
    padding = "x" * (12 * 1024 * 1024)
    load_file(page, json.dumps({**FORMAT, "data": {"preferences": {"note": padding}}}))
    expect(page.locator("#data-status")).to_contain_text("Nothing was changed: The file is 12.0 MB")
    assert stored(page) == before


def test_replace_shows_the_change_then_makes_the_phone_hold_the_file(settings_page):
    page = settings_page
    load_file(page, {**FORMAT, "data": THEIRS})
    expect(page.locator("#import-preview")).to_be_visible()
    row = page.locator('#import-rows li[data-section="history"]')
    expect(row).to_have_attribute("data-counts", "2 2 3")
    expect(row).to_have_text("Routines done: 2 on this phone, 2 in the file. Merge gives 3; Replace gives 2.")
    page.locator("#import-replace").click()
    expect(page.locator("#data-status")).to_contain_text("Imported")
    after = {k: json.loads(v) if v else None for k, v in stored(page).items()}
    assert after["mbr.history"] == THEIRS["history"]
    assert after["mbr.plan"] == THEIRS["plan"]
    assert after["mbr.preferences"] == THEIRS["preferences"]
    expect(page.locator("#history li")).to_have_count(2)


def test_merge_keeps_both_histories_without_duplicates(settings_page):
    page = settings_page
    load_file(page, {**FORMAT, "data": THEIRS})
    page.locator("#import-merge").click()
    expect(page.locator("#data-status")).to_contain_text("Merged")
    after = {k: json.loads(v) if v else None for k, v in stored(page).items()}
    assert [h["at"] for h in after["mbr.history"]] == [
        "2024-12-30T09:00:00.000Z", "2025-01-01T09:00:00.000Z", "2025-01-02T09:00:00.000Z"]
    # This phone's choices and settings stay; the file fills what is missing.
    assert after["mbr.plan"] == MINE["mbr.plan"]
    assert after["mbr.preferences"] == {"emergencyNumber": "112", "sound": False, "speech": True}
    # Merging the same file again adds nothing.
    load_file(page, {**FORMAT, "data": THEIRS})
    expect(page.locator('#import-rows li[data-section="history"]')).to_have_attribute("data-counts", "3 2 3")
    page.locator("#import-merge").click()
    expect(page.locator("#data-status")).to_contain_text("Merged")
    assert len(json.loads(stored(page)["mbr.history"])) == 3


def test_cancel_changes_nothing(settings_page):
    page = settings_page
    before = stored(page)
    load_file(page, {**FORMAT, "data": THEIRS})
    page.locator("#import-cancel").click()
    expect(page.locator("#data-status")).to_have_text("Import cancelled. Nothing was changed.")
    assert stored(page) == before


def test_a_failed_write_puts_the_old_data_back(settings_page):
    """The browser refuses one write half-way (as a full storage does): every section
    already written goes back to what it was."""
    page = settings_page
    before = stored(page)
    page.evaluate("""() => {
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key, value) {
        if (key === 'mbr.preferences' && !window.__restoring) {
          window.__restoring = true;  // the restore afterwards may write again
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
        return setItem.call(this, key, value);
      };
    }""")
    load_file(page, {**FORMAT, "data": THEIRS})
    page.locator("#import-replace").click()
    expect(page.locator("#data-status")).to_contain_text("Nothing was changed: this phone could not store the file "
                                                         "(its storage is full)")
    assert stored(page) == before
    # The plan and history were written before preferences failed: they were put back.
    assert json.loads(stored(page)["mbr.history"]) == MINE["mbr.history"]


def test_a_year_of_heavy_use_exports_well_under_the_import_cap(live_server, page):
    """A year of data at the app's own limits (a routine three times a day, the reminder
    log at its cap, a hundred safety checks with every answer, and a back diary of 365
    daily check-ins, each with a note at the 500-character limit, plus a pain rating
    before and after every routine) is exported through the app, and the file is
    imported back whole."""
    page.goto(live_server.url + "/settings")
    size, cap, diary = page.evaluate(f"""async () => {{
      const storage = await import({STORAGE});
      const transfer = await import({TRANSFER});
      const diary = await import({DIARY});
      const day = (i) => new Date(Date.UTC(2025, 0, 1) + i * 86400000);
      const history = [];
      for (let i = 0; i < 365; i += 1) for (const h of [8, 13, 18]) {{
        const at = new Date(day(i).getTime() + h * 3600000);
        history.push({{ date: at.toISOString().slice(0, 10), at: at.toISOString(), routine: 'desk-reset',
                        title: 'Two-minute desk reset', minutes: 2 }});
      }}
      const log = [];
      for (let i = 0; log.length < 5000; i += 1) {{
        const at = new Date(Date.UTC(2025, 0, 1) + i * 1800000);
        log.push({{ date: at.toISOString().slice(0, 10), type: 'posture-break', action: 'done', at: at.toISOString(),
                    id: `posture-break:${{at.getTime()}}` }});
      }}
      const answers = Object.fromEntries(Array.from({{ length: 40 }},
        (_, i) => [`question-${{i}}`, i % 3 === 0 ? 'unsure' : false]));
      const screenings = Array.from({{ length: 100 }}, (_, i) => ({{
        date: day(i * 3).toISOString().slice(0, 10), at: day(i * 3).toISOString(), version: '2026.11.3',
        level: 'appointment', reasons: ['Pain that has lasted more than 6 weeks without getting better.'],
        advice: ['Book an appointment with your GP or physiotherapist in the next few weeks.'],
        answers, unanswered: [], stopped: false }}));
      const checkins = Array.from({{ length: 365 }}, (_, i) => ({{
        date: day(i).toISOString().slice(0, 10), at: new Date(day(i).getTime() + 20 * 3600000).toISOString(),
        pain: i % 11, interference: i % 10, stiffness: i % 9, stress: i % 8, sleep: i % 2 === 0, newSign: false,
        note: `Day ${{i}}: `.padEnd(diary.NOTE_MAX, 'sat at the desk all afternoon, then a walk. ') }}));
      const ratings = history.map((h) => ({{ id: `${{new Date(h.at).getTime() - 120000}}-${{h.routine}}`,
        date: h.date, at: new Date(new Date(h.at).getTime() - 120000).toISOString(), routine: h.routine,
        before: 6, after: 4 }}));
      await diary.diarySection.write({{ version: 1, checkins, ratings }});
      storage.write(storage.KEYS.history, history);
      storage.write(storage.KEYS.screenings, screenings);
      const reminders = JSON.parse(localStorage.getItem(storage.KEYS.reminders) || 'null')
        || {{ v: 1, settings: null }};
      storage.write(storage.KEYS.reminders, {{ ...reminders, log }});
      const text = await transfer.exportText();
      const checked = transfer.checkImport(text, {{}});
      if (!checked.ok) throw new Error(checked.problems.join(' '));
      if (checked.data.diary.checkins.length !== 365 || checked.data.diary.ratings.length !== 1095) {{
        throw new Error('the diary did not make the round trip whole');
      }}
      const diaryBytes = new Blob([JSON.stringify(JSON.parse(text).data.diary, null, 1)]).size;
      return [new Blob([text]).size, transfer.MAX_IMPORT_BYTES, diaryBytes];
    }}""")
    print(f"a year of heavy use exports to {size} bytes (the diary {diary} of them); "
          f"the import cap is {cap} bytes")
    assert size < cap / 4


def test_settings_say_how_much_is_stored_and_whether_it_is_protected(settings_page):
    page = settings_page
    size = page.evaluate(f"import({STORAGE}).then((m) => m.storedBytes())")
    assert size > 0
    expect(page.locator("#storage-info")).to_contain_text("Your plan, history and settings take")
    expect(page.locator("#storage-info")).to_contain_text("this browser holds")
    # A tab in a test profile is not installed, so nothing has asked for persistence.
    persisted = page.evaluate("navigator.storage.persisted()")
    expect(page.locator("#storage-persist")).to_have_attribute("data-persisted", str(persisted).lower())
    expect(page.locator("#storage-persist")).to_contain_text("Kept safe" if persisted else "Not protected yet")


def test_the_import_preview_has_no_axe_violations(settings_page):
    from tests.test_accessibility import violations

    load_file(settings_page, {**FORMAT, "data": THEIRS})
    expect(settings_page.locator("#import-preview")).to_be_visible()
    assert violations(settings_page) == []
