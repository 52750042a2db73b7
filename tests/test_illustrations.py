"""The exercise illustrations: drawn from one body by tests/tools/draw_illustrations.py,
checked at start-up, bundled into one sprite, shown as a start and an end pose that
fade into each other where motion is welcome and stand side by side where it is not."""

import re
import shutil
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest
from playwright.sync_api import expect

from server import illustrations
from server.content import ContentError, load_content
from tests.conftest import ROOT
from tests.tools import draw_illustrations

ILLUSTRATIONS = ROOT / "client" / "static" / "illustrations"
NS = "{http://www.w3.org/2000/svg}"
# The highlight (--move) and figure (--brand) colours of app.css.
MOVE = {"light": (0xC2, 0x41, 0x0C), "dark": (0xFD, 0xBA, 0x74)}
BRAND = {"light": (0x0F, 0x5C, 0x5A), "dark": (0x6F, 0xD1, 0xC6)}


def sprite_of(app) -> ET.Element:
    assets = app.extensions["mbr_assets"]
    return ET.fromstring(assets.files["illustrations/sprite.svg"].data)


def test_committed_drawings_are_what_the_drawing_script_makes():
    for name, text in draw_illustrations.render().items():
        assert (ILLUSTRATIONS / name).read_text(encoding="utf-8") == text, (
            f"{name} differs: run python tests/tools/draw_illustrations.py"
        )


def test_the_page_styles_the_drawings_as_each_file_does_on_its_own():
    rule = re.search(r"^\.ill \{([^}]*)\}", (ROOT / "client/static/css/app.css").read_text(), re.M).group(1)
    page = dict(re.findall(r"([\w-]+): ([^;]+);", rule))
    assert page["stroke"] == "var(--brand)" and page["color"] == "var(--move)"
    for path in ILLUSTRATIONS.glob("*.svg"):
        root = ET.fromstring(path.read_text())
        for name in ("fill", "stroke-width", "stroke-linecap", "stroke-linejoin"):
            assert root.get(name) == page[name], (path.name, name)


def test_sprite_has_a_highlighted_start_and_end_pose_for_every_exercise(app):
    content = app.extensions["mbr_content"]
    root = sprite_of(app)
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    symbols = {el.get("id"): el for el in root.iter(f"{NS}symbol")}
    assert len(symbols) == 2 * len(content.exercises)
    for exercise_id in content.exercises:
        poses = [symbols[f"ill-{exercise_id}-{pose}"] for pose in ("start", "end")]
        for symbol in poses:
            width, height = map(float, symbol.get("viewBox").split()[2:])
            assert width / height == pytest.approx(1.25, abs=0.01)
            # The page styles and colours the figure: the drawing sets neither.
            assert symbol.get("stroke") is None and symbol.get("color") is None
            assert any(el.get("stroke") == "currentColor" for el in symbol.iter()), symbol.get("id")
            for use in symbol.iter(f"{NS}use"):
                assert use.get("href")[1:] in ids
        start, end = (ET.tostring(s) for s in poses)
        assert start.replace(b"-start", b"-end") != end, exercise_id
    # Shared parts are defined once, however many drawings use them.
    assert sum(1 for el in root.iter(f"{NS}g") if el.get("id") == "p-chair") == 1
    assert len(re.findall(rb'href="#p-chair"', ET.tostring(root))) >= 4


def copy_drawings(tmp_path):
    target = tmp_path / "illustrations"
    shutil.copytree(ILLUSTRATIONS, target)
    return target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.replace('<g id="end">', '<g id="finish">'), 'no <g id="end"> pose'),
        (lambda s: s[:s.index('<g id="end">')] + s[s.index('<g id="end">'):].replace('stroke="currentColor"', ""),
         "the end pose highlights nothing"),
        (lambda s: s.replace('href="#p-chair"', 'href="#p-sofa"'), 'href="#p-sofa"> refers to no shared part'),
        (lambda s: s.replace('href="#p-chair"', 'href="/static/x.svg#p-chair"'), "refers to no shared part"),
        (lambda s: s.replace('<g id="still">', '<g id="still" onload="alert(1)">'), "'onload' is not allowed"),
        (lambda s: s.replace('viewBox="', 'viewBox="0 0 100 100" data-old="'), "width:height 5:4"),
        (lambda s: s.replace("</svg>", "<g></svg>"), "not well-formed SVG"),
    ],
)
def test_a_broken_drawing_stops_start_up_naming_the_exercise(content_copy, tmp_path, change, message):
    drawings = copy_drawings(tmp_path)
    path = drawings / "seated-flexion.svg"
    path.write_text(change(path.read_text()))
    with pytest.raises(ContentError) as info:
        load_content(content_copy, drawings)
    assert "exercises item 1 'seated-flexion': field 'illustration': " in str(info.value)
    assert message in str(info.value)


