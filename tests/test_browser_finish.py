"""A finished app on every screen (issue 15), in real Chromium: layout invariants at
phone and desktop widths in light and dark (no sideways scrolling, thumb-sized targets
outside sentences, navigation at the bottom on phones and in a side rail on desktops),
the player by keyboard alone, the player pausing when the page is left and offering to
resume, and install guidance (Chromium's prompt, the iOS Safari how-to)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.test_accessibility import violations

pytestmark = pytest.mark.browser

WIDTHS = {320: 640, 390: 844, 1280: 800}
STRETCH = "seated-rotation"
PAGES = ["/", f"/stretches/{STRETCH}", "/routines/desk-reset#player", "/screening", "/reminders", "/progress",
         "/settings"]
IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")  # fmt: skip
IPHONE_CHROME = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1")  # fmt: skip

# Every target a finger or pointer might aim for, measured where it is drawn: a box or
# radio by its label, a link inside a sentence (more words around it in the same block)
# left out, as WCAG 2.5.8 allows. Off-screen, hidden and visually-hidden ones do not count.
MEASURE = """() => {
  const out = [];
  const blockOf = (n) => {
    let b = n.parentElement;
    while (b && getComputedStyle(b).display.startsWith('inline')) b = b.parentElement;
    return b;
  };
  const words = (n) => (n.textContent || '').replace(/\\s+/g, ' ').trim();
  for (const n of document.querySelectorAll('a[href], button, input, select, textarea, summary, [role="button"]')) {
    let target = n;
    if (n.matches('input[type="checkbox"], input[type="radio"]') && n.closest('label')) target = n.closest('label');
    if (n.matches('input[type="file"]')) target = document.querySelector(`label[for="${n.id}"]`) || n;
    const style = getComputedStyle(target);
    const box = target.getBoundingClientRect();
    if (style.visibility === 'hidden' || box.width === 0 || box.height === 0) continue;
    if (target.closest('.visually-hidden') || box.bottom + window.scrollY < 0) continue;
    if (n.matches('a')) {
      const block = blockOf(n);
      if (block && words(block).length > words(n).length + 2) continue; // a link in a sentence
    }
    if (box.width < 44 || box.height < 44) {
      const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
      out.push(`${n.tagName.toLowerCase()}#${n.id || ''} "${words(target).slice(0, 40)}" ${size}`);
    }
  }
  return out;
}"""

NAV = """() => {
  const nav = document.querySelector('nav.tabbar').getBoundingClientRect();
  const labels = [...document.querySelectorAll('nav.tabbar span')].map((s) => s.getBoundingClientRect());
  return { left: nav.left, right: nav.right, top: nav.top, bottom: nav.bottom, width: nav.width, height: nav.height,
           labels: labels.map((b) => [b.left, b.right, b.top, b.bottom]) };
}"""


def stop_time(page) -> None:
    """Playwright's clock, stopped: time moves only by run_for, however slow the machine."""
    now_ms = page.evaluate("Date.now()")
    page.clock.pause_at((now_ms + 1000) / 1000)  # a number here is Unix time in seconds


def check_layout(page, width: int, height: int, where: str) -> list[str]:
    problems = []
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 0:
        problems.append(f"{where}: scrolls sideways by {overflow} px")
    small = page.evaluate(MEASURE)
    problems += [f"{where}: target under 44 px: {s}" for s in small]
    nav = page.evaluate(NAV)
    labels = nav["labels"]
    if width < 900:
        if not (abs(nav["bottom"] - height) <= 1 and nav["width"] == width):
            problems.append(f"{where}: navigation not a bottom bar: {nav}")
        # Side by side, with air between neighbouring labels.
        gaps = [labels[i + 1][0] - labels[i][1] for i in range(len(labels) - 1)]
        if min(gaps) < 4:
            problems.append(f"{where}: tab labels {gaps} px apart")
    else:
        if not (nav["left"] == 0 and nav["top"] == 0 and nav["height"] == height and nav["width"] < 300):
            problems.append(f"{where}: navigation not a side rail: {nav}")
        if any(labels[i + 1][2] < labels[i][3] for i in range(len(labels) - 1)):
            problems.append(f"{where}: side-rail labels not stacked")
    return problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_layout_invariants_on_phones_and_desktop(new_context, live_server, scheme):
    problems = []
    for width, height in WIDTHS.items():
        context = new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                              service_workers="block")  # fmt: skip
        page = context.new_page()
        for url in PAGES:
            page.goto(live_server.url + url)
            problems += check_layout(page, width, height, f"{url} at {width} px {scheme}")
            if url.startswith("/routines/"):
                page.locator("#player-start").click()
                expect(page.locator("#player-pause")).to_be_focused()
                problems += check_layout(page, width, height, f"player at {width} px {scheme}")
        context.close()
    assert problems == []


