#!/usr/bin/env bash
# The README's test command: installs what the tests need and runs the whole suite.
# - Debian's chromium (browser tests) and postgresql (the store, scheduler and push tests
#   also run on a throw-away PostgreSQL cluster that the tests start on a free port, as
#   an unprivileged user when run as root) when missing;
# - the npm packages the tests drive (web-push-testing, ical.js), pinned in
#   tests/package.json and its lockfile, with `npm ci`;
# - a virtualenv with the test extras; then ruff and pytest.
# Anything that cannot be installed stops here with a message: the tests that need it
# would fail, never skip. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    $SUDO apt-get update -qq || { echo "apt-get update failed: cannot install $*" >&2; exit 1; }
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null \
    || { echo "Could not install $* with apt-get; the tests need it." >&2; exit 1; }
}

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "Installing Debian's chromium for the browser tests..."
  apt_install chromium fonts-dejavu-core
fi

# Debian's server binaries live in /usr/lib/postgresql/<version>/bin (never a pg_ctl
# found elsewhere on PATH, which a fresh machine would not have).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "Installing Debian's postgresql for the PostgreSQL tests..."
  apt_install postgresql
fi
if [ "$(id -u)" -eq 0 ] && ! command -v runuser >/dev/null; then
  echo "runuser (util-linux) is needed to run PostgreSQL as an unprivileged user." >&2
  exit 1
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "Installing Node.js and npm for web-push-testing and ical.js..."
  apt_install nodejs npm
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "Node.js 20 or newer is needed (web-push-testing requires it); found $(node --version)." >&2; exit 1; }
# Installed again whenever the lockfile changed since the last install.
if ! cmp -s tests/package-lock.json tests/node_modules/.installed-lock.json 2>/dev/null; then
  (cd tests && npm ci --no-audit --no-fund --loglevel=error) \
    || { echo "npm ci in tests/ failed: web-push-testing and ical.js are needed." >&2; exit 1; }
  cp tests/package-lock.json tests/node_modules/.installed-lock.json
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"

.venv/bin/ruff check server tests bench
.venv/bin/python -m pytest "$@"
