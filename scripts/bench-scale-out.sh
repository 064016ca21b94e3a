#!/usr/bin/env bash
# Benchmarks the scale-out deployment against the all-in-one (Tests/ScaleOut/bench_scale_out.py), with a
# throwaway PostgreSQL and nats-server, on release builds:  scripts/bench-scale-out.sh [SERVERS]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product nova-server
swift build -c release --product nova-bench
PGDIR=$(mktemp -d /tmp/nova-pg-XXXXXX)
PGPORT=$((20000 + RANDOM % 20000))
scripts/throwaway-postgres.sh start "$PGDIR" "$PGPORT" > /dev/null
trap 'scripts/throwaway-postgres.sh stop "$PGDIR"' EXIT
NOVA_TEST_POSTGRES_URL="postgresql://nova@127.0.0.1:$PGPORT/postgres" \
    python3 Tests/ScaleOut/bench_scale_out.py --bin .build/release --servers "${1:-500}"
