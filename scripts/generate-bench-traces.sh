#!/bin/sh
# Generates the traces of the trace benchmark scenarios (scenarios/trace-*.ron) into
# scenarios/traces/ (git-ignored: 4-7 MB each, and the same bytes on every machine from the
# fixed seed). Set HYBRIDSIM to use an already built binary.
set -eu
cd "$(dirname "$0")/.."
if [ -z "${HYBRIDSIM:-}" ]; then
    cargo build --release --quiet
    HYBRIDSIM="${CARGO_TARGET_DIR:-target}/release/hybridsim"
fi
mkdir -p scenarios/traces
for pods in 100000 150000; do
    "$HYBRIDSIM" trace generate --pods "$pods" --seed 1 -o "scenarios/traces/peers-$pods.csv"
done
