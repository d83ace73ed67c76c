#!/usr/bin/env bash
# Installs what socklab needs on a fresh machine: pnpm 10, the workspace's packages and,
# with --browser, Debian's Chromium for the panel tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1 || ! pnpm --version 2>/dev/null | grep -q '^10\.'; then
  echo "setup: installing pnpm 10"
  npm install -g pnpm@10 >/dev/null
fi

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Chromium (Debian package) for the browser tests"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq </dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium </dev/null >/dev/null
fi

pnpm install --frozen-lockfile </dev/null
