#!/usr/bin/env bash
# Sets up and runs every test: unit tests, store tests on SQLite and on a
# throwaway PostgreSQL cluster, server tests, and Playwright in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== disk space (a full disk fails the build part-way)"
df -h . | tail -1
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