def test_broken_shared_parts_are_named(content_copy, tmp_path):
    drawings = copy_drawings(tmp_path)
    (drawings / illustrations.PARTS_FILE).write_text(
        (drawings / illustrations.PARTS_FILE).read_text().replace('id="p-floor"', 'id="floor"'))
    with pytest.raises(ContentError) as info:
        load_content(content_copy, drawings)
    assert "client/static/illustrations/parts.svg: part id 'floor' must start with 'p-'" in str(info.value)


def test_pages_show_both_poses_and_cards_the_end_pose(app, client):
    content = app.extensions["mbr_content"]
    for ex in content.exercises.values():
        html = client.get(f"/stretches/{ex['id']}").get_data(as_text=True)
        art = re.search(r'<figure class="art" role="img" aria-label="[^"]+">(.*?)</figure>', html, re.S).group(1)
        assert re.findall(r'sprite\.svg\?v=\w+#ill-([\w-]+)"', art) == [f"{ex['id']}-start", f"{ex['id']}-end"]
        labels = re.findall(r'<span class="ill-label">([^<]+)</span>', art)
        assert labels == ex["illustration_labels"]
        assert '<input type="checkbox" id="ill-stop"> Stop the animation' in html
    assert content.exercises["slow-belly-breathing"]["illustration_labels"] == ["Breathe in", "Breathe out"]
    assert content.exercises["seated-flexion"]["illustration_labels"] == ["Start", "End"]
    html = client.get("/stretches").get_data(as_text=True)
    assert len(re.findall(r'<span class="card-art"><svg[^>]*><use data-href="[^"]+#ill-[\w-]+-end"/>', html)) == len(
        content.exercises)
    routine = content.routines["desk-reset"]
    html = client.get("/routines/desk-reset").get_data(as_text=True)
    assert html.count('class="ill-frame ill-start"') == len(routine["steps"])


# --- In Chromium ----------------------------------------------------------------------


