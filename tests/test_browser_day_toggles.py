"""The reminders page's day pickers, in real Chromium: each is a row of seven real
checkboxes drawn as toggles (short names shown, full day names as their accessible
names, grouped under a legend), thumb-sized, on one row from 390 px and in rows of 4 + 3
at 320 px without sideways scrolling; checked differs from unchecked by more than colour
in light, dark and forced colours; keyboard focus is visible on the drawn toggle; and the
plan saved from them is the one the days show."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
GROUPS = ["#days", "#days-daily-checkin"]  # the other reminders' days; the daily check-in's
STORE = "JSON.parse(localStorage.getItem('mbr.reminders'))"

BOXES = """(fieldset) => [...fieldset.querySelectorAll('label')].map((label) => {
  const r = label.getBoundingClientRect();
  return { x: r.x, y: Math.round(r.y), w: r.width, h: r.height };
})"""

DRAWN = """(input) => {
  const s = getComputedStyle(input.nextElementSibling);
  return { weight: Number(s.fontWeight), line: s.textDecorationLine, bg: s.backgroundColor,
           outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) };
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("width", "height", "rows"), [
    (320, 640, [4, 3]), (360, 740, [4, 3]), (390, 844, [7]), (1280, 800, [7]),
])  # fmt: skip
def test_seven_thumb_sized_toggles_in_one_row_or_four_and_three(new_context, live_server, scheme, width, height,
                                                                 rows):
    page = new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                       service_workers="block").new_page()  # fmt: skip
    page.goto(live_server.url + "/reminders")
    for group in GROUPS:
        fieldset = page.locator(group)
        expect(fieldset.locator("legend")).to_be_visible()
        # Short names on screen, the full day as each checkbox's name.
        expect(fieldset.locator("label")).to_have_text([d[:3] for d in DAYS])
        for day in DAYS:
            expect(fieldset.get_by_role("checkbox", name=day, exact=True)).to_have_count(1)
        boxes = fieldset.evaluate(BOXES)
        assert all(b["w"] >= 44 and b["h"] >= 44 for b in boxes), boxes
        assert all(b["x"] >= 0 and b["x"] + b["w"] <= width for b in boxes), boxes
        tops = sorted({b["y"] for b in boxes})
        assert [sum(b["y"] == top for b in boxes) for top in tops] == rows, f"{group} at {width} px: {boxes}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("media", [{"color_scheme": "light"}, {"color_scheme": "dark"},
                                   {"color_scheme": "light", "forced_colors": "active"},
                                   {"color_scheme": "dark", "forced_colors": "active"}])
def test_checked_differs_by_more_than_colour(new_context, live_server, media):
    page = new_context(service_workers="block", **media).new_page()
    page.goto(live_server.url + "/reminders")
    days = page.locator("#days")
    expect(days.get_by_role("checkbox", name="Monday")).to_be_checked()
    expect(days.get_by_role("checkbox", name="Saturday")).not_to_be_checked()
    on = days.get_by_role("checkbox", name="Monday").evaluate(DRAWN)
    off = days.get_by_role("checkbox", name="Saturday").evaluate(DRAWN)
    # Bold and underlined when on, plain when off; a different fill on top of that.
    assert on["weight"] >= 700 and off["weight"] <= 500, (on, off)
    assert "underline" in on["line"] and "underline" not in off["line"], (on, off)
    assert on["bg"] != off["bg"], (on, off)


def test_by_keyboard_and_by_tap_the_toggles_set_the_saved_days(new_context, live_server):
    page = new_context(viewport={"width": 1280, "height": 800}, service_workers="block").new_page()
    page.goto(live_server.url + "/reminders")
    days = page.locator("#days")
    friday = days.get_by_role("checkbox", name="Friday")
    saturday = days.get_by_role("checkbox", name="Saturday")
    friday.focus()
    page.keyboard.press("Tab")
    expect(saturday).to_be_focused()
    # The ring is drawn on the visible toggle, not on the transparent box inside it.
    ring = saturday.evaluate(DRAWN)
    assert ring["outline"] == "solid" and ring["outlineWidth"] >= 2, ring
    page.keyboard.press("Space")
    expect(saturday).to_be_checked()
    # A tap on the toggle's face (its short name) switches it too.
    days.locator("label", has_text="Mon").click()
    expect(days.get_by_role("checkbox", name="Monday")).not_to_be_checked()
    checkin = page.locator("#days-daily-checkin")
    checkin.locator("label", has_text="Sun").click()
    page.locator("#reminder-plan button[type=submit]").click()
    expect(page.locator("#plan-status")).to_have_text("Saved on this phone.")
    settings = page.evaluate(STORE)["settings"]
    assert settings["days"] == ["tue", "wed", "thu", "fri", "sat"]
    assert settings["types"]["daily-checkin"]["days"] == ["mon", "tue", "wed", "thu", "fri", "sat"]
    # Shown again as saved after a reload.
    page.reload()
    expect(days.get_by_role("checkbox", name="Monday")).not_to_be_checked()
    expect(days.get_by_role("checkbox", name="Saturday")).to_be_checked()
    expect(checkin.get_by_role("checkbox", name="Sunday")).not_to_be_checked()


def test_no_day_for_the_check_in_marks_its_days(new_context, live_server):
    page = new_context(service_workers="block").new_page()
    page.goto(live_server.url + "/reminders")
    page.locator("#on-daily-checkin").check()
    checkin = page.locator("#days-daily-checkin")
    for label in checkin.locator("label").all():
        label.click()
    page.locator("#reminder-plan button[type=submit]").click()
    expect(page.locator("#plan-status")).to_contain_text("Pick at least one day for the daily check-in.")
    expect(checkin).to_have_attribute("aria-invalid", "true")
