#!/usr/bin/env bash
# Benchmarks real guests on OVN (Tests/DataPlane/bench_ovn.py): boot to ping and to SSH against the bare boot,
# port plug to ACTIVE, Open vSwitch's and ovn-controller's CPU per 100 ports. Needs root (network namespaces)
# and what scripts/test.sh installs; release build:  scripts/bench-ovn.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product nova-server
scripts/build-guest-image.sh .build-guest/nova-guest.qcow2 > /dev/null
AS_ROOT=(); [ "$(id -u)" = 0 ] || AS_ROOT=(sudo -E)
NOVA_SERVER="$PWD/.build/release/nova-server" "${AS_ROOT[@]}" .venv/bin/python Tests/DataPlane/bench_ovn.py \
    .build-guest/nova-guest.qcow2
