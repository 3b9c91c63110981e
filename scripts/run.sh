#!/usr/bin/env bash
# Sets up, builds, creates the 50,000-staff demo force if the database is
# empty, and serves Uptake on http://127.0.0.1:3000 (or $UPTAKE_LISTEN).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$(pwd)/.tools/node/node_modules/.bin:$PATH"
cargo leptos build --release
export UPTAKE_DATABASE_URL="${UPTAKE_DATABASE_URL:-sqlite://data/uptake.db}"
./target/release/uptake demo --if-empty
if [ -f data/demo-credentials.txt ]; then
  echo "Sign in at http://${UPTAKE_LISTEN:-127.0.0.1:3000}/login with an account from data/demo-credentials.txt"
fi
exec ./target/release/uptake serve
