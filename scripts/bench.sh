#!/usr/bin/env bash
# The performance benchmark: builds the release binary, generates the
# 50,000-staff demo force into a throwaway database, and runs `uptake bench`
# on it; then times ingestion on a second, empty database.
# Usage: scripts/bench.sh [sqlite|postgres|both|ingest|exports|disclosure|web]
# (default: both; ingest: only the ingestion measures, on both backends;
# disclosure: the publication decision alone, a sweep of generated forces
# against the attacker, UPTAKE_ATTACK_SEEDS of them, and one day of a
# force of about 37,000 staff; then UPTAKE_HTTP_ATTACK_SEEDS small forces
# served on both backends, attacked through the HTTP endpoints for an
# account of each role; web: each page's weight and time to a hydrated
# page in Chromium, first and repeat visits, and its server render time,
# signed in as a rollout manager, through end2end/web-bench.js; exports:
# the board pack, the workbook and the largest CSV of the force, on
# SQLite, which the full runs measure too)
# Set UPTAKE_BENCH_STAFF for a smaller force, UPTAKE_BENCH_KEEP=1 to keep
# the databases in the work folder it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-both}"
staff="${UPTAKE_BENCH_STAFF:-50000}"
pg_bin="${UPTAKE_PG_BIN:-/usr/lib/postgresql/15/bin}"
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$(pwd)/.tools/node/node_modules/.bin:$PATH"
if [ "$which" = disclosure ]; then
    UPTAKE_ATTACK_SEEDS="${UPTAKE_ATTACK_SEEDS:-200}" cargo test --release -p domain --lib \
        publication::tests::no_account_can_narrow -- --nocapture
    cargo test --release -p domain --lib publication::tests::decision_at_force_scale \
        -- --ignored --nocapture
    # The test profile, as CI builds it (the attacker's crates are
    # optimised there too).
    UPTAKE_HTTP_ATTACK_SEEDS="${UPTAKE_HTTP_ATTACK_SEEDS:-100}" cargo test -p server \
        --test disclosure no_account_of_any_role -- --nocapture
    exit 0
fi
# The same build as scripts/run.sh (a plain cargo build would leave a
# binary that no longer matches the site's file names), with the bench
# commands, which the default build leaves out.
cargo leptos build --release --bin-features ssr,bench
uptake="$(pwd)/target/release/uptake"
work="$(mktemp -d /tmp/uptake-bench.XXXXXX)"
pg_data=""
cleanup() {
    if [ -n "$pg_data" ]; then
        as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast stop >/dev/null 2>&1 || true
    fi
    [ "${UPTAKE_BENCH_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
echo "work folder: $work"

if [ "$which" = web ]; then
    db="sqlite://$work/uptake.db"
    (cd "$work" && "$uptake" --database-url "$db" demo --staff "$staff")
    pass="bench-$RANDOM-$RANDOM-web"
    echo "$pass" | "$uptake" --database-url "$db" user add web@bench.test --role rollout_manager \
        --display-name "Web bench" --password-stdin >/dev/null
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    site="$(pwd)/target/site"
    (cd "$work" && UPTAKE_LISTEN="127.0.0.1:$port" exec "$uptake" --database-url "$db" serve \
        --site-root "$site" >"$work/serve.log" 2>&1) &
    server=$!
    trap 'kill $server 2>/dev/null || true; cleanup' EXIT
    for _ in $(seq 1 120); do
        curl -fs "http://127.0.0.1:$port/login" >/dev/null && break
        sleep 1
    done
    # The static files are compressed once, in the background, at start.
    for _ in $(seq 1 60); do
        [ -f "$site/pkg/uptake.wasm.br" ] && [ "$site/pkg/uptake.wasm.br" -nt "$site/pkg/uptake.wasm" ] && break
        sleep 1
    done
    sleep 2
    (cd end2end && node web-bench.js "http://127.0.0.1:$port" web@bench.test "$pass")
    exit 0
fi

run() {
    local url="$1"
    shift
    # The demo writes its credentials file relative to the working folder.
    (cd "$work" && "$uptake" --database-url "$url" demo --staff "$staff")
    (cd "$work" && "$uptake" --database-url "$url" bench "$@")
}

if [ "$which" = exports ]; then
    run "sqlite://$work/uptake.db" --exports-only
    exit 0
fi

# Ingestion speed, on a second, empty database.
run_ingest() {
    (cd "$work" && "$uptake" --database-url "$1" bench-ingest --staff "$staff")
}

if [ "$which" = sqlite ] || [ "$which" = both ] || [ "$which" = ingest ]; then
    if [ "$which" != ingest ]; then
        run "sqlite://$work/uptake.db"
        rm -f "$work"/uptake.db*
    fi
    run_ingest "sqlite://$work/ingest.db"
    rm -f "$work"/ingest.db*
fi
if [ "$which" = postgres ] || [ "$which" = both ] || [ "$which" = ingest ]; then
    pg_data="$work/pg"
    mkdir -p "$pg_data"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$work"
    as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres -A trust -E UTF8 >/dev/null
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/pg.log" -w start \
        -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c synchronous_commit=off" >/dev/null
    as_postgres "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres uptake
    as_postgres "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres uptake_ingest
    if [ "$which" != ingest ]; then
        run "postgres://postgres@127.0.0.1:$port/uptake"
    fi
    run_ingest "postgres://postgres@127.0.0.1:$port/uptake_ingest"
fi
