#!/usr/bin/env bash
# The benchmark command: installs wrk, Lighthouse 12 and the test extras when missing,
# then prints every figure. Arguments go to bench/audit.py (e.g. --soak).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
[ -x /usr/bin/chromium ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[ -x bench/node_modules/.bin/lighthouse ] || npm install --prefix bench --no-audit --no-fund --loglevel=error
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
.venv/bin/python bench/audit.py "$@"
