"""The figures' shared pieces: the style (tunnelsim.style: palette, widths, formats,
interval marks), tunnel series, mean/CI aggregation, and the scripts' command line.

Each figure script (fig_*.py) defines make(results_set, out_dir) -> [paths] (empty when the
results hold nothing it can show) and runs from the command line as
    /usr/bin/python3 analysis/fig_NAME.py RESULTS_DIR [--out DIR]
        [--figure-format png,svg,pdf,pgf] [--width screen|column|page]
where RESULTS_DIR is a sweep directory, a run directory or a directory of runs.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

ANALYSIS_DIR = Path(__file__).resolve().parent
REPO_DIR = ANALYSIS_DIR.parent


def _import_tunnelsim():
    try:
        import tunnelsim  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(REPO_DIR / "python"))


_import_tunnelsim()
from tunnelsim import results as ts_results  # noqa: E402
from tunnelsim import units as ts_units  # noqa: E402
from tunnelsim import style  # noqa: E402  the one figure style (palette, sizes, formats)

plt = style.plt
TUNNEL_NAMES = style.TUNNEL_NAMES
MARKERS = style.MARKERS
tunnel_label = style.tunnel_label
tunnel_style = style.tunnel_style
legend = style.legend
interval_note = style.interval_note
point_stats = style.point_stats
errorbars = style.errorbars
figsize = style.figsize
title = style.title
suptitle = style.suptitle
# Colour per tunnel type, for figures that draw one run per line (the style's colours).
TUNNEL_COLOURS = {tunnel: colour for tunnel, (colour, _m, _l) in style.TUNNEL_STYLES.items()}

REORDER_KEY = "impairment.access.down.reorder"
TUNNEL_KEY = "tunnel.type"
WINDOW_KEY = "tunnel.ipsec.replay_window"


def save(fig, out_dir, name: str, formats=None) -> list:
    """The figure in every configured format (style.configure; PNG always)."""
    return style.save(fig, out_dir, name, formats)


def parse_duration_s(text) -> float:
    """'10ms' -> 0.01 (the scenario files' duration strings); numbers are seconds."""
    return ts_units.duration_s(text)


def series_columns(table: pd.DataFrame) -> list:
    """The columns that tell curves apart: tunnel type and, for IPsec, the replay window."""
    return [c for c in (TUNNEL_KEY, WINDOW_KEY) if c in table.columns]


def series(table: pd.DataFrame):
    """(label, style, sub-table) per tunnel/window combination, in a stable order; style is
    the tunnel's matplotlib keywords (color, marker, linestyle) from tunnelsim.style."""
    cols = series_columns(table)
    if not cols:
        yield "runs", style.series_style(0), table
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
        yield label, (tunnel_style(tunnel, window) if tunnel is not None
                      else style.series_style(0)), sub


def aggregate(table: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Per x: mean, 95 % Student-t half width (tunnelsim.stats; NaN for a single seed), n,
    and wide (interval wider than ±15 % of the mean, or a single seed)."""
    rows = []
    for xv, sub in table.groupby(x, sort=True):
        rows.append({x: xv, **point_stats(sub[y].tolist())})
    return pd.DataFrame(rows, columns=[x, "mean", "ci", "n", "wide"])


def points_of(agg: pd.DataFrame) -> list:
    """aggregate()'s rows as the point dicts tunnelsim.style draws."""
    return agg[["mean", "ci", "n", "wide"]].to_dict("records")


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


def run_style(run) -> dict:
    """The run's tunnel style (colour, marker, line style)."""
    tunnel = run.scenario(TUNNEL_KEY)
    return tunnel_style(tunnel, run.scenario(WINDOW_KEY))


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


def add_figure_options(parser) -> None:
    """--figure-format and --width, shared by the figure scripts and `tunnelsim report`."""
    parser.add_argument("--figure-format", metavar="FORMATS",
                        help="comma-separated among png,svg,pdf,pgf (default png,svg; PNG is "
                             "always written)")
    parser.add_argument("--width", choices=sorted(style.WIDTHS_IN),
                        help="screen (6.4 in, default), column (3.5 in) or page (7.16 in)")


def figure_main(make, argv=None) -> int:
    parser = argparse.ArgumentParser(description=(make.__doc__ or "").strip().splitlines()[0]
                                     if make.__doc__ else None)
    parser.add_argument("results_dir")
    parser.add_argument("--out", help="output directory (default RESULTS_DIR/figures)")
    add_figure_options(parser)
    args = parser.parse_args(argv)
    try:
        style.configure(args.figure_format, args.width)
    except ValueError as error:
        parser.error(str(error))
    rs = ts_results.load(args.results_dir)
    out = Path(args.out) if args.out else Path(args.results_dir) / "figures"
    paths = make(rs, out)
    if not paths:
        print("nothing to plot in these results", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


def symlog_reorder_axis(ax, levels) -> None:
    """Reorder levels span decades (0.1 % to 10 %) and include 0: a symmetric log axis with a
    tick at every level shows them all."""
    levels = sorted(set(float(v) for v in levels))
    positive = [v for v in levels if v > 0]
    if positive:
        ax.set_xscale("symlog", linthresh=positive[0])
        ax.set_xticks(levels)
        ax.set_xticklabels([f"{v:g}" for v in levels])


def wide_reason(rs, points, metric: str) -> str:
    """Why ringed points are still wide, from how the sweep chose its seeds (sweep.json)."""
    wide = [p for p in points if p["wide"]]
    if not wide:
        return ""
    spec = rs.sweep_spec or {}
    target, cap = spec.get("ci_target"), spec.get("max_seeds")
    if target and spec.get("ci_metric", "goodput_mbps") == metric:
        capped = sum(1 for p in wide if cap and p["n"] >= cap)
        text = (f"Seeds were added to each point until its interval was within "
                f"±{target * 100:g} % of the mean or it had {cap} seeds (sweep --ci-target "
                f"--max-seeds);")
        if capped == len(wide):
            return (text + f" the ringed points reached the {cap}-seed cap: their runs vary "
                    "more from seed to seed than that many seeds average out.")
        return text + f" {capped} of the {len(wide)} ringed points reached the cap; the others "\
            "lack runs (failed or unfinished points)."
    if target:
        return (f"Seeds were added for {spec.get('ci_metric')}, not for this metric, whose "
                "ringed points vary more from seed to seed.")
    ns = sorted({p["n"] for p in points})
    return (f"The runs had a fixed {ns[0] if len(ns) == 1 else f'{ns[0]}-{ns[-1]}'} seeds per "
            "point (no sweep --ci-target), too few to narrow the ringed intervals.")
