#!/usr/bin/env bash
# Idempotent set-up for a fresh clone: virtualenv + pinned packages, bun and Node 22 from
# the npm registry into .tools/, and (for tests, as root) Debian's Chromium.
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

if [ "$want_browser" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "==> Installing Chromium (Debian package) for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: run 'sudo apt-get install chromium' (needed by the browser tests)." >&2
    exit 1
  fi
fi
