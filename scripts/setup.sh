#!/usr/bin/env bash
# Idempotent set-up for a fresh clone: virtualenv + pinned packages, bun and Node 22 from
# the npm registry into .tools/, and (for tests, as root) Debian's Chromium and redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser="${1:-}"

if [ ! -x .venv/bin/python ]; then
  echo "==> Creating the virtualenv (.venv)"
  python3 -m venv .venv
fi
if ! cmp -s requirements.txt .venv/.requirements.installed 2>/dev/null; then
  echo "==> Installing pinned Python packages"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/.requirements.installed
fi

# Translation catalogs: compile each .po to .mo when the .po is newer (pazpaz/i18n.py reads a
# stale or missing .mo's .po directly, so this only saves parsing at start-up).
for po in pazpaz/locale/*/LC_MESSAGES/*.po; do
  mo="${po%.po}.mo"
  if [ ! -e "$mo" ] || [ "$po" -nt "$mo" ]; then
    .venv/bin/pybabel -q compile -i "$po" -o "$mo" || { echo "Could not compile $po" >&2; exit 1; }
  fi
done

if [ ! -x .tools/node_modules/.bin/bun ] || [ ! -x .tools/node_modules/.bin/node ]; then
  echo "==> Installing bun and Node 22 from the npm registry into .tools/"
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --no-save bun@1.4.5 node@22.23.3 >/dev/null
fi

# Debian packages the tests need (make test, make loadtest): Chromium for the browser tests,
# redis-server for the several-process tests and the load test. One apt-get update for all.
missing=()
if [ "$want_browser" = "--browser" ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
fi
if [ "$want_browser" = "--browser" ] || [ "$want_browser" = "--redis" ]; then
  [ -x /usr/bin/redis-server ] || missing+=(redis-server)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "==> Installing ${missing[*]} (Debian packages) for the tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # The package starts a system Redis on port 6379; the tests start their own on free
    # ports and PazPaz never uses that one unless REDIS_URL names it.
  else
    echo "Missing: ${missing[*]}: run 'sudo apt-get install ${missing[*]}' (needed by the tests)." >&2
    exit 1
  fi
fi