def test_player_by_keyboard_alone_on_a_desktop(new_context, live_server):
    content = live_server.app.extensions["mbr_content"]
    steps = content.routines["desk-reset"]["steps"]
    titles = [content.exercises[s["exercise"]]["title"] for s in steps]
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.clock.install()
    page.goto(live_server.url + "/routines/desk-reset")
    stop_time(page)
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "player-start":
            break
    assert page.evaluate("document.activeElement.id") == "player-start"
    page.keyboard.press("Enter")
    # Focus goes to the main control, the keys are on screen, and a count-in runs first.
    pause = page.locator("#player-pause")
    expect(pause).to_be_focused()
    expect(page.locator("#player-keys")).to_be_visible()
    expect(page.locator("#player-keys")).to_have_text("Keys: Space pause or resume, ← back, → skip")
    expect(page.locator("#player-count")).to_have_text("3")
    page.clock.run_for(1000)
    expect(page.locator("#player-count")).to_have_text("2")
    page.keyboard.press("ArrowRight")  # past the count-in
    expect(page.locator("#player-count")).to_have_text(f"0:{steps[0]['seconds']:02d}")
    expect(page.locator("#player-now")).to_have_text(titles[0])
    expect(page.locator(".routine-step").nth(0)).to_have_attribute("aria-current", "step")

    page.keyboard.press("ArrowRight")
    expect(page.locator("#player-now")).to_have_text(titles[1])
    expect(page.locator(".routine-step").nth(1)).to_have_attribute("aria-current", "step")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#player-now")).to_have_text(titles[0])

    page.keyboard.press("Space")  # on the focused Pause button
    expect(pause).to_have_attribute("aria-pressed", "true")
    expect(pause).to_have_text("Resume")
    held = page.locator("#player-count").inner_text()
    page.clock.run_for(5000)
    expect(page.locator("#player-count")).to_have_text(held)
    # Space works with focus anywhere that is not a control (here: nothing focused).
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Space")
    expect(pause).to_have_attribute("aria-pressed", "false")
    page.clock.run_for(2000)
    expect(page.locator("#player-count")).not_to_have_text(held)
    page.keyboard.press("Space")
    expect(pause).to_have_attribute("aria-pressed", "true")

    # Resume and let the routine run to its end: focus goes to the result.
    page.keyboard.press("Space")
    for step in steps:
        page.clock.run_for(step["seconds"] * 1000 + 400)
    page.locator("#player-done").wait_for()
    expect(page.locator("#player-done")).to_be_focused()
    seconds = sum(s["seconds"] for s in steps)
    words = f"{seconds // 60} min {seconds % 60} s" if seconds % 60 else f"{seconds // 60} min"
    expect(page.locator("#player-done")).to_have_text(f"Well done. {words} recorded on this device.")


def hide_and_show(page, hidden: bool) -> None:
    # Headless Chromium keeps every page visible, so the page is told the way a phone
    # tells it when another app comes to the front: visibilityState and its event.
    page.evaluate("""(hidden) => {
      const state = hidden ? 'hidden' : 'visible';
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
      document.dispatchEvent(new Event('visibilitychange'));
    }""", hidden)  # fmt: skip


def test_the_player_pauses_when_the_page_is_left_and_offers_resume(page, live_server):
    content = live_server.app.extensions["mbr_content"]
    steps = content.routines["desk-reset"]["steps"]
    titles = [content.exercises[s["exercise"]]["title"] for s in steps]
    page.clock.install()
    page.goto(live_server.url + "/routines/desk-reset")
    stop_time(page)
    page.locator("#player-start").click()
    page.clock.run_for(3000)  # the count-in
    page.locator("#player-skip").click()
    page.clock.run_for(5000)
    expect(page.locator("#player-count")).to_have_text(f"0:{steps[1]['seconds'] - 5:02d}")

    # Another app comes to the front: the clock stops, and on return the person chooses.
    hide_and_show(page, True)
    expect(page.locator("#player-pause")).to_have_attribute("aria-pressed", "true")
    page.clock.run_for(40_000)
    hide_and_show(page, False)
    expect(page.locator("#player-resume-box")).to_be_visible()
    expect(page.locator("#player-stage")).to_be_hidden()
    expect(page.locator("#player-resume-text")).to_have_text(
        f"Paused at step 2 of {len(steps)}: {titles[1]}, {steps[1]['seconds'] - 5} s left.")
    expect(page.locator("#player-resume")).to_be_focused()
    page.locator("#player-resume").click()
    expect(page.locator("#player-count")).to_have_text("3")  # get ready again
    page.clock.run_for(3000)
    expect(page.locator("#player-count")).to_have_text(f"0:{steps[1]['seconds'] - 5:02d}")
    expect(page.locator("#player-now")).to_have_text(titles[1])

    # Following a "How to" link and coming back: the same question, time unchanged.
    page.locator(".routine-step").nth(2).get_by_role("link", name="How to").click()
    page.wait_for_url(f"**/stretches/{steps[2]['exercise']}")
    page.clock.run_for(60_000)
    page.go_back()
    expect(page.locator("#player-resume-box")).to_be_visible()
    expect(page.locator("#player-resume-text")).to_contain_text(f"step 2 of {len(steps)}: {titles[1]}")
    page.locator("#player-restart").click()  # Start over
    expect(page.locator("#player-now")).to_have_text(titles[0])
    expect(page.locator("#player-progress-text")).to_have_text(f"Step 1 of {len(steps)}")


