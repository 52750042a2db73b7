"""Dates and durations in words: client/static/js/format.js run in Node, and its
durations proved equal to the server's (server/wording.py), which renders the same
words into the pages."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from server.wording import duration_words

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "client" / "static" / "js" / "format.js"
SECONDS = [0, 0.4, 0.5, 1, 1.5, 2.5, 40, 59, 59.5, 60, 61, 100, 119, 120, 599, 3599, 3600, 3659, 3660, 7200, 9000,
           *range(0, 4000, 7), -5, None, "40"]  # fmt: skip


def node_eval(script: str) -> object:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required to test client/static/js/format.js")
    done = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def js(call: str) -> str:
    return f"import * as f from {json.dumps(MODULE.as_uri())}; console.log(JSON.stringify({call}));"


def test_durations_read_as_words():
    words = node_eval(js("[40, 60, 100, 120, 0.7 * 60, 1.7 * 60, 3900].map(f.durationWords)"))
    assert words == ["40 s", "1 min", "1 min 40 s", "2 min", "42 s", "1 min 42 s", "1 h 5 min"]


def test_server_and_client_durations_agree():
    client = node_eval(js(f"{json.dumps(SECONDS)}.map(f.durationWords)"))
    server = [duration_words(float(s) if s is not None else 0) for s in SECONDS]
    assert client == server


def test_dates_read_as_words():
    # Today is Wed 25 Nov 2026 (local time, months from 0 in JavaScript).
    today = "new Date(2026, 10, 25, 15, 30)"
    cases = ["2026-11-25", "2026-11-24", "2026-11-18", "2026-01-02", "2025-12-31", "not a date"]
    words = node_eval(js(f"{json.dumps(cases)}.map((d) => f.dateWords(d, {today}))"))
    assert words == ["Today", "Yesterday", "Wed 18 Nov", "Fri 2 Jan", "Wed 31 Dec 2025", "not a date"]


def test_the_countdown_clock():
    assert node_eval(js("[0, 1, 999, 1000, 20000, 65000, 600000].map(f.clock)")) == [
        "0:00", "0:01", "0:01", "0:01", "0:20", "1:05", "10:00"]  # fmt: skip
