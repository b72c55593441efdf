"""Side-by-side comparison of two sets of runs, metric by metric.

``compare(a, b)`` takes, for each side, a results.json, a run directory holding one, a
sweep directory holding sweep.csv, or a pandas DataFrame with one row per seed, and returns
a DataFrame: metric, n_a, mean_a, ci_a, n_b, mean_b, ci_b (95 % Student-t half widths of
each side), diff (b - a), diff_ci (95 % Welch half width), welch_p, mannwhitney_p. Seeds,
provenance and wall-clock columns are not metrics.

``compare_variants(scenario, set_a, set_b, seeds)`` runs two variants of one scenario (the
same scenario with different --set overrides) over the same seeds, as two sweeps under
out_dir/a and out_dir/b, and compares them. ``figure(table, out_dir)`` draws, per metric,
the two means with their intervals (tunnelsim.style).
"""

import json
import math
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import pandas as pd

from . import stats
from .results import DESCRIBING_KEYS, flatten

# Columns that identify a run or measure the machine, not the simulated network.
_NOT_COMPARED_PREFIXES = ("provenance.", "python.")
_NOT_COMPARED = {"seed", "ns3_rng_run", "point", "wall_seconds", "sim_to_wall_ratio"}


def _load_side(side) -> pd.DataFrame:
    if isinstance(side, pd.DataFrame):
        return side
    path = Path(side)
    if path.is_dir() and (path / "sweep.csv").is_file():
        frame = pd.read_csv(path / "sweep.csv")
        # The sweep's inputs (swept and fixed scenario keys) are settings, not results.
        try:
            manifest = json.loads((path / "sweep.json").read_text())
        except (OSError, ValueError):
            manifest = {}
        inputs = set(manifest.get("parameters", {})) | set(manifest.get("set", {}))
        return frame.drop(columns=[c for c in frame.columns if c in inputs])
    if path.is_dir():
        path = path / "results.json"
    if not path.is_file():
        raise ValueError(f"{side}: neither a results.json, a run directory nor a sweep directory")
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: line {error.lineno}: {error.msg}") from error
    return pd.DataFrame([flatten(document)])


def _metric_columns(frame: pd.DataFrame) -> list:
    return [column for column in frame.columns
            if column not in _NOT_COMPARED and column not in DESCRIBING_KEYS
            and not column.startswith(_NOT_COMPARED_PREFIXES)
            and pd.api.types.is_numeric_dtype(frame[column])]


def compare(a, b, level: float = 0.95) -> pd.DataFrame:
    frame_a, frame_b = _load_side(a), _load_side(b)
    metrics = [m for m in _metric_columns(frame_a) if m in set(_metric_columns(frame_b))]
    rows = []
    for metric in metrics:
        values_a = frame_a[metric].to_numpy(dtype=float)
        values_b = frame_b[metric].to_numpy(dtype=float)
        mean_a, ci_a, n_a = stats.mean_ci(values_a, level)
        mean_b, ci_b, n_b = stats.mean_ci(values_b, level)
        t, dof, welch_p = stats.welch_t(values_a, values_b)
        diff_ci = math.nan
        if math.isfinite(dof):
            std_error = math.sqrt(np.nanvar(values_a, ddof=1) / n_a
                                  + np.nanvar(values_b, ddof=1) / n_b)
            diff_ci = stats.student_t_quantile(0.5 + level / 2, dof) * std_error
        _, mannwhitney_p = stats.mann_whitney_u(values_a, values_b)
        rows.append({"metric": metric, "n_a": n_a, "mean_a": mean_a, "ci_a": _finite(ci_a),
                     "n_b": n_b, "mean_b": mean_b, "ci_b": _finite(ci_b),
                     "diff": mean_b - mean_a, "diff_ci": diff_ci,
                     "welch_p": welch_p, "mannwhitney_p": mannwhitney_p})
    return pd.DataFrame(rows, columns=COLUMNS)


COLUMNS = ["metric", "n_a", "mean_a", "ci_a", "n_b", "mean_b", "ci_b", "diff", "diff_ci",
           "welch_p", "mannwhitney_p"]


def _finite(value: float) -> float:
    return value if math.isfinite(value) else math.nan


