"""Benchmark and audit: prints every figure issue 6 asks for, against the budgets.

    bash bench/run.sh            # everything (about 4 minutes)
    bash bench/run.sh --soak     # adds the 60 s, 50-connection load run

Figures, not pass/fail: the machine is shared and noisy. Only loopback is used.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LIGHTHOUSE_PAGES = {"home": "/", "stretch": "/stretches/chin-tuck",
                    "player": "/routines/desk-reset", "screening": "/screening"}
LOAD_PATHS = {"trivial": "/__trivial", "home": "/", "stretch": "/stretches/chin-tuck",
              "content API": "/api/v1/content"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "serve.py"), str(port)])
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/__trivial", timeout=1)
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the app did not start")


def line(label: str, value: str, budget: str = "") -> None:
    print(f"  {label:<46} {value:>16}   {budget}")


def lighthouse(base: str) -> None:
    binary = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
    print("\nLighthouse 12, mobile (budget: 100 / 100 / 100 / 100)")
    if not binary.exists():
        print("  lighthouse is not installed: run `npm install --prefix bench`")
        return
    for name, path in LIGHTHOUSE_PAGES.items():
        out = Path(tempfile.mkdtemp()) / "lh.json"
        flags = " ".join(["--headless=new", *FLAGS])
        result = subprocess.run(
            [str(binary), base + path, "--quiet", "--output=json", f"--output-path={out}",
             f"--chrome-flags={flags}", "--only-categories=performance,accessibility,best-practices,seo"],
            env={"CHROME_PATH": CHROMIUM, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
            timeout=240,
        )
        if result.returncode != 0 or not out.exists():
            print(f"  {name}: lighthouse failed: {result.stderr.strip()[-300:]}")
            continue
        report = json.loads(out.read_text())
        cats = report["categories"]
        audits = report["audits"]
        scores = " / ".join(str(round(cats[c]["score"] * 100)) for c in
                            ("performance", "accessibility", "best-practices", "seo"))
        lcp = audits["largest-contentful-paint"]["numericValue"]
        tbt = audits["total-blocking-time"]["numericValue"]
        cls = audits["cumulative-layout-shift"]["numericValue"]
        weight = audits["total-byte-weight"]["numericValue"]
        print(f"  {name:<10} {scores:<20} LCP {lcp:6.0f} ms  TBT {tbt:4.0f} ms  CLS {cls:.3f}  "
              f"weight {weight / 1024:6.1f} KB")
        failing = [a["title"] for a in audits.values()
                   if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"]
        if failing:
            print(f"             not passing: {'; '.join(failing[:6])}")


def first_load_and_cache(base: str) -> None:
    print("\nCold first load of home, offline cache, other origins")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        sizes: dict[str, float] = {}
        urls: dict[str, str] = {}
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished",
               lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
        every_url: list[str] = []
        context.on("request", lambda r: every_url.append(r.url))
        page.goto(base + "/")
        page.wait_for_load_state("networkidle")
        page_bytes = sum(sizes.values())
        line("home: bytes transferred (page requests)", f"{page_bytes / 1024:.1f} KB", "budget 50 KB")
        line("home: requests", str(len(sizes)))
        page.evaluate("navigator.serviceWorker.ready")
        page.wait_for_function(
            "caches.keys().then(async (n) => n.length === 1 && (await (await caches.open(n[0])).keys()).length > 20)",
            timeout=30000,
        )
        time.sleep(1)
        cache = page.evaluate(
            """async () => {
                const cache = await caches.open((await caches.keys())[0]);
                let total = 0; const keys = await cache.keys();
                for (const k of keys) total += (await (await cache.match(k)).blob()).size;
                return [keys.length, total];
            }"""
        )
        line("offline cache: entries", str(cache[0]))
        line("offline cache: total size (decoded)", f"{cache[1] / 1024:.1f} KB", "budget 300 KB")
        foreign = [u for u in every_url if not u.startswith(base)]
        line("requests to another origin", str(len(foreign)), "budget 0")
        browser.close()

    html = urllib.request.urlopen(base + "/").read()
    css_url = re.search(rb'href="(/static/css/app\.css\?v=[0-9a-f]+)"', html).group(1).decode()
    css = urllib.request.urlopen(base + css_url).read()
    first = len(gzip.compress(html, 9)) + len(gzip.compress(css, 9))
    line("home HTML + CSS, gzipped", f"{first / 1024:.1f} KB", "budget: in the first 14 KB")


def wrk(url: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-H", "Accept-Encoding: gzip", url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label: str) -> float:
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"), "errors": errors, "requests": requests}


def throughput(base: str, soak: bool) -> None:
    print("\nServer throughput, waitress, 2 wrk threads x 32 connections, gzip accepted;")
    print("  3 interleaved rounds of 5 s per route, median round shown")
    if not shutil.which("wrk"):
        print("  wrk is not installed (apt-get install wrk)")
        return
    rounds: dict[str, list[dict]] = {name: [] for name in LOAD_PATHS}
    for _ in range(3):
        # Interleaved, so a noisy neighbour slows every route alike, not just one.
        for name, path in LOAD_PATHS.items():
            rounds[name].append(wrk(base + path, 5, 32))
    results = {name: sorted(rs, key=lambda r: r["rps"])[1] for name, rs in rounds.items()}
    trivial = results["trivial"]["rps"]
    for name, r in results.items():
        print(f"  {name:<12} {r['rps']:8.0f} req/s  ratio {r['rps'] / trivial:4.2f}  "
              f"p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  errors {r['errors']}"
              + ("" if name == "trivial" else "   (budget: ratio >= 0.8)"))
    if soak:
        r = wrk(base + "/", 60, 50)
        print(f"\nLoad run: 60 s at 50 connections on home: {r['requests']} requests, "
              f"{r['rps']:.0f} req/s, p99 {r['p99']:.1f} ms, errors {r['errors']} (budget 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--soak", action="store_true", help="add the 60 s load run")
    parser.add_argument("--skip-lighthouse", action="store_true")
    args = parser.parse_args()
    proc, base = start_server()
    try:
        print(f"Mid-Back Relief audit against {base} (waitress)")
        first_load_and_cache(base)
        from progress_bench import progress_render  # issue 13, kept in its own file
        progress_render(base)
        throughput(base, args.soak)
        if not args.skip_lighthouse:
            lighthouse(base)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
