#!/usr/bin/env python3
"""Measure how hybridsim's cost grows with pods and with nodes (docs/performance.md).

Derives scenarios from scenarios/scale-5k.ron by multiplying both the workload copy counts
and the pool sizes and bounds (fleet axis: the load stays sized to the fleet, so the node count
follows), only the copy counts (pods axis, same pools) or only the pool sizes and bounds (nodes
axis, same workloads), runs `hybridsim bench --repeat R` on each and prints a Markdown table
with the time-weighted mean node count. Run it on an idle machine:

    cargo build --release && python3 scripts/scaling-curve.py [--repeat 3]

HYBRIDSIM_BIN=PATH benches another binary (an older build kept for a comparison).
"""
import argparse, json, re, subprocess, sys, tempfile, os

BIN = os.environ.get(
    "HYBRIDSIM_BIN", os.path.join(os.path.dirname(__file__), "..", "target", "release", "hybridsim"))
BASE = os.path.join(os.path.dirname(__file__), "..", "scenarios", "scale-5k.ron")


def scale_workloads(text, f):
    # Workload templates are the lines carrying `count: N, stagger: ...`.
    def rep(m):
        n = max(1, round(int(m.group(1)) * f))
        return f"count: {n}, stagger:"
    return re.sub(r"count: (\d+), stagger:", rep, text)


def scale_pools(text, f):
    def rep_count(m):
        return f"{m.group(1)}count: {max(1, round(int(m.group(2)) * f))},"
    text = re.sub(r"(os: (?:Linux|Windows),[^\n]*?)count: (\d+),", rep_count, text)
    text = re.sub(r"(\n\s*max_pods: 30, )count: (\d+),", rep_count, text)
    def rep_group(m):
        return f"min: {max(1, round(int(m.group(1)) * f))}, max: {max(1, round(int(m.group(2)) * f))}"
    return re.sub(r"min: (\d+), max: (\d+)", rep_group, text)


def bench(text, repeat):
    with tempfile.NamedTemporaryFile("w", suffix=".ron", delete=False) as fh:
        fh.write(text)
        path = fh.name
    try:
        out = subprocess.run([BIN, "bench", path, "--repeat", str(repeat)],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)
    finally:
        os.unlink(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    base = open(BASE).read()
    rows = []
    for f in [0.1, 0.3, 1.0, 3.0]:
        rows.append(("fleet", f, bench(scale_pools(scale_workloads(base, f), f), args.repeat)))
    for f in [0.3, 3.0]:
        rows.append(("pods", f, bench(scale_workloads(base, f), args.repeat)))
    for f in [0.1, 3.0]:
        rows.append(("nodes", f, bench(scale_pools(base, f), args.repeat)))
    print("| axis | factor | mean nodes | pods | events | wall s (median) | µs / pod | events/s | "
          "hold ratio | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for axis, f, r in rows:
        print(f"| {axis} | {f} | {r['nodes_mean']:,.0f} | {r['pods']:,} | {r['events']:,} | "
              f"{r['wall_s_median']:.2f} | {1e6 * r['wall_s_median'] / max(1, r['pods']):.1f} | "
              f"{r['events_per_s']:,.0f} | {r['hold_ratio']:.3f} | "
              f"{r['peak_rss_bytes'] / 2**20:.0f} |")


if __name__ == "__main__":
    sys.exit(main())
