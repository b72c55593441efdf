"""The figures' shared pieces: one style, tunnel labels and colours, mean/CI aggregation,
and saving every figure as PNG and SVG.

Each figure script (fig_*.py) defines make(results_set, out_dir) -> [paths] (empty when the
results hold nothing it can show) and runs from the command line as
    /usr/bin/python3 analysis/fig_NAME.py RESULTS_DIR [--out DIR]
where RESULTS_DIR is a sweep directory, a run directory or a directory of runs.
"""

import argparse
import math
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

ANALYSIS_DIR = Path(__file__).resolve().parent
REPO_DIR = ANALYSIS_DIR.parent


def _import_tunnelsim():
    try:
        import tunnelsim  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(REPO_DIR / "python"))


_import_tunnelsim()
from tunnelsim import results as ts_results  # noqa: E402

FORMATS = ("png", "svg")
TUNNEL_COLOURS = {"wireguard": "#1b7837", "gre-over-ipsec": "#b2182b", "ipsec": "#d6604d",
                  "gre": "#5e3c99", "none": "#4d4d4d"}
TUNNEL_NAMES = {"wireguard": "WireGuard", "gre-over-ipsec": "GRE/IPsec", "ipsec": "IPsec",
                "gre": "GRE", "none": "no tunnel"}
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

REORDER_KEY = "impairment.access.down.reorder"
TUNNEL_KEY = "tunnel.type"
WINDOW_KEY = "tunnel.ipsec.replay_window"


def apply_style() -> None:
    plt.rcParams.update({
        "figure.figsize": (6.4, 4.0), "figure.dpi": 100, "savefig.dpi": 150,
        "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 8,
        "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
        "axes.spines.right": False, "lines.linewidth": 1.6, "lines.markersize": 5,
        "svg.hashsalt": "tunnelsim", "svg.fonttype": "none",
    })


apply_style()


def save(fig, out_dir, name: str, formats=FORMATS) -> list:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    paths = []
    for fmt in formats:
        path = out_dir / f"{name}.{fmt}"
        fig.savefig(path, metadata={"Date": None} if fmt == "svg" else None)
        paths.append(path)
    plt.close(fig)
    return paths


def parse_duration_s(text) -> float:
    """'10ms' -> 0.01 (the scenario files' duration strings); numbers are seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    match = re.fullmatch(r"\s*([0-9.]+)\s*(ns|us|ms|s|min)\s*", str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0}[match.group(2)]
    return float(match.group(1)) * scale


def tunnel_label(tunnel, window=None) -> str:
    name = TUNNEL_NAMES.get(str(tunnel), str(tunnel))
    if str(tunnel) in ("gre-over-ipsec", "ipsec") and window is not None and not (
            isinstance(window, float) and math.isnan(window)):
        return f"{name}, window {int(window)}"
    if str(tunnel) == "wireguard":
        return f"{name} (window 8128)"
    return name


def series_columns(table: pd.DataFrame) -> list:
    """The columns that tell curves apart: tunnel type and, for IPsec, the replay window."""
    return [c for c in (TUNNEL_KEY, WINDOW_KEY) if c in table.columns]


def series(table: pd.DataFrame):
    """(label, colour, sub-table) per tunnel/window combination, in a stable order."""
    cols = series_columns(table)
    if not cols:
        yield "runs", "#2166ac", table
        return
    frame = table.copy()
    if WINDOW_KEY in frame.columns and TUNNEL_KEY in frame.columns:
        # The IPsec window means nothing for other tunnels: one curve each for them.
        not_ipsec = ~frame[TUNNEL_KEY].isin(["gre-over-ipsec", "ipsec"])
        frame[WINDOW_KEY] = frame[WINDOW_KEY].astype("float").where(~not_ipsec)
    for key, sub in frame.groupby(cols if len(cols) > 1 else cols[0], dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        tunnel = key[0] if cols[0] == TUNNEL_KEY else None
        window = key[1] if len(key) > 1 else None
        label = tunnel_label(tunnel, window) if tunnel is not None else str(key)
        colour = TUNNEL_COLOURS.get(str(tunnel), None)
        yield label, colour, sub


def aggregate(table: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Mean and 95% Student-t CI of y over seeds, for each x."""
    rows = []
    for xv, sub in table.groupby(x, sort=True):
        mean, half, n = ts_results.mean_ci(sub[y].tolist())
        rows.append({x: xv, "mean": mean, "ci": half, "n": n})
    return pd.DataFrame(rows)


def reorder_column(table: pd.DataFrame):
    """The reorder percentage column, when it varies across runs."""
    if REORDER_KEY in table.columns and table[REORDER_KEY].nunique(dropna=True) >= 2:
        return REORDER_KEY
    for col in table.columns:
        if col.endswith(".reorder") and table[col].nunique(dropna=True) >= 2:
            return col
    return None


def representative_runs(rs, limit: int = 6) -> list:
    """Runs worth a time-series plot: per tunnel/window, the run with the most reordering
    (lowest seed among equals); every run when there are few."""
    runs = rs.runs
    if len(runs) <= limit:
        return runs
    best = {}
    for run in runs:
        tunnel = run.scenario(TUNNEL_KEY)
        window = run.scenario(WINDOW_KEY) if tunnel in ("gre-over-ipsec", "ipsec") else None
        key = (tunnel, window)
        rank = (run.scenario(REORDER_KEY, 0) or 0, -(run.scenario("seed", 0) or 0))
        if key not in best or rank > best[key][0]:
            best[key] = (rank, run)
    return [run for _rank, run in sorted(best.values(), key=lambda item: str(item[1].label))][
        :limit]


def run_label(run) -> str:
    tunnel = run.scenario(TUNNEL_KEY)
    label = tunnel_label(tunnel, run.scenario(WINDOW_KEY))
    reorder = run.scenario(REORDER_KEY)
    if reorder is not None:
        label += f", reorder {reorder:g}%"
    seed = run.scenario("seed")
    if seed is not None:
        label += f", seed {seed}"
    return label


def figure_main(make, argv=None) -> int:
    parser = argparse.ArgumentParser(description=(make.__doc__ or "").strip().splitlines()[0]
                                     if make.__doc__ else None)
    parser.add_argument("results_dir")
    parser.add_argument("--out", help="output directory (default RESULTS_DIR/figures)")
    args = parser.parse_args(argv)
    rs = ts_results.load(args.results_dir)
    out = Path(args.out) if args.out else Path(args.results_dir) / "figures"
    paths = make(rs, out)
    if not paths:
        print("nothing to plot in these results", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0
