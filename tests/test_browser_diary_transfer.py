"""The back diary (IndexedDB, issue 13) in export, import and "erase everything"
(transfer.js, issue 12), driven through the settings page in real Chromium: the export
file holds the diary; Replace and Merge include it (merge keeps both, nothing twice); a
file whose diary is invalid changes nothing anywhere; a diary that cannot be written
leaves everything untouched and a later localStorage failure puts the diary back with
the rest; erase everything empties it; an imported note full of markup is shown on
/progress as text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.test_browser_storage import FORMAT, MINE, THEIRS, WATCH, load_file, stored

pytestmark = pytest.mark.browser

DIARY = "location.origin + '/static/js/diary.js'"

MY_DIARY = {"version": 1, "checkins": [
    {"date": "2025-01-01", "at": "2025-01-01T20:00:00.000Z", "pain": 5, "interference": 4, "stiffness": 4,
     "stress": 3, "sleep": False, "newSign": False, "note": "Long day at the desk."},
    {"date": "2025-01-02", "at": "2025-01-02T20:00:00.000Z", "pain": 4, "interference": 3, "stiffness": 3,
     "stress": 2, "sleep": True, "newSign": False, "note": ""},
], "ratings": [
    {"id": "1735725480000-desk-reset", "date": "2025-01-01", "at": "2025-01-01T09:58:00.000Z",
     "routine": "desk-reset", "before": 5, "after": 3},
]}
# One date in common with this phone's diary (saved later, so it wins a merge), one new
# date, the same rating as this phone's and a new one.
THEIR_DIARY = {"version": 1, "checkins": [
    {"date": "2024-12-31", "at": "2024-12-31T20:00:00.000Z", "pain": 6, "interference": 5, "stiffness": 5,
     "stress": 6, "sleep": True, "newSign": False, "note": "Moved house."},
    {"date": "2025-01-02", "at": "2025-01-02T21:00:00.000Z", "pain": 3, "interference": 2, "stiffness": 3,
     "stress": 2, "sleep": False, "newSign": False, "note": "Better."},
], "ratings": [
    {"id": "1735725480000-desk-reset", "date": "2025-01-01", "at": "2025-01-01T09:58:00.000Z",
     "routine": "desk-reset", "before": 5, "after": 3},
    {"id": "1735639080000-calm-down", "date": "2024-12-31", "at": "2024-12-31T09:58:00.000Z",
     "routine": "calm-down", "before": 6, "after": 4},
]}


def diary(page) -> dict | None:
    """The whole diary as the app reads it, with this device's prompt records."""
    return page.evaluate(f"""async () => {{
      const m = await import({DIARY});
      const db = await m.openDiary();
      const get = (key) => new Promise((resolve, reject) => {{
        const req = db.transaction('meta').objectStore('meta').get(key);
        req.onsuccess = () => resolve(req.result === undefined ? null : req.result);
        req.onerror = () => reject(req.error);
      }});
      return {{ value: await m.diarySection.read(), promptOff: await get('promptOff') }};
    }}""")


def write_diary(page, value: dict) -> None:
    page.evaluate(f"async (v) => (await import({DIARY})).diarySection.write(v)", value)


@pytest.fixture
def settings_page(live_server, page):
    """Settings with this phone's localStorage data (MINE) and diary (MY_DIARY)."""
    page.goto(live_server.url + "/settings")
    page.evaluate("(mine) => { for (const [k, v] of Object.entries(mine)) "
                  "localStorage.setItem(k, JSON.stringify(v)); }", MINE)
    write_diary(page, MY_DIARY)
    page.evaluate(f"async () => (await import({DIARY})).setPromptWanted(false)")
    page.reload()
    page.evaluate(f"import({WATCH}).then((m) => m.watch().tick())")
    return page


def test_export_holds_the_diary(settings_page):
    page = settings_page
    with page.expect_download() as download:
        page.locator("#export").click()
    doc = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert doc["data"]["diary"] == MY_DIARY
    # The prompt records are about this phone only: never exported.
    assert "meta" not in json.dumps(doc["data"]["diary"])
    assert set(doc["data"]) >= {"diary", "plan", "history", "preferences"}


