"""Loading hybridsim's committed outputs (results/) for the notebooks, in one place.

Every notebook under notebooks/ imports this module instead of finding and parsing files itself,
so a change of layout or format is made once. It owns: finding results/ from the notebook's
working directory, reading the files of a run, a compare and an optimize directory into pandas,
and the Student-t interval the notebooks recompute independently of the simulator. It does not
own any analysis: that stays in the notebooks.

File formats: docs/outputs.md and docs/experiments.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats


def results_dir(name: str, marker: str) -> Path:
    """results/NAME, found from the working directory or one of its parents.

    Jupyter and nbconvert run a notebook with its own directory as the working directory, so
    results/ is one level up there and at the top of a checkout elsewhere. `marker` is a file
    that must exist in the directory, so that a half-written folder is not taken.
    """
    here = Path.cwd()
    for p in [here, *here.parents]:
        d = p / "results" / name
        if (d / marker).exists():
            return d
    raise FileNotFoundError(
        f"results/{name}/{marker} not found from {here}: run scripts/regenerate-results.sh"
    )


def load_run(name: str) -> dict:
    """A `run --out` directory: summary (dict), pods, timeseries and scaling (DataFrames).

    timeseries gains a `time_min` column (time_s / 60) for plotting.
    """
    d = results_dir(name, "summary.json")
    ts = pd.read_csv(d / "timeseries.csv")
    ts["time_min"] = ts["time_s"] / 60.0
    return {
        "dir": d,
        "summary": json.loads((d / "summary.json").read_text()),
        "pods": pd.read_csv(d / "pods.csv"),
        "timeseries": ts,
        "scaling": pd.read_csv(d / "scaling.csv"),
    }


def load_compare(name: str) -> dict:
    """A compare, sweep or merge directory: runs (compare.csv, one row per run), agg
    (compare.json), cdf (startup_cdf.csv), series (variant_timeseries.csv, when present) and
    the variants in file order (the first is the baseline)."""
    d = results_dir(name, "compare.csv")
    runs = pd.read_csv(d / "compare.csv")
    out = {
        "dir": d,
        "runs": runs,
        "agg": json.loads((d / "compare.json").read_text()),
        "cdf": pd.read_csv(d / "startup_cdf.csv"),
        "variants": list(dict.fromkeys(runs["variant"])),
    }
    # variant_timeseries.csv (nodes and waiting pods over time, mean and band over seeds per
    # variant); absent from compares written before it existed. Gains `time_min`.
    ts = d / "variant_timeseries.csv"
    if ts.exists():
        series = pd.read_csv(ts)
        series["time_min"] = series["time_s"] / 60.0
        out["series"] = series
    return out


def load_optimize(name: str) -> dict:
    """An optimize directory: candidates (optimize.csv), result (optimize.json) and frontier
    (frontier.csv)."""
    d = results_dir(name, "optimize.json")
    return {
        "dir": d,
        # Dimension values such as `8;32Gi;0.74` stay text; keep_default_na keeps "" as "".
        "candidates": pd.read_csv(d / "optimize.csv", keep_default_na=False, na_values=[""],
                                  dtype={"variant": str}),
        "result": json.loads((d / "optimize.json").read_text()),
        "frontier": pd.read_csv(d / "frontier.csv"),
    }


def t_interval(values, confidence: float = 0.95) -> pd.Series:
    """n, mean and the half-width t((1 + c) / 2, n − 1) · s / √n of the values' mean (NaN
    dropped), as hybridsim computes it (statrs' exact quantile; scipy's here)."""
    v = pd.Series(values, dtype=float).dropna()
    n = len(v)
    if n < 2:
        return pd.Series({"n": n, "mean": v.mean() if n else np.nan, "ci95": np.nan})
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * v.std(ddof=1) / np.sqrt(n)
    return pd.Series({"n": n, "mean": v.mean(), "ci95": half})
