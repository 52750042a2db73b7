"""The progress page with a year of daily check-ins against an empty diary (issue 13:
"a year of daily check-ins must stay fast ... at most 2x").

    .venv/bin/python bench/progress_bench.py        # starts its own server
    (bench/audit.py calls progress_render() with the server it started)

Figures are medians of several loads in real headless Chromium, each a fresh navigation
of /progress with the diary already stored on the device (bench/diary_seed.py):
  - ready: navigation start to the page's `mbr-progress-ready` mark (charts, table,
    insights, plan and summary drawn);
  - script: from progress.js starting (`mbr-progress-start`) to ready, the part the
    diary's size can change.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.audit import CHROMIUM, FLAGS, ROOT, free_port, line  # noqa: E402
from bench.diary_seed import diary, seed_page  # noqa: E402

RUNS = 15
BUDGET_RATIO = 2.0

TIMING = """() => {
  const ready = performance.getEntriesByName('mbr-progress-ready')[0];
  const start = performance.getEntriesByName('mbr-progress-start')[0];
  return [ready.startTime, ready.startTime - start.startTime];
}"""


def load_once(page, base: str) -> tuple[float, float]:
    page.goto(base + "/progress")
    page.locator("body[data-progress-ready]").wait_for()
    return page.evaluate(TIMING)


def measure(browser, base: str) -> dict[int, tuple[float, float]]:
    """Loads alternate between the empty and the year-long diary (two browser contexts),
    so the shared machine's drift hits both alike."""
    pages = {}
    for days in (0, 365):
        context = browser.new_context(viewport={"width": 390, "height": 844}, service_workers="block")
        page = context.new_page()
        page.goto(base + "/progress")
        if days:
            seed_page(page, diary(date.today(), days))
        load_once(page, base)  # warm-up: caches and the JIT
        pages[days] = page
    times: dict[int, list[tuple[float, float]]] = {0: [], 365: []}
    for _ in range(RUNS):
        for days, page in pages.items():
            times[days].append(load_once(page, base))
    assert pages[365].locator("#chart-pain .pain .dot").count() > 0, "the seeded diary did not render"
    assert pages[0].locator("#chart-pain .pain .dot").count() == 0
    for page in pages.values():
        page.context.close()
    return {days: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts))
            for days, ts in times.items()}


def progress_render(base: str) -> dict[str, float]:
    print("Progress page (/progress), 365 days of check-ins vs none, median of", RUNS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            result = measure(browser, base)
            empty, year = result[0], result[365]
        finally:
            browser.close()
    ratio = year[0] / empty[0]
    line("ready, empty diary", f"{empty[0]:.0f} ms")
    line("ready, 365 days", f"{year[0]:.0f} ms")
    line("script, empty / 365 days", f"{empty[1]:.0f} / {year[1]:.0f} ms")
    line("ready ratio 365 days / empty", f"{ratio:.2f}x", f"budget <= {BUDGET_RATIO:.0f}x "
         + ("OK" if ratio <= BUDGET_RATIO else "OVER"))
    return {"empty_ms": empty[0], "year_ms": year[0], "ratio": ratio,
            "empty_script_ms": empty[1], "year_script_ms": year[1]}


def start_server(wait_seconds: float = 60) -> tuple[subprocess.Popen, str]:
    # Like audit.start_server, with more patience: the shared machine can be slow to start.
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "serve.py"), str(port)])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/__trivial", timeout=1)
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the app did not start")


def main() -> None:
    proc, base = start_server()
    try:
        progress_render(base)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
