#!/usr/bin/env bash
# Sets up and runs every test: unit tests, store tests on SQLite and on a
# throwaway PostgreSQL cluster, server tests, and Playwright in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== disk space (a full disk fails the build part-way)"
df -h . | tail -1
# A clean build of the tests and the release site takes about 15 GB, and the
# throwaway PostgreSQL cluster dies mid-run (its connections reset) when the
# disk fills. Say so now rather than as nine failed tests later.
free_gb=$(df -Pk . | awk 'NR == 2 { print int($4 / 1048576) }')
if [ "$free_gb" -lt 15 ]; then
  echo "only ${free_gb} GB free here; the tests need about 15 GB (try removing target/debug/incremental)" >&2
  exit 1
fi
export PATH="$HOME/.cargo/bin:$(pwd)/.tools/node/node_modules/.bin:$PATH"

echo "== formatting and lints (ssr on the host, hydrate on wasm32)"
cargo fmt --all -- --check
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
cargo clippy -p server --features bench --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

echo "== unit, store and server tests (SQLite and PostgreSQL)"
# frontend is the wasm entry point; it is built (and tested in the browser) below.
cargo test --workspace --exclude frontend

echo "== browser tests (Playwright, Debian Chromium)"
cargo leptos build --release
end2end/run.sh
