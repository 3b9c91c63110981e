#!/usr/bin/env bash
# Installs whatever this machine lacks to build, run and test Uptake, and
# skips what is already there. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

CARGO_LEPTOS_VERSION=0.3.10
BINARYEN_VERSION=132
export PATH="$HOME/.cargo/bin:$root/.tools/node/node_modules/.bin:$PATH"

# Debian packages: Chromium for browser tests, PostgreSQL server binaries
# for the throwaway test cluster, fonts for screenshots.
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium chromium-driver)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql)
command -v runuser >/dev/null || need_apt+=(util-linux)
[ -d /usr/share/fonts/truetype/liberation ] || need_apt+=(fonts-liberation)
# pdftotext and pdftoppm read the board pack back in the export tests.
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# The server refuses to run as root; the test cluster runs as 'postgres'.
id postgres >/dev/null 2>&1 || as_root useradd --system --home /var/lib/postgresql postgres

rustup target list --installed | grep -q wasm32-unknown-unknown || {
  log "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
}

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  # It only orchestrates the build, so an unoptimised build serves: about
  # 3 minutes on 2 cores (measured 28 Nov 2026), against 12 to 25 in release.
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 3 minutes, once per machine)"
  cargo install --debug cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly.
wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q "$wbg"; then
  log "installing wasm-bindgen-cli $wbg"
  work=$(mktemp -d)
  (
    cd "$work"
    cargo new -q fetcher && cd fetcher
    cargo add -q "wasm-bindgen-cli@=$wbg"
    cargo fetch -q
    src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasm-bindgen-cli-"$wbg" | head -1)
    cp -r "$src" "$work/cli" && cd "$work/cli"
    cargo generate-lockfile -q
    # The registry lacks webpki-roots 1.0.11, which --locked would want.
    cargo update -q -p webpki-roots --precise 1.0.10 || true
    cargo install -q --path . --locked
  )
  rm -rf "$work"
fi

# wasm-opt from npm (Debian's binaryen is too old), and plotly.js, served
# from public/ and never from a CDN: the basic bundle, the smallest that
# holds the trace types the charts use (scatter and bar).
plotly=.tools/node/node_modules/plotly.js-basic-dist-min/plotly-basic.min.js
if [ ! -x .tools/node/node_modules/.bin/wasm-opt ] || [ ! -f "$plotly" ]; then
  log "installing binaryen $BINARYEN_VERSION and plotly.js from npm"
  mkdir -p .tools/node
  (cd .tools/node && npm install --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION" plotly.js-basic-dist-min@3)
fi
mkdir -p public/js
cmp -s "$plotly" public/js/plotly.min.js || cp "$plotly" public/js/plotly.min.js

if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -f end2end/node_modules/axe-core/axe.min.js ]; then
  log "installing Playwright (the test runner only; it uses Debian's Chromium) and axe-core"
  (cd end2end && npm ci --no-audit --no-fund --silent)
fi
log "toolchain ready"
