"""Benchmark and audit: prints every figure issues 6 and 14 ask for, against the budgets.

    bash bench/run.sh            # everything (about 20 minutes: Lighthouse dominates)
    bash bench/run.sh --soak     # adds the 60 s, 50-connection load run
    bash bench/run.sh --rounds 5 # more interleaved Lighthouse and throughput rounds
    .venv/bin/python bench/audit.py --skip-lighthouse --skip-install --skip-push  # throughput only

Figures, not pass/fail: the machine is shared and noisy, so speed is reported as ratios
to yardsticks served by the same server in the same run (a floor page with a heading
and a paragraph and no CSS; a trivial route), medians of interleaved rounds.
Only loopback is used.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FLOOR = "/__floor"
LIGHTHOUSE_PAGES = {"floor": FLOOR, "home": "/", "cause": "/causes/muscular-postural/poor-posture",
                    "stretch": "/stretches/chin-tuck", "library": "/stretches",
                    "player": "/routines/desk-reset", "safety check": "/screening",
                    "reminders": "/reminders", "settings": "/settings", "progress": "/progress"}
LOAD_PATHS = {"trivial": "/__trivial", "home": "/", "stretch": "/stretches/chin-tuck",
              "safety check": "/screening", "content API": "/api/v1/content"}
# The one-file change for the update figure: one sentence of one exercise.
CHANGED_EXERCISE = "chin-tuck"
REVISIONS_KEY = "/__precache/revisions"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int | None = None, content_dir: Path | None = None,
                 count_bytes: bool = False) -> tuple[subprocess.Popen, str]:
    port = port or free_port()
    env = dict(os.environ)
    if content_dir is not None:
        env["MBR_CONTENT_DIR"] = str(content_dir)
    args = [sys.executable, str(ROOT / "bench" / "serve.py"), str(port)]
    proc = subprocess.Popen(args + (["--count-bytes"] if count_bytes else []), env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/__trivial", timeout=1)
            return proc, base
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the app did not start")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=20)


def line(label: str, value: str, budget: str = "") -> None:
    print(f"  {label:<52} {value:>16}   {budget}")


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


# --- Lighthouse ------------------------------------------------------------------------

def lighthouse_once(binary: Path, url: str, tries: int = 2) -> dict | None:
    """One Lighthouse run; on a loaded machine Chromium sometimes loses the trace
    (NO_NAVSTART), so a failed run is tried once more."""
    for attempt in range(1, tries + 1):
        result = _lighthouse_run(binary, url, report_failure=attempt == tries)
        if result is not None:
            return result
    return None


def _lighthouse_run(binary: Path, url: str, report_failure: bool) -> dict | None:
    out = Path(tempfile.mkdtemp()) / "lh.json"
    flags = " ".join(["--headless=new", *FLAGS])
    result = subprocess.run(
        [str(binary), url, "--quiet", "--output=json", f"--output-path={out}",
         f"--chrome-flags={flags}", "--only-categories=performance,accessibility,best-practices,seo"],
        env={"CHROME_PATH": CHROMIUM, "PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True, text=True, timeout=300,
    )
    if result.returncode != 0 or not out.exists():
        if report_failure:
            print(f"  {url}: lighthouse failed: {result.stderr.strip()[-300:]}")
        return None
    report = json.loads(out.read_text())
    shutil.rmtree(out.parent, ignore_errors=True)
    audits = report["audits"]
    failing = [a["title"] for a in audits.values()
               if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"]
    return {
        "scores": [round(report["categories"][c]["score"] * 100)
                   for c in ("performance", "accessibility", "best-practices", "seo")],
        "lcp": audits["largest-contentful-paint"]["numericValue"],
        "fcp": audits["first-contentful-paint"]["numericValue"],
        "tbt": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "weight": audits["total-byte-weight"]["numericValue"],
        "failing": failing,
    }


def lighthouse(base: str, rounds: int) -> None:
    binary = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
    print(f"\nLighthouse 12, mobile (simulated slow 4G): LCP as a ratio to the floor page, median of "
          f"{rounds} interleaved rounds (budget: ratio <= 1.10; scores 100 / 100 / 100 / 100)")
    if not binary.exists():
        print("  lighthouse is not installed: run `npm install --prefix bench`")
        return
    pages = {}
    for name, path in LIGHTHOUSE_PAGES.items():
        try:
            status = urllib.request.urlopen(base + path, timeout=10).status
        except OSError:
            status = None
        if status == 200:
            pages[name] = path
        else:
            print(f"  {name}: {path} is not served ({status}); skipped")
    runs: dict[str, list[dict]] = {name: [] for name in pages}
    for _ in range(rounds):
        # Interleaved, so a noisy neighbour slows every page alike, not just one.
        for name, path in pages.items():
            result = lighthouse_once(binary, base + path)
            if result:
                runs[name].append(result)
    floor = statistics.median(r["lcp"] for r in runs["floor"]) if runs.get("floor") else None
    print(f"  {'page':<13} {'LCP median':>10} {'ratio':>6}  {'FCP':>6}  {'rounds (LCP ms)':<22} "
          f"{'scores (lowest)':<18} TBT  CLS    weight")
    for name, rs in runs.items():
        if not rs:
            continue
        lcp = statistics.median(r["lcp"] for r in rs)
        fcp = statistics.median(r["fcp"] for r in rs)
        ratio = f"{lcp / floor:5.2f}" if floor else "  -  "
        lowest = [min(r["scores"][i] for r in rs) for i in range(4)]
        each = ",".join(f"{r['lcp']:.0f}" for r in rs)
        print(f"  {name:<13} {lcp:7.0f} ms {ratio:>6}  {fcp:6.0f}  {each:<22} "
              f"{' / '.join(map(str, lowest)):<18} {max(r['tbt'] for r in rs):3.0f}  "
              f"{max(r['cls'] for r in rs):.3f}  {rs[0]['weight'] / 1024:5.1f} KB")
        failing = sorted({t for r in rs for t in r["failing"]})
        if failing and name != "floor":
            print(f"                not passing: {'; '.join(failing[:6])}")


# --- Install and update bytes ----------------------------------------------------------

def recorded(base: str, on: bool) -> list[list]:
    if on:
        urllib.request.urlopen(base + "/__bench/bytes").read()  # clear
        urllib.request.urlopen(base + "/__bench/record?on=1").read()
        return []
    urllib.request.urlopen(base + "/__bench/record?on=0").read()
    return json.loads(urllib.request.urlopen(base + "/__bench/bytes").read())


def wait_installed(page) -> None:
    """Until the worker's install is complete. Polled with page.evaluate, which awaits the
    async check (page.wait_for_function would not: a promise is truthy, so it returns at
    once)."""
    deadline = time.monotonic() + 120
    while not page.evaluate(
        """async (key) => {
            const reg = await navigator.serviceWorker.getRegistration();
            if (!reg || !reg.active || reg.active.state !== 'activated' || reg.installing) return false;
            // Complete: the revisions entry (written last) is there, and so is every file it
            // lists (Chromium may list a cache's entries a moment after the worker's puts).
            for (const name of await caches.keys()) {
                if (!name.startsWith('mbr-')) continue;
                const cache = await caches.open(name);
                const stored = await cache.match(key);
                if (!stored) continue;
                const have = new Set((await cache.keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search));
                return Object.keys(await stored.json()).every((url) => have.has(url));
            }
            return false;
        }""", REVISIONS_KEY):
        if time.monotonic() > deadline:
            raise SystemExit("the service worker did not finish installing within 120 s")
        page.wait_for_timeout(250)


def change_one_exercise(content_dir: Path) -> str:
    path = content_dir / "exercises.yaml"
    text = path.read_text()
    exercise = next(e for e in yaml.safe_load(text)["exercises"] if e["id"] == CHANGED_EXERCISE)
    step = exercise["steps"][0]
    path.write_text(text.replace(step, step.rstrip(".") + ", slowly.", 1))
    return f"/stretches/{CHANGED_EXERCISE}"


def summarize(log: list[list]) -> dict[str, list[int]]:
    """path -> [requests, header bytes, body bytes]"""
    out: dict[str, list[int]] = {}
    for path, head, body in log:
        row = out.setdefault(path, [0, 0, 0])
        row[0] += 1
        row[1] += head
        row[2] += body
    return out


def totals(rows: dict[str, list[int]], keep=lambda path: True) -> tuple[int, int, int]:
    picked = [row for path, row in rows.items() if keep(path)]
    return sum(r[0] for r in picked), sum(r[1] for r in picked), sum(r[2] for r in picked)


def bytes_line(label: str, rows: dict[str, list[int]], keep=lambda path: True, budget: str = "") -> int:
    n, head, body = totals(rows, keep)
    line(label, f"{kb(body)} + {kb(head)}", budget)
    return body


def install_and_update() -> None:
    print("\nOffline install and update, bytes on the wire (status, headers and bodies as the "
          "server sent them; brotli accepted)")
    content = Path(tempfile.mkdtemp(prefix="mbr-bench-content-")) / "content"
    shutil.copytree(ROOT / "content", content)
    port = free_port()
    proc, base = start_server(port, content, count_bytes=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 390, "height": 844})
        every_url: list[str] = []
        context.on("request", lambda r: every_url.append(r.url))
        page = context.new_page()
        try:
            page_urls_loaded: set[str] = set()
            page.on("request", lambda r: page_urls_loaded.add(r.url.removeprefix(base)))
            recorded(base, True)
            page.goto(base + "/")
            wait_installed(page)
            page.wait_for_load_state("networkidle")
            install = summarize(recorded(base, False))
            # What only the worker asked for (the page's own requests are in page_urls_loaded).
            stored_only = {k for k in install if k not in page_urls_loaded}
            print("  (each figure: compressed bodies + HTTP/1.1 status lines and headers; over HTTP/2")
            print("   the repeated security headers shrink to a few bytes each, so the body figure counts)")
            worker = ("/precache.pack", "/sw.js")
            bytes_line("first visit: home, what it loads (and 304s for the worker)", install,
                       lambda k: not k.startswith(worker) and "css=linked" not in k and k not in stored_only)
            bytes_line("service worker script (sw.js, every fetch)", install, lambda k: k == "/sw.js")
            bytes_line("every page in one pack (precache.pack)", install, lambda k: k.startswith("/precache.pack"))
            bytes_line("the worker's other files (static, one by one)", install,
                       lambda k: k in stored_only and not k.startswith(worker))
            total = bytes_line("whole-app offline install, all of it", install, budget="budget 120 KB (bodies)")
            line("requests during install", str(totals(install)[0]))
            cache = page.evaluate(
                """async () => {
                    const name = (await caches.keys()).find((n) => n.startsWith('mbr-'));
                    const cache = await caches.open(name);
                    let total = 0; const keys = await cache.keys();
                    for (const k of keys) total += (await (await cache.match(k)).blob()).size;
                    return [keys.length, total];
                }""")
            line("offline cache: entries / stored (decoded)", f"{cache[0]} / {kb(cache[1])}")
            foreign = [u for u in every_url if not u.startswith(base)]
            line("requests to another origin", str(len(foreign)), "budget 0")

            stop_server(proc)
            changed = change_one_exercise(content)
            proc, base = start_server(port, content, count_bytes=True)
            recorded(base, True)
            page.reload()
            page.locator("#update").wait_for(state="visible", timeout=120000)
            update = summarize(recorded(base, False))
            print(f"  after changing one sentence of {changed} (the new worker waits for the Reload tap):")
            for path, (n, head, body) in sorted(update.items()):
                print(f"      {path:<52} {n} x  {kb(body):>9} + {kb(head)}")
            updated = bytes_line("update: bytes a returning browser downloads", update)
            line("update as a share of the install (bodies)", f"{updated / total * 100:.1f} %", "goal < 10 %")
        finally:
            browser.close()
            stop_server(proc)
            shutil.rmtree(content.parent, ignore_errors=True)


def first_paint_bytes(base: str) -> None:
    print("\nFirst paint: the HTML carries its CSS (brotli, as browsers ask)")
    for name, path in (("home", "/"), ("safety check", "/screening"), ("player", "/routines/desk-reset")):
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": "br, gzip"})
        with urllib.request.urlopen(request) as response:
            size = len(response.read())
            coding = response.headers.get("Content-Encoding")
        line(f"{name}: HTML with inline CSS ({coding})", kb(size), "budget: in the first 14 KB")


def wrk(url: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-H", "Accept-Encoding: br, gzip", url],
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


def throughput(base: str, soak: bool, rounds_wanted: int) -> None:
    print("\nServer throughput, waitress, 2 wrk threads x 32 connections, brotli and gzip accepted;")
    print(f"  {rounds_wanted} interleaved rounds of 5 s per route; ratio = median of each round's "
          "route/trivial; p50/p99 of the median round")
    if not shutil.which("wrk"):
        print("  wrk is not installed (apt-get install wrk)")
        return
    rounds: dict[str, list[dict]] = {name: [] for name in LOAD_PATHS}
    for _ in range(rounds_wanted):
        # Interleaved, so a noisy neighbour slows every route alike, not just one.
        for name, path in LOAD_PATHS.items():
            rounds[name].append(wrk(base + path, 5, 32))
    for name, rs in rounds.items():
        ratios = [r["rps"] / t["rps"] for r, t in zip(rs, rounds["trivial"], strict=True)]
        ratio = statistics.median(ratios)
        r = sorted(rs, key=lambda x: x["rps"])[len(rs) // 2]
        print(f"  {name:<13} {r['rps']:8.0f} req/s  ratio {ratio:4.2f}  "
              f"p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  errors {sum(x['errors'] for x in rs)}"
              + ("" if name == "trivial" else "   (budget: ratio >= 0.9)"))
    if soak:
        r = wrk(base + "/", 60, 50)
        print(f"\nLoad run: 60 s at 50 connections on home: {r['requests']} requests, "
              f"{r['rps']:.0f} req/s, p99 {r['p99']:.1f} ms, errors {r['errors']} (budget 0)")


def push_fan_out(n: int, seconds: int) -> None:
    """The push fan-out figures (issue 14 item 5; the delivery issue's benchmark) with a
    small N so the run stays short: PostgreSQL when Debian's server binaries are here
    (push_bench starts a throw-away cluster, about a second), else SQLite."""
    have_postgres = any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    args = ["-n", str(n), "--workers", "1", "2"] if have_postgres else ["--sqlite", "-n", str(n)]
    print(f"\nPush fan-out, {n:,} devices due at once ({'PostgreSQL' if have_postgres else 'SQLite'}; "
          f"bench/push_bench.py -n 100000 for the full run):", flush=True)
    try:
        out = subprocess.run([sys.executable, str(ROOT / "bench" / "push_bench.py"), *args], cwd=ROOT,
                             capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        print(f"  stopped after {seconds} s without a summary")
        return
    for text in out.stdout.splitlines():
        print("  " + text)
    if out.returncode:
        print(f"  push_bench exited {out.returncode}: " + " ".join(out.stderr.splitlines()[-3:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--soak", action="store_true", help="add the 60 s load run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (Lighthouse, throughput)")
    parser.add_argument("--skip-lighthouse", action="store_true")
    parser.add_argument("--skip-install", action="store_true", help="skip the install and update bytes")
    parser.add_argument("--skip-push", action="store_true", help="skip the push fan-out figures")
    parser.add_argument("--push-n", type=int, default=5000, help="devices in the push fan-out run")
    args = parser.parse_args()
    print(f"Mid-Back Relief audit, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if not args.skip_install:
        install_and_update()
    proc, base = start_server()
    try:
        print(f"\nServing with waitress at {base}")
        first_paint_bytes(base)
        from progress_bench import progress_render  # issue 13, kept in its own file
        progress_render(base)
        throughput(base, args.soak, args.rounds)
        if not args.skip_lighthouse:
            lighthouse(base, args.rounds)
    finally:
        stop_server(proc)
    if not args.skip_push:
        push_fan_out(args.push_n, 600)


if __name__ == "__main__":
    main()
