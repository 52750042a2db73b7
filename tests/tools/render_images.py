"""Render the app's PNG icons from their SVG sources, and the install-dialog screenshots
from the running app, with Debian's Chromium, then make the files smaller (Debian's
`pngquant` and `zopfli`: apt-get install pngquant zopfli). Run after changing an icon or a
screen:

    python tests/tools/render_images.py icons
    python tests/tools/render_images.py screenshots http://127.0.0.1:8000
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "client" / "static" / "icons"
SHOTS = ROOT / "client" / "static" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# Icons the offline install downloads are palette-quantized (at their sizes no change is
# visible: at most 4/255 in any channel; icon-192, precached, to 20 colours without
# dithering: at most 25/255 on a few edge pixels, 0.15/255 on average) and then
# recompressed; screenshots only recompressed losslessly (zopflipng keeps every pixel).
# The notification badge is a mask (Android draws only its alpha): never quantized, its
# alpha kept exactly, the colour of transparent pixels left to zopflipng.
def shrink(path: Path, quantize: bool, colours: int | None = None, mask: bool = False) -> None:
    zopflipng, pngquant = shutil.which("zopflipng"), shutil.which("pngquant")
    if zopflipng is None or (quantize and pngquant is None):
        print(f"left {path.name} as drawn: install Debian's pngquant and zopfli to make it smaller")
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = path
        if quantize:
            source = Path(tmp) / "quantized.png"
            how = ["--nofs", str(colours)] if colours else ["--quality=90-100"]
            subprocess.run([pngquant, "--speed", "1", "--strip", "--output", str(source), *how, "--", str(path)],
                           check=True)
        smaller = Path(tmp) / "smaller.png"
        lossless = ["--lossy_transparent"] if mask else ["-m"]
        subprocess.run([zopflipng, "-y", *lossless, str(source), str(smaller)], check=True, capture_output=True)
        if smaller.stat().st_size < path.stat().st_size:
            shutil.copyfile(smaller, path)


def badge_svg(icon: str) -> str:
    """The notification badge: the icon's mark (spine and brackets) in white on
    nothing, cropped to the icon's inner area so it reads at status-bar size. Android
    draws a badge from its alpha alone; the icon's rounded square would show as a
    white blob."""
    badge = (icon.replace('viewBox="0 0 512 512"', 'viewBox="64 64 384 384"')
             .replace('<rect width="512" height="512" rx="112" fill="#0f5c5a"/>', "")
             .replace('stroke="#9be3da"', 'stroke="#fff"'))
    if badge.count("#") != 2 or "0f5c5a" in badge:
        raise SystemExit("icon.svg changed: update badge_svg() to draw the mark alone")
    return badge


# (output, source svg, size, colours: None = pngquant's quality setting, 0 = the badge mask)
ICON_SET = [
    ("icon-192.png", "icon.svg", 192, 20),
    ("icon-512.png", "icon.svg", 512, None),
    ("maskable-512.png", "maskable.svg", 512, None),
    ("apple-touch-icon.png", "maskable.svg", 180, None),  # iOS rounds the corners itself
    ("badge-96.png", "icon.svg", 96, 0),
]


def render_icons(browser) -> None:
    for out, src, size, colours in ICON_SET:
        page = browser.new_page(viewport={"width": size, "height": size})
        svg = (ICONS / src).read_text()
        if colours == 0:
            svg = badge_svg(svg)
        page.set_content(
            "<html><body style='margin:0;background:transparent'>"
            f"<div style='width:{size}px;height:{size}px'>{svg}</div></body></html>"
        )
        page.locator("svg").evaluate("s => { s.style.width = '100%'; s.style.height = '100%'; }")
        page.screenshot(path=str(ICONS / out), omit_background=True)
        page.close()
        shrink(ICONS / out, quantize=colours != 0, colours=colours or None, mask=colours == 0)
        print("wrote", ICONS / out)


def render_screenshots(browser, base: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport, scale, path in [
        ("narrow.png", {"width": 390, "height": 844}, 2, "/"),
        ("wide.png", {"width": 1280, "height": 800}, 1, "/stretches"),
    ]:
        context = browser.new_context(viewport=viewport, device_scale_factor=scale)
        page = context.new_page()
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / name))
        context.close()
        shrink(SHOTS / name, quantize=False)
        print("wrote", SHOTS / name)


def main(argv: list[str]) -> int:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        if argv[:1] == ["icons"]:
            render_icons(browser)
        elif argv[:1] == ["screenshots"] and len(argv) == 2:
            render_screenshots(browser, argv[1].rstrip("/"))
        else:
            print(__doc__)
            return 2
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