@pytest.mark.parametrize(("age_minutes", "offered"), [(59, True), (61, False)])
def test_a_routine_left_over_an_hour_ago_starts_over(page, live_server, age_minutes, offered):
    page.goto(live_server.url + "/routines/desk-reset")
    saved = {"routine": "desk-reset", "index": 2, "remaining": 9000, "running": False, "endsAt": 0, "skipped": []}
    page.evaluate("""([saved, age]) => localStorage.setItem('mbr.player',
      JSON.stringify({ ...saved, savedAt: Date.now() - age * 60000 }))""", [saved, age_minutes])  # fmt: skip
    page.reload()
    if offered:
        expect(page.locator("#player-resume-text")).to_contain_text("step 3 of 5")
        expect(page.locator("#player-resume-text")).to_contain_text("9 s left")
        expect(page.locator("#player-intro")).to_be_hidden()
        assert violations(page) == []  # (no fake clock here: axe waits on timers)
    else:
        expect(page.locator("#player-start")).to_be_visible()
        expect(page.locator("#player-resume-box")).to_be_hidden()
        assert page.evaluate("localStorage.getItem('mbr.player')") is None


def test_time_a_single_stretch_from_its_page(page, live_server):
    content = live_server.app.extensions["mbr_content"]
    timed = [e for e in content.exercises.values() if e["hold_seconds"] >= 5 and e["sides"] == 2]
    assert timed, "content has no two-sided hold to time"
    ex = timed[0]
    page.clock.install()
    page.goto(live_server.url + f"/stretches/{ex['id']}")
    stop_time(page)
    expect(page.locator("#timer-title")).to_have_text("Time this stretch")
    page.locator("#player-start").click()
    expect(page.locator("#player-now")).to_have_text(f"Left side, hold 1 of {ex['reps']}")
    expect(page.locator("#player-next")).to_have_text(f"Next: Right side, hold 1 of {ex['reps']}")
    page.clock.run_for(3000 + ex["hold_seconds"] * 1000 + 400)
    expect(page.locator("#player-now")).to_have_text(f"Right side, hold 1 of {ex['reps']}")
    for _ in range(ex["reps"] * 2):
        page.clock.run_for(ex["hold_seconds"] * 1000 + 400)
    expect(page.locator("#player-done")).to_be_visible()
    history = page.evaluate("JSON.parse(localStorage.getItem('mbr.history'))")
    assert [(h["routine"], h["title"], h["seconds"]) for h in history] == [
        (f"stretch:{ex['id']}", ex["title"], ex["hold_seconds"] * ex["reps"] * 2)]  # fmt: skip
    # Every stretch page offers the timer.
    for exercise_id in content.exercises:
        page.goto(live_server.url + f"/stretches/{exercise_id}")
        expect(page.locator("#player-start")).to_be_visible()


FAKE_PROMPT = """() => {
  const event = new Event('beforeinstallprompt', { cancelable: true });
  window.__prompted = 0;
  event.prompt = () => { window.__prompted += 1; return Promise.resolve(); };
  event.userChoice = Promise.resolve({ outcome: 'accepted', platform: 'web' });
  window.dispatchEvent(event);
  return event.defaultPrevented;
}"""