def compare_variants(scenario, set_a: dict, set_b: dict, seeds: int = 3, *,
                     fixed: Optional[dict] = None, out_dir=None, jobs: Optional[int] = None,
                     runner=None, binary: Optional[str] = None,
                     progress: bool = False) -> Tuple[pd.DataFrame, Path, Path]:
    """Runs `scenario` with overrides set_a and with set_b (each on top of `fixed`) over
    seeds 1..seeds, and compares the two. Returns (table, dir_a, dir_b); the runs stay in
    out_dir/a and out_dir/b (sweep directories: a second call resumes them)."""
    from .sweep import sweep
    if not set_a and not set_b:
        raise ValueError("compare needs --set-a and/or --set-b: the two variants are the same")
    if set_a == set_b:
        raise ValueError("--set-a and --set-b are the same: nothing to compare")
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError("--seeds needs N >= 1")
    out_dir = Path(out_dir) if out_dir is not None else Path("compare") / Path(
        str(scenario)).stem
    dirs = []
    for side, overrides in (("a", set_a), ("b", set_b)):
        spec = {"name": f"compare-{side}", "scenario": str(scenario), "seeds": seeds,
                "set": {**(fixed or {}), **overrides}}
        sweep(spec, out_dir=out_dir / side, jobs=jobs, runner=runner, binary=binary,
              progress=progress)
        dirs.append(out_dir / side)
    return compare(dirs[0], dirs[1]), dirs[0], dirs[1]


# Metrics the comparison figure shows by default (those present in the table).
FIGURE_METRICS = ["goodput_mbps", "retransmissions", "replay_drops", "overhead_bytes",
                  "flows.bulk0.rtt_ms.p50", "flows.ping0.rtt_ms.p50"]


SHORT_NAMES = {"goodput_mbps": "goodput", "retransmissions": "retransmissions",
               "replay_drops": "replay drops", "overhead_bytes": "overhead",
               "flows.bulk0.rtt_ms.p50": "bulk RTT, median",
               "flows.ping0.rtt_ms.p50": "ping RTT, median"}


def metric_unit(metric: str) -> str:
    """The unit a metric's name says it has (goodput_mbps -> Mbit/s)."""
    for suffix, unit in (("_mbps", "Mbit/s"), ("_ms", "ms"), ("_bytes", "bytes"),
                         ("_s", "s"), ("_ns", "ns"), ("_pct", "%")):
        if metric.endswith(suffix) or f"{suffix}." in metric:
            return unit
    if "drops" in metric or "packets" in metric or "lost" in metric:
        return "packets"
    if "retransmissions" in metric or "segments" in metric:
        return "segments"
    return "count"


def figure(table: pd.DataFrame, out_dir, metrics: Optional[list] = None,
           labels: Tuple[str, str] = ("A", "B"), name: str = "compare") -> list:
    """Per metric, a panel with the means of A and B and their 95 % intervals (rings: wider
    than ±15 % of the mean, as in every tunnelsim figure), Welch's p in the panel title."""
    from . import style
    chosen = [m for m in (metrics or FIGURE_METRICS) if m in set(table["metric"])]
    if not chosen:
        chosen = list(table["metric"][:4])
    if not chosen:
        raise ValueError("no metric to draw: the two sides have no numeric metric in common")
    columns = min(2 if style.current_width() == "column" else 3, len(chosen))
    rows = math.ceil(len(chosen) / columns)
    width, height = style.figsize(aspect=0.9, panels=columns)
    fig, axes = style.plt.subplots(rows, columns, figsize=(width, height * rows),
                                   squeeze=False)
    points = []
    for ax, metric in zip(axes.flat, chosen):
        row = table[table["metric"] == metric].iloc[0]
        for i, side in enumerate(("a", "b")):
            point = {"mean": row[f"mean_{side}"], "ci": row[f"ci_{side}"],
                     "n": int(row[f"n_{side}"])}
            point["wide"] = bool(point["n"] < 2 or not math.isfinite(point["ci"])
                                 or point["ci"] > style.WIDE_FRACTION * abs(point["mean"]))
            if point["mean"] == 0 and point["ci"] == 0:
                point["wide"] = False
            points.append(point)
            look = style.series_style(i)
            style.errorbars(ax, [i], [point], {**look, "linestyle": "none"},
                            labels[i] if metric == chosen[0] else None)
        ax.set_xticks([0, 1])
        ax.set_xticklabels(["A", "B"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_ylabel(metric_unit(metric))
        p = row["welch_p"]
        short = SHORT_NAMES.get(metric, metric)
        style.title(ax, f"{short}\nWelch p = {p:.2g}" if math.isfinite(p) else short)
    for ax in list(axes.flat)[len(chosen):]:
        ax.set_visible(False)
    style.legend(axes.flat[0], columns=1)
    style.interval_note(fig, points)
    return style.save(fig, out_dir, name)