def test_replace_includes_the_diary_and_says_so_in_words(settings_page):
    page = settings_page
    load_file(page, {**FORMAT, "data": {**THEIRS, "diary": THEIR_DIARY}})
    row = page.locator('#import-rows li[data-section="diary"]')
    expect(row).to_have_attribute("data-counts", "3 4 5")
    expect(row).to_have_text("Back diary: 2 check-ins and 1 pain rating on this phone, 2 check-ins and 2 pain "
                             "ratings in the file. Merge gives 3 check-ins and 2 pain ratings; Replace gives "
                             "2 check-ins and 2 pain ratings.")
    page.locator("#import-replace").click()
    expect(page.locator("#data-status")).to_contain_text("Imported")
    after = diary(page)
    assert after["value"]["checkins"] == THEIR_DIARY["checkins"]
    assert sorted(r["id"] for r in after["value"]["ratings"]) == sorted(r["id"] for r in THEIR_DIARY["ratings"])
    # The prompt setting is this phone's, not the file's: Replace leaves it.
    assert after["promptOff"] is True
    assert json.loads(stored(page)["mbr.history"]) == THEIRS["history"]


def test_replace_with_a_file_without_a_diary_empties_it(settings_page):
    page = settings_page
    load_file(page, {**FORMAT, "data": THEIRS})
    expect(page.locator('#import-rows li[data-section="diary"]')).to_contain_text(
        "2 check-ins and 1 pain rating on this phone, 0 check-ins and 0 pain ratings in the file")
    page.locator("#import-replace").click()
    expect(page.locator("#data-status")).to_contain_text("Imported")
    assert diary(page)["value"] is None


def test_merge_keeps_both_diaries_without_duplicates(settings_page):
    page = settings_page
    doc = {**FORMAT, "data": {**THEIRS, "diary": THEIR_DIARY}}
    load_file(page, doc)
    page.locator("#import-merge").click()
    expect(page.locator("#data-status")).to_contain_text("Merged")
    merged = diary(page)["value"]
    assert [c["date"] for c in merged["checkins"]] == ["2024-12-31", "2025-01-01", "2025-01-02"]
    # The same date on both: the later-saved check-in is kept, once.
    assert next(c for c in merged["checkins"] if c["date"] == "2025-01-02")["note"] == "Better."
    assert sorted(r["id"] for r in merged["ratings"]) == ["1735639080000-calm-down", "1735725480000-desk-reset"]
    assert len(json.loads(stored(page)["mbr.history"])) == 3
    # Merging the same file again adds nothing.
    load_file(page, doc)
    expect(page.locator('#import-rows li[data-section="diary"]')).to_have_attribute("data-counts", "5 4 5")
    page.locator("#import-merge").click()
    expect(page.locator("#data-status")).to_contain_text("Merged")
    assert diary(page)["value"] == merged


@pytest.mark.parametrize("bad, message", [
    ({**THEIR_DIARY, "checkins": [{**THEIR_DIARY["checkins"][0], "pain": 11}]}, "pain must be a whole number"),
    ({**THEIR_DIARY, "ratings": "x"}, "diary ratings must be a list"),
    ({**THEIR_DIARY, "checkins": [{**THEIR_DIARY["checkins"][0], "note": "x" * 501}]}, "at most 500"),
    ({**THEIR_DIARY, "__proto__": {"polluted": True}}, '"__proto__"'),
    ([], "diary must be an object"),
], ids=["pain", "ratings", "note-length", "proto", "list"])
def test_an_invalid_diary_changes_nothing_anywhere(settings_page, bad, message):
    plain = "This file's diary section is not in the expected form."
    page = settings_page
    before, diary_before = stored(page), diary(page)
    # A valid rest of the file: the diary's problem alone refuses all of it.
    text = json.dumps({**FORMAT, "data": {**THEIRS, "diary": bad}})
    if isinstance(bad, dict) and "__proto__" in bad:
        text = text.replace('"diary": {', '"diary": {"__proto__": {"polluted": true}, ', 1)
    warnings = []
    page.on("console", lambda m: warnings.append(m) if m.type == "warning" else None)
    load_file(page, text)
    # The person reads one plain sentence; the exact problem goes to the console.
    expect(page.locator("#data-status")).to_contain_text("Nothing was changed")
    expect(page.locator("#data-status")).to_contain_text(plain)
    expect(page.locator("#data-status")).to_have_class(re.compile(r"\bis-error\b"))
    expect(page.locator("#import-preview")).to_be_hidden()
    details = " ".join(json.dumps(a.json_value()) for m in warnings for a in m.args)
    assert message in details.replace('\\"', '"')
    assert stored(page) == before
    assert diary(page) == diary_before
    assert page.evaluate("({}).polluted") is None


