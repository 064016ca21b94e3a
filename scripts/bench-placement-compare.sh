#!/usr/bin/env bash
# Runs `nova-bench placement` against our Placement and against the genuine openstack-placement from
# PyPI (gunicorn, SQLite, noauth2) on this machine, one after the other, and prints the ratios.
#   scripts/bench-placement-compare.sh [PROVIDERS] [SAMPLES] [CLAIMS]     (defaults: 1000 30 200)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PROVIDERS=${1:-1000}
SAMPLES=${2:-30}
CLAIMS=${3:-200}
WORK=$(mktemp -d /tmp/placement-compare-XXXXXX)
PORT=$((20000 + RANDOM % 20000))

swift build -c release --scratch-path .build-rel --product nova-server
swift build -c release --scratch-path .build-rel --product nova-bench
BENCH="$ROOT/.build-rel/release/nova-bench"

if [ ! -x .venv-placement/bin/gunicorn ] || [ ! -x .venv-placement/bin/placement-manage ]; then
    python3 -m venv .venv-placement
    .venv-placement/bin/pip install -q --upgrade pip
    .venv-placement/bin/pip install -q openstack-placement gunicorn
fi
mkdir -p "$WORK/etc"
cat > "$WORK/etc/placement.conf" <<CONF
[api]
auth_strategy = noauth2
[placement_database]
connection = sqlite:///$WORK/placement.sqlite
CONF
.venv-placement/bin/placement-manage --config-file "$WORK/etc/placement.conf" db sync
OS_PLACEMENT_CONFIG_DIR="$WORK/etc" .venv-placement/bin/gunicorn --workers 2 --bind "127.0.0.1:$PORT" \
    placement.wsgi.api:application > "$WORK/gunicorn.log" 2>&1 &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/" > /dev/null && break; sleep 0.2; done

"$BENCH" placement --providers "$PROVIDERS" --samples "$SAMPLES" --claims "$CLAIMS" \
    --url "http://127.0.0.1:$PORT" --label genuine --output "$WORK/genuine.json"
kill $GUNICORN; wait $GUNICORN 2>/dev/null || true
"$BENCH" placement --providers "$PROVIDERS" --samples "$SAMPLES" --claims "$CLAIMS" \
    --label ours --output "$WORK/ours.json"

python3 - "$WORK/genuine.json" "$WORK/ours.json" <<'PY'
import json, sys
genuine = {f["name"].removeprefix("genuine_"): f for f in json.load(open(sys.argv[1]))["figures"]}
ours = {f["name"].removeprefix("ours_"): f for f in json.load(open(sys.argv[2]))["figures"]}
for name, g in genuine.items():
    o = ours.get(name)
    if not o or name.endswith("_errors"):
        continue
    faster = g["value"] / o["value"] if g["unit"] in ("ms", "s") else o["value"] / g["value"]
    print(f"{name}: genuine {g['value']:.2f} {g['unit']}, ours {o['value']:.2f} {o['unit']}: {faster:.1f}x")
PY
