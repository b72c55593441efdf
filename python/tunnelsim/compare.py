"""Side-by-side comparison of two sets of runs, metric by metric.

``compare(a, b)`` takes, for each side, a results.json, a run directory holding one, a
sweep directory holding sweep.csv, or a pandas DataFrame with one row per seed, and returns
a DataFrame: metric, n_a, mean_a, n_b, mean_b, diff (b - a), diff_ci (95 % Welch half
width), welch_p, mannwhitney_p. Seeds, provenance and wall-clock columns are not metrics.
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from . import stats
from .results import flatten

# Columns that identify a run or measure the machine, not the simulated network.
_NOT_COMPARED_PREFIXES = ("provenance.", "python.")
_NOT_COMPARED = {"seed", "ns3_rng_run", "point", "wall_seconds", "sim_to_wall_ratio"}


def _load_side(side) -> pd.DataFrame:
    if isinstance(side, pd.DataFrame):
        return side
    path = Path(side)
    if path.is_dir() and (path / "sweep.csv").is_file():
        return pd.read_csv(path / "sweep.csv")
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
            if column not in _NOT_COMPARED
            and not column.startswith(_NOT_COMPARED_PREFIXES)
            and pd.api.types.is_numeric_dtype(frame[column])]


def compare(a, b, level: float = 0.95) -> pd.DataFrame:
    frame_a, frame_b = _load_side(a), _load_side(b)
    metrics = [m for m in _metric_columns(frame_a) if m in set(_metric_columns(frame_b))]
    rows = []
    for metric in metrics:
        values_a = frame_a[metric].to_numpy(dtype=float)
        values_b = frame_b[metric].to_numpy(dtype=float)
        mean_a, _, n_a = stats.mean_ci(values_a, level)
        mean_b, _, n_b = stats.mean_ci(values_b, level)
        t, dof, welch_p = stats.welch_t(values_a, values_b)
        diff_ci = math.nan
        if math.isfinite(dof):
            std_error = math.sqrt(np.nanvar(values_a, ddof=1) / n_a
                                  + np.nanvar(values_b, ddof=1) / n_b)
            diff_ci = stats.student_t_quantile(0.5 + level / 2, dof) * std_error
        _, mannwhitney_p = stats.mann_whitney_u(values_a, values_b)
        rows.append({"metric": metric, "n_a": n_a, "mean_a": mean_a, "n_b": n_b,
                     "mean_b": mean_b, "diff": mean_b - mean_a, "diff_ci": diff_ci,
                     "welch_p": welch_p, "mannwhitney_p": mannwhitney_p})
    return pd.DataFrame(rows, columns=["metric", "n_a", "mean_a", "n_b", "mean_b", "diff",
                                       "diff_ci", "welch_p", "mannwhitney_p"])
