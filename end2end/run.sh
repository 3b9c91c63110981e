#!/usr/bin/env bash
# Loads the fixture force into a temporary SQLite database through the real
# CLI, serves the release build on a free port, and runs Playwright.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
export UPTAKE_DATABASE_URL="sqlite://$work/fixture.db"
bin=./target/release/uptake
fx=end2end/fixture
$bin import units $fx/units.csv --effective 2020-01-01
$bin import roster $fx/roster.csv --effective 2026-01-01
$bin wave add --name "M365 North" --product "Microsoft 365" --go-live 2026-06-01 --target 0.8 --target-date 2026-12-31 --units C1
$bin wave add --name "Box South" --product Box --go-live 2026-07-01 --target 0.7 --target-date 2026-12-31 --units C2
$bin wave add --name "Box North response" --product Box --go-live 2026-08-01 --target 0.7 --target-date 2026-12-31 --units T1
$bin import activity $fx/activity.csv
# Accounts for the browser tests, with passwords chosen here.
export UPTAKE_E2E_ADMIN_PASSWORD="e2e-admin-$RANDOM-$RANDOM-pass"
export UPTAKE_E2E_COMMANDER_PASSWORD="e2e-north-$RANDOM-$RANDOM-pass"
export UPTAKE_E2E_VIEWER_PASSWORD="e2e-watch-$RANDOM-$RANDOM-pass"
# The admin holds person-level lists, so sees the tiny force's figures
# whatever their size; the commander sees the force only for comparison.
echo "$UPTAKE_E2E_ADMIN_PASSWORD" | $bin user add admin@fixture.test --role admin --display-name "Fixture Admin" \
  --person-lists --password-stdin
echo "$UPTAKE_E2E_COMMANDER_PASSWORD" | $bin user add north@fixture.test --role unit_commander --scope C1 \
  --display-name "North Commander" --person-lists --password-stdin
# A viewer of the same command without person-level lists: what anyone sees
# of units whose people they may not list.
echo "$UPTAKE_E2E_VIEWER_PASSWORD" | $bin user add north.viewer@fixture.test --role viewer --scope C1 \
  --display-name "North Viewer" --password-stdin
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
UPTAKE_LISTEN="127.0.0.1:$port" UPTAKE_SITE_ROOT=target/site $bin serve > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
cd end2end
UPTAKE_BASE_URL="http://127.0.0.1:$port" npx playwright test "$@" || { cat "$work/server.log"; exit 1; }