def test_install_button_appears_on_beforeinstallprompt(new_context, live_server):
    page = new_context(viewport={"width": 1280, "height": 800}, service_workers="block").new_page()
    page.goto(live_server.url + "/")
    card = page.locator("#install-home")
    expect(card).to_be_hidden()
    # Chromium's event, as it fires when the app is installable: kept for our button.
    assert page.evaluate(FAKE_PROMPT) is True
    expect(card).to_be_visible()
    expect(card.locator("[data-install-ios]")).to_be_hidden()
    assert violations(page) == []
    card.get_by_role("button", name="Install app").click()
    expect(card).to_be_hidden()
    assert page.evaluate("window.__prompted") == 1

    # "Not now" is remembered on home; the reminders page still offers it. (The reload
    # keeps the scroll at the end, where the card was clicked; from the top it opens at
    # once instead of waiting for the footer to leave the screen.)
    page.reload()
    page.evaluate("window.scrollTo(0, 0)")
    page.evaluate(FAKE_PROMPT)
    card.get_by_role("button", name="Not now").click()
    expect(card).to_be_hidden()
    page.reload()
    page.evaluate(FAKE_PROMPT)
    expect(card).to_be_hidden()
    page.goto(live_server.url + "/reminders")
    page.evaluate(FAKE_PROMPT)
    expect(page.locator("#install-reminders")).to_be_visible()


@pytest.mark.parametrize(("agent", "standalone", "shown"), [
    (IPHONE_SAFARI, False, True),
    (IPHONE_SAFARI, True, False),
    (IPHONE_CHROME, False, False),
    (None, False, False),
])  # fmt: skip
def test_ios_how_to_only_in_safari_before_installing(new_context, live_server, agent, standalone, shown):
    options = {"viewport": {"width": 390, "height": 844}, "service_workers": "block"}
    if agent:
        options |= {"user_agent": agent, "is_mobile": True, "has_touch": True}
    context = new_context(**options)
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'standalone', "
        f"{{ configurable: true, get: () => {json.dumps(standalone)} }});"
    )
    page = context.new_page()
    for url, slot in (("/", "#install-home"), ("/reminders", "#install-reminders")):
        page.goto(live_server.url + url)
        page.wait_for_function("document.readyState === 'complete'")
        how_to = page.locator(f"{slot} [data-install-ios]")
        if shown:
            expect(how_to).to_be_visible()
            expect(how_to).to_contain_text("Add to Home Screen")
            expect(page.locator(f"{slot} [data-install-prompt]")).to_be_hidden()
            assert violations(page) == []
        else:
            expect(page.locator(slot)).to_be_hidden()
    if shown:
        # Dismissible on home, and gone from home after that; still where reminders are set up.
        page.goto(live_server.url + "/")
        page.locator("#install-home").get_by_role("button", name="Got it").click()
        expect(page.locator("#install-home")).to_be_hidden()
        page.reload()
        page.wait_for_function("document.readyState === 'complete'")
        expect(page.locator("#install-home")).to_be_hidden()
        page.goto(live_server.url + "/reminders")
        expect(page.locator("#install-reminders [data-install-ios]")).to_be_visible()


FOCUS_RING = """() => {
  let n = document.activeElement;
  if (n === document.body) return null; // past the last control
  // A visually hidden file input shows its ring on the label that stands for it.
  if (n.matches('input.visually-hidden')) n = document.querySelector(`label[for="${n.id}"]`);
  const s = getComputedStyle(n);
  return { id: n.id || n.textContent.trim().slice(0, 30), style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
}"""


@pytest.mark.parametrize("url", ["/", "/settings", "/reminders", f"/stretches/{STRETCH}"])
def test_every_control_shows_where_focus_is(new_context, live_server, url):
    page = new_context(viewport={"width": 1280, "height": 800}, service_workers="block").new_page()
    page.goto(live_server.url + url)
    seen, missing = set(), []
    for _ in range(150):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        if ring is None:
            break
        if ring["id"] in seen:
            continue
        seen.add(ring["id"])
        if ring["style"] == "none" or ring["width"] < 2:
            missing.append(ring)
    assert len(seen) > 10
    assert missing == []


def tab_to(page, selector: str, limit: int = 120) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


def test_reminders_by_keyboard_alone_on_a_desktop(new_context, live_server):
    content = live_server.app.extensions["mbr_content"]
    first = next(iter(content.reminders))
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(live_server.url + "/reminders")
    tab_to(page, f"#on-{first}")
    box = page.locator(f"#on-{first}")
    was_on = box.is_checked()
    page.keyboard.press("Space")
    expect(box).to_be_checked(checked=not was_on)
    tab_to(page, "#reminder-plan button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#plan-status")).not_to_be_empty()
    saved = page.evaluate("JSON.parse(localStorage.getItem('mbr.reminders'))")
    assert saved, "the plan was not saved"
