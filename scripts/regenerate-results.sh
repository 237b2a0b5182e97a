#!/bin/sh
# Regenerates results/: the outputs and plots of every bundled scenario. Runs are deterministic,
# so a fresh run reproduces the committed files byte for byte.
#
#   scripts/regenerate-results.sh           rewrite results/
#   scripts/regenerate-results.sh --check   regenerate into a temporary directory and fail if
#                                           anything differs from results/ (for CI)
#
# The scale scenarios (scenarios/scale-*.ron) are benchmarks, not results: they are left out to
# keep results/ small. Set HYBRIDSIM to use an already built binary.
set -eu
cd "$(dirname "$0")/.."

if [ -z "${HYBRIDSIM:-}" ]; then
    cargo build --release --quiet
    HYBRIDSIM="${CARGO_TARGET_DIR:-target}/release/hybridsim"
fi

check=no
out=results
if [ "${1:-}" = "--check" ]; then
    check=yes
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi

# Single runs, with the scenario's own seed.
for s in quickstart forgotten-selector build-mismatch morning-peak disk-pressure registry-herd; do
    rm -rf "$out/$s"
    "$HYBRIDSIM" run "scenarios/$s.ron" --out "$out/$s" --plots --quiet
done

# The strategy comparison: 6 variants x 20 seeds. The console table is kept as table.txt.
rm -rf "$out/taint-strategies"
mkdir -p "$out/taint-strategies"
"$HYBRIDSIM" compare scenarios/taint-strategies.ron --seeds 20 --plots \
    --out "$out/taint-strategies" > "$out/taint-strategies/table.txt.tmp"
# Drop the last line ("wrote ... to DIR"), which names the output directory.
sed '$d' "$out/taint-strategies/table.txt.tmp" > "$out/taint-strategies/table.txt"
rm "$out/taint-strategies/table.txt.tmp"

# Disk sizes against image GC and DiskPressure: 3 variants, one seed (the runs draw no random
# number: a fixed pool).
rm -rf "$out/disk-pressure-compare"
mkdir -p "$out/disk-pressure-compare"
"$HYBRIDSIM" compare scenarios/disk-pressure.ron --seeds 1 --plots \
    --out "$out/disk-pressure-compare" > "$out/disk-pressure-compare/table.txt.tmp"
sed '$d' "$out/disk-pressure-compare/table.txt.tmp" > "$out/disk-pressure-compare/table.txt"
rm "$out/disk-pressure-compare/table.txt.tmp"

# registry-herd: 40 Windows nodes pulling one image through a shared registry, per variant.
rm -rf "$out/registry-herd-compare"
mkdir -p "$out/registry-herd-compare"
"$HYBRIDSIM" compare scenarios/registry-herd.ron --seeds 1 --plots \
    --out "$out/registry-herd-compare" > "$out/registry-herd-compare/table.txt.tmp"
sed '$d' "$out/registry-herd-compare/table.txt.tmp" > "$out/registry-herd-compare/table.txt"
rm "$out/registry-herd-compare/table.txt.tmp"
# A WS2019 -> WS2022 pool upgrade: 3 variants x 10 seeds, and the seed-1 run of each variant.
rm -rf "$out/pool-upgrade-compare"
mkdir -p "$out/pool-upgrade-compare"
"$HYBRIDSIM" compare scenarios/pool-upgrade.ron --seeds 10 --plots \
    --out "$out/pool-upgrade-compare" > "$out/pool-upgrade-compare/table.txt.tmp"
sed '$d' "$out/pool-upgrade-compare/table.txt.tmp" > "$out/pool-upgrade-compare/table.txt"
rm "$out/pool-upgrade-compare/table.txt.tmp"
for v in no-pinning pinned image-first; do
    rm -rf "$out/pool-upgrade/$v"
    "$HYBRIDSIM" run scenarios/pool-upgrade.ron --variant "$v" --out "$out/pool-upgrade/$v" \
        --plots --quiet
done
# One IIS replica per node by required anti-affinity, against the defaults and preferred
# anti-affinity: 3 variants, one seed (a fixed pool).
rm -rf "$out/iis-anti-affinity"
mkdir -p "$out/iis-anti-affinity"
"$HYBRIDSIM" compare scenarios/iis-anti-affinity.ron --seeds 1 --plots \
    --out "$out/iis-anti-affinity" > "$out/iis-anti-affinity/table.txt.tmp"
sed '$d' "$out/iis-anti-affinity/table.txt.tmp" > "$out/iis-anti-affinity/table.txt"
rm "$out/iis-anti-affinity/table.txt.tmp"

# The planner's question on morning-peak: the cheapest Windows pool minimum and VM shape whose
# p99 startup stays within 10 minutes (docs/experiments.md, "optimize"). Its console report is
# kept as table.txt.
rm -rf "$out/morning-peak-optimize"
mkdir -p "$out/morning-peak-optimize"
"$HYBRIDSIM" optimize scenarios/morning-peak.ron \
    --set 'win-min:pools[win-apps].count+pools[win-apps].autoscale.min=1..12' \
    --set 'win-vm:pools[win-apps].cpu+pools[win-apps].memory+pools[win-apps].price_per_hour=4;16Gi;0.37,8;32Gi;0.74' \
    --constraint 'windows p99 startup <= 600s' --max-seeds 30 --plots \
    --out "$out/morning-peak-optimize" > "$out/morning-peak-optimize/table.txt.tmp"
sed '$d' "$out/morning-peak-optimize/table.txt.tmp" > "$out/morning-peak-optimize/table.txt"
rm "$out/morning-peak-optimize/table.txt.tmp"

if [ "$check" = yes ]; then
    # README.md is written by hand; everything else must match.
    if diff -rq -x README.md results "$out"; then
        echo "results/ matches a fresh run"
    else
        echo "results/ differs from a fresh run: run scripts/regenerate-results.sh and commit" >&2
        exit 1
    fi
else
    echo "regenerated $out/"
fi