def test_a_failed_localstorage_write_puts_the_diary_back_too(settings_page):
    """The diary is written first; when a later localStorage write is refused, the diary
    goes back to what it was with everything else."""
    page = settings_page
    before, diary_before = stored(page), diary(page)
    page.evaluate("""() => {
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key, value) {
        if (key === 'mbr.preferences' && !window.__restoring) {
          window.__restoring = true;
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
        return setItem.call(this, key, value);
      };
    }""")
    load_file(page, {**FORMAT, "data": {**THEIRS, "diary": THEIR_DIARY}})
    page.locator("#import-replace").click()
    expect(page.locator("#data-status")).to_contain_text("Nothing was changed: this phone could not store the file")
    assert stored(page) == before
    assert diary(page) == diary_before


def test_a_diary_that_cannot_be_written_leaves_everything_untouched(settings_page):
    """IndexedDB refuses the diary (storage full): it is written first, in one
    transaction, so nothing at all has changed."""
    page = settings_page
    before, diary_before = stored(page), diary(page)
    page.evaluate("""() => {
      const put = IDBObjectStore.prototype.put;
      const setItem = Storage.prototype.setItem;
      window.__localWrites = 0;
      Storage.prototype.setItem = function (key, value) {
        if (key !== 'mbr.reminders') window.__localWrites += 1;
        return setItem.call(this, key, value);
      };
      IDBObjectStore.prototype.put = function (...args) {
        if (this.name === 'checkins' && !window.__refused) {
          window.__refused = true;
          window.__localWritesFirst = window.__localWrites;
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
        return put.apply(this, args);
      };
    }""")
    load_file(page, {**FORMAT, "data": {**THEIRS, "diary": THEIR_DIARY}})
    page.locator("#import-merge").click()
    expect(page.locator("#data-status")).to_contain_text("Nothing was changed: this phone could not store the file "
                                                         "(its storage is full)")
    assert page.evaluate("window.__refused") is True
    assert page.evaluate("window.__localWritesFirst") == 0
    # No localStorage section was written before the diary failed, and the restore
    # rewrote only what was already there.
    assert stored(page) == before
    assert diary(page) == diary_before


def test_erase_everything_empties_the_diary(settings_page):
    page = settings_page
    assert diary(page)["value"] is not None
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#erase").click()
    expect(page.locator("#data-status")).to_have_text("Everything was erased from this phone.")
    assert diary(page) == {"value": None, "promptOff": None}
    assert all(v is None for k, v in stored(page).items() if k != "mbr.reminders")
    with page.expect_download() as download:
        page.locator("#export").click()
    assert "diary" not in json.loads(Path(download.value.path()).read_text(encoding="utf-8"))["data"]


MARKUP = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>'


def test_an_imported_note_with_markup_is_shown_as_text(settings_page, live_server):
    page = settings_page
    evil = {"version": 1, "checkins": [{"date": "2025-01-03", "pain": 4, "note": MARKUP}], "ratings": []}
    load_file(page, {**FORMAT, "data": {"diary": evil}})
    page.locator("#import-merge").click()
    expect(page.locator("#data-status")).to_contain_text("Merged")
    page.goto(live_server.url + "/progress")
    page.locator("body[data-progress-ready]").wait_for()
    note = page.locator("#summary-notes li", has_text="bold")
    expect(note).to_have_count(1)
    assert MARKUP in note.inner_text()
    expect(page.get_by_text(MARKUP, exact=False)).to_be_visible()
    assert page.locator("#summary-notes img, #summary-notes script, #summary-notes b").count() == 0
    assert page.locator("img[src='x'], b:text-is('bold')").count() == 0
    assert page.evaluate("[...document.scripts].some((s) => s.textContent.includes('__pwned'))") is False
    assert page.evaluate("window.__pwned") is None