def png_pixels(data: bytes) -> list[tuple[int, int, int]]:
    """The RGB pixels of a Chromium screenshot (8-bit RGB or RGBA, not interlaced)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return [tuple(row[x * channels:x * channels + 3]) for row in rows for x in range(width)]


def count(pixels, colour, tolerance=6) -> int:
    return sum(1 for p in pixels if all(abs(p[i] - colour[i]) <= tolerance for i in range(3)))


def frames(page, scope):
    return page.locator(f"{scope} .ill-start"), page.locator(f"{scope} .ill-end")


def running(page, scope) -> list[str]:
    return page.evaluate(
        """(scope) => [...document.querySelectorAll(scope + ' .ill-frame')]
            .flatMap((el) => el.getAnimations({ subtree: true })).filter((a) => a.playState === 'running')
            .map((a) => a.animationName).filter((name) => !name.startsWith('ill-label'))""",
        scope,
    )


def seek(page, scope, ms: int) -> None:
    page.evaluate(
        """([scope, ms]) => document.querySelectorAll(scope + ' .ill-frame').forEach((el) =>
            el.getAnimations({ subtree: true }).forEach((a) => { a.pause(); a.currentTime = ms; }))""",
        [scope, ms],
    )


def side_by_side(page, scope) -> bool:
    start, end = (f.bounding_box() for f in frames(page, scope))
    return start["x"] + start["width"] <= end["x"] and abs(start["y"] - end["y"]) < 1


@pytest.fixture(params=["light", "dark"])
def scheme(request):
    return request.param


@pytest.mark.browser
def test_stretch_page_fades_between_the_poses_and_the_switch_stops_it(new_context, live_server, scheme):
    page = new_context(color_scheme=scheme, service_workers="block").new_page()
    page.goto(live_server.url + "/stretches/seated-flexion")
    art = page.locator(".art")
    expect(page.locator("#ill-stop")).to_be_visible()
    assert sorted(running(page, ".art")) == ["ill-end", "ill-start"]
    start, end = frames(page, ".art")
    assert not side_by_side(page, ".art")

    # At the start of the cycle the start pose shows; 60 % in, the end pose. The drawings
    # fade; their labels switch, never half-transparent (contrast).
    seek(page, ".art", 0)
    expect(start.locator("svg")).to_have_css("opacity", "1")
    expect(end.locator("svg")).to_have_css("opacity", "0")
    expect(start.locator(".ill-label")).to_be_visible()
    expect(end.locator(".ill-label")).to_be_hidden()
    first = art.screenshot()
    seek(page, ".art", 3600)
    expect(start.locator("svg")).to_have_css("opacity", "0")
    expect(end.locator("svg")).to_have_css("opacity", "1")
    expect(start.locator(".ill-label")).to_be_hidden()
    expect(end.locator(".ill-label")).to_be_visible()
    for label in (start.locator(".ill-label"), end.locator(".ill-label")):
        expect(label).to_have_css("opacity", "1")
    second = art.screenshot()
    assert first != second
    # The drawing comes from the external sprite, in the figure and the highlight colour.
    for shot in (first, second):
        pixels = png_pixels(shot)
        assert count(pixels, MOVE[scheme]) > 300 and count(pixels, BRAND[scheme]) > 300
    # Large: most of the column (the drawing scales to the smaller of width and height).
    box = start.locator("svg").bounding_box()
    assert min(box["width"], box["height"] * 1.25) >= 300

    page.locator("#ill-stop").check()
    assert running(page, ".art") == []
    assert side_by_side(page, ".art")
    expect(start.locator("svg")).to_have_css("opacity", "1")
    expect(end.locator("svg")).to_have_css("opacity", "1")
    expect(start.locator(".ill-label")).to_be_visible()
    expect(end.locator(".ill-label")).to_be_visible()
    page.locator("#ill-stop").uncheck()
    assert sorted(running(page, ".art")) == ["ill-end", "ill-start"]


@pytest.mark.browser
def test_reduced_motion_shows_the_poses_side_by_side_without_animation(new_context, live_server):
    page = new_context(viewport={"width": 320, "height": 640}, reduced_motion="reduce",
                       service_workers="block").new_page()
    page.goto(live_server.url + "/stretches/cat-cow")
    assert running(page, ".art") == []
    assert side_by_side(page, ".art")
    start, end = frames(page, ".art")
    expect(start).to_have_css("opacity", "1")
    expect(end).to_have_css("opacity", "1")
    expect(page.locator(".ill-label")).to_have_text(["Round up", "Dip"])
    # Nothing to stop, so no switch.
    expect(page.locator("#ill-stop")).to_be_hidden()
    # The same page with motion allowed animates: the preference is what stops it.
    page.emulate_media(reduced_motion="no-preference")
    assert sorted(running(page, ".art")) == ["ill-end", "ill-start"]
    page.emulate_media(reduced_motion="reduce")
    assert running(page, ".art") == []


@pytest.mark.browser
def test_player_shows_the_movement_large_and_still_when_paused(page, live_server):
    page.goto(live_server.url + "/routines/desk-reset")
    thumb = page.locator(".routine-step .step-art").first
    assert thumb.locator(".ill-start").is_hidden() and thumb.locator(".ill-end").is_visible()
    page.locator("#player-start").click()
    page.locator("#player-skip").click()  # "Go now": past the get-ready count-in
    art = page.locator("#player .player-art")
    first = page.evaluate("document.querySelector('.routine-step').dataset.exercise")
    assert art.locator("use").first.get_attribute("href").endswith(f"#ill-{first}-start")
    assert art.get_attribute("aria-label") == page.locator(".routine-step .step-art").first.get_attribute(
        "aria-label")
    assert sorted(running(page, ".player-art")) == ["ill-end", "ill-start"]
    start, _ = frames(page, ".player-art")
    box, small = start.locator("svg").bounding_box(), thumb.locator(".ill-end svg").bounding_box()
    assert min(box["width"], box["height"] * 1.25) >= 4.3 * small["width"]

    page.locator("#player-pause").click()
    assert running(page, ".player-art") == []
    assert side_by_side(page, ".player-art")
    page.locator("#player-pause").click()
    assert sorted(running(page, ".player-art")) == ["ill-end", "ill-start"]

    page.locator("#player-skip").click()
    second = page.evaluate("document.querySelectorAll('.routine-step')[1].dataset.exercise")
    assert art.locator("use").last.get_attribute("href").endswith(f"#ill-{second}-end")
