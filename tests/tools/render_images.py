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
# visible: at most 4/255 in any channel) and then recompressed; screenshots only
# recompressed losslessly (zopflipng keeps every pixel).
def shrink(path: Path, quantize: bool) -> None:
    zopflipng, pngquant = shutil.which("zopflipng"), shutil.which("pngquant")
    if zopflipng is None or (quantize and pngquant is None):
        print(f"left {path.name} as drawn: install Debian's pngquant and zopfli to make it smaller")
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = path
        if quantize:
            source = Path(tmp) / "quantized.png"
            subprocess.run([pngquant, "--quality=90-100", "--speed", "1", "--strip", "--output", str(source),
                            str(path)], check=True)
        smaller = Path(tmp) / "smaller.png"
        subprocess.run([zopflipng, "-y", "-m", str(source), str(smaller)], check=True, capture_output=True)
        if smaller.stat().st_size < path.stat().st_size:
            shutil.copyfile(smaller, path)


# (output, source svg, size, transparent corners?)
ICON_SET = [
    ("icon-192.png", "icon.svg", 192),
    ("icon-512.png", "icon.svg", 512),
    ("maskable-512.png", "maskable.svg", 512),
    ("apple-touch-icon.png", "maskable.svg", 180),  # iOS rounds the corners itself
    ("badge-96.png", "icon.svg", 96),
]


def render_icons(browser) -> None:
    for out, src, size in ICON_SET:
        page = browser.new_page(viewport={"width": size, "height": size})
        svg = (ICONS / src).read_text()
        page.set_content(
            "<html><body style='margin:0;background:transparent'>"
            f"<div style='width:{size}px;height:{size}px'>{svg}</div></body></html>"
        )
        page.locator("svg").evaluate("s => { s.style.width = '100%'; s.style.height = '100%'; }")
        page.screenshot(path=str(ICONS / out), omit_background=True)
        page.close()
        shrink(ICONS / out, quantize=True)
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
