#!/usr/bin/env bash
# Installs what `make run` / `make test` need on a fresh Debian machine, and
# only what is missing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have empty package lists: update once, then retry.
  $SUDO apt-get install -y --no-install-recommends "$@" ||
    { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends "$@"; }
}

# need <debian package> <binary>
need() {
  if command -v "$2" >/dev/null 2>&1 || [ -x "/usr/bin/$2" ] || [ -x "/usr/sbin/$2" ]; then
    return 0
  fi
  echo "deps: installing $1"
  apt_install "$1"
}

check_go() {
  if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
    echo "deps: Go 1.26 is required (https://go.dev/dl/); install it at /usr/local/go" >&2
    exit 1
  fi
}

# npm_ci <dir>: the packages of dir's lockfile, again whenever it changes.
npm_ci() {
  if ! cmp -s "$1/package-lock.json" "$1/node_modules/.lock-installed" 2>/dev/null; then
    echo "deps: npm ci in $1"
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.lock-installed)
  fi
}

browser() {
  need chromium chromium
  if ! command -v npm >/dev/null 2>&1; then apt_install nodejs npm; fi
  # playwright-core drives Debian's chromium; its own browser download is never used.
  npm_ci tests/browser
  # The UI's vendored module is checked against its pinned package.
  npm_ci agentui
}

case "${1:-}" in
  run)
    check_go
    need redis-server redis-server
    # Speaks the speed calls' announcements (rendered to files the switch plays).
    need espeak-ng espeak-ng
    ;;
  test)
    check_go
    need redis-server redis-server
    need espeak-ng espeak-ng
    if [ -f tests/browser/package.json ]; then browser; fi
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
