"""Real Linux beside the model on the study's path: the committed calibration reference
(docs/data/tcp-fidelity-kernel.csv, made by `scripts/calibrate --refresh-reference`) gives
real Linux TCP's goodput (tunnelsim emulate) and the ns-3 models' from the same calibration
run; where this study's own sweep (results/reorder-collapse) has the same point (tunnel,
window, reorder level, duration), its Linux-like mean is drawn too. Each model point is
labelled with its error against the kernel's mean.

    /usr/bin/python3 analysis/fig_kernel_reference.py [--reference CSV] [--study SWEEP_DIR]
                                                      [--out DIR]

Needs no root: it only reads the committed measurements. Writes kernel_reference.{png,svg}
and kernel_reference.csv (one row per point: kernel mean and 95 % half-width, each model's
mean and its error in percent) to --out (default results/reorder-collapse/figures).
"""

import argparse
import json
import math
import re
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plotlib  # noqa: E402

NAME = "kernel_reference"
TITLE = "Real Linux TCP (reference) beside the ns-3 models on the study's path"
REFERENCE = plotlib.REPO_DIR / "docs" / "data" / "tcp-fidelity-kernel.csv"
COLUMNS = ["path", "tunnel", "window", "reorder_pct", "stack", "seeds", "mean_mbps",
           "ci95_mbps"]
STACKS = ("ns3", "linux", "kernel")
STUDY_PATH = "reorder-collapse-6s"  # the study's duration
STACK_STYLE = plotlib.style.STACK_STYLES  # the colours of every figure (tunnelsim.style)


class ReferenceError(ValueError):
    pass


def load_reference(path=REFERENCE):
    """(table, header) of a reference CSV. header maps the '# key: value' comment lines
    (kernel, date, seeds, grid, ...) to their text. Raises ReferenceError naming what is wrong."""
    path = Path(path)
    header = {}
    lines = path.read_text().splitlines()
    for line in lines:
        if not line.startswith("#"):
            break
        match = re.match(r"#\s*([a-z ]+):\s*(.*)", line)
        if match:
            key = match.group(1).strip()
            header[key] = (header[key] + "; " + match.group(2)) if key in header else match.group(2)
    for key in ("kernel", "cpu", "date", "commit", "seeds", "grid"):
        if key not in header:
            raise ReferenceError(f"{path}: the header comment has no '# {key}:' line")
    table = pd.read_csv(path, comment="#")
    if list(table.columns) != COLUMNS:
        raise ReferenceError(f"{path}: columns {list(table.columns)}, expected {COLUMNS}")
    if table.empty:
        raise ReferenceError(f"{path}: no rows")
    unknown = set(table["stack"]) - set(STACKS)
    if unknown:
        raise ReferenceError(f"{path}: unknown stack(s) {sorted(unknown)}")
    for column in ("reorder_pct", "mean_mbps", "ci95_mbps"):
        table[column] = pd.to_numeric(table[column], errors="raise").astype(float)
    table["seeds"] = pd.to_numeric(table["seeds"], errors="raise").astype(int)
    table["window"] = pd.to_numeric(table["window"], errors="raise").astype("Int64")
    ipsec = table["tunnel"].isin(["gre-over-ipsec", "ipsec"])
    if table.loc[ipsec, "window"].isna().any() or table.loc[~ipsec, "window"].notna().any():
        raise ReferenceError(f"{path}: 'window' must be set exactly for the ESP tunnels")
    if (table["mean_mbps"] < 0).any() or (table["seeds"] < 1).any():
        raise ReferenceError(f"{path}: negative goodput or no seeds")
    return table, header


def kernel_label(header) -> str:
    match = re.search(r"Linux (\d+\.\d+)", header.get("kernel", ""))
    version = match.group(1) if match else header.get("kernel", "?")
    # The first run's date, then those of rows added later (scripts/calibrate
    # --merge-reference's '# added runs:' lines), each once.
    dates = [header.get("date", "?").split()[0]]
    for date in re.findall(r"\d{4}-\d{2}-\d{2}", header.get("added runs", "")):
        if date not in dates:
            dates.append(date)
    return f"real Linux {version} (reference, measured {', '.join(dates)})"


def study_means(study_dir, duration_s=6.0):
    """Mean Linux-like goodput per (tunnel, window, reorder) of this study's sweep, for the
    runs of `duration_s` (the reference's 6 s); empty when there is no such run."""
    if study_dir is None or not (Path(study_dir) / "sweep.csv").is_file():
        return pd.DataFrame(columns=["tunnel", "window", "reorder_pct", "study_mbps",
                                     "study_seeds"])
    frame = pd.read_csv(Path(study_dir) / "sweep.csv")
    # The duration is a fixed override of the sweep (sweep.json "set") or a swept column.
    spec_file = Path(study_dir) / "sweep.json"
    fixed = json.loads(spec_file.read_text()).get("set", {}) if spec_file.is_file() else {}
    if "duration" in frame.columns:
        frame = frame[frame["duration"].map(plotlib.parse_duration_s) == duration_s]
    elif plotlib.parse_duration_s(fixed.get("duration", "0s")) != duration_s:
        frame = frame.iloc[0:0]
    stack = frame.get("tcp_stack", frame.get("tcp.stack"))
    if stack is not None:
        frame = frame[stack.fillna("linux") == "linux"]
    frame = frame.assign(
        tunnel=frame[plotlib.TUNNEL_KEY],
        reorder_pct=frame[plotlib.REORDER_KEY].astype(float),
        window=frame[plotlib.WINDOW_KEY].where(
            frame[plotlib.TUNNEL_KEY].isin(["gre-over-ipsec", "ipsec"])).astype("Int64"))
    rows = []
    for (tunnel, window, reorder), sub in frame.groupby(["tunnel", "window", "reorder_pct"],
                                                        dropna=False):
        mean, _half, n = plotlib.ts_results.mean_ci(sub["goodput_mbps"].tolist())
        rows.append({"tunnel": tunnel, "window": window, "reorder_pct": reorder,
                     "study_mbps": mean, "study_seeds": n})
    return pd.DataFrame(rows)


def comparison(table, study=None, path=STUDY_PATH):
    """One row per point of `path`: the kernel's mean and half-width, each model's mean and
    error against the kernel in percent, and the study's own Linux-like mean when it has the
    point."""
    sub = table[table["path"] == path]
    keys = ["tunnel", "window", "reorder_pct"]
    rows = []
    # groupby, not pivot_table: the window is empty (NA) for no tunnel and WireGuard.
    for key, point in sub.groupby(keys, dropna=False, sort=True):
        by_stack = point.set_index("stack")
        if "kernel" not in by_stack.index:
            continue
        kernel = float(by_stack.at["kernel", "mean_mbps"])
        out = dict(zip(keys, key), kernel_mbps=kernel,
                   kernel_ci95_mbps=float(by_stack.at["kernel", "ci95_mbps"]),
                   kernel_seeds=int(by_stack.at["kernel", "seeds"]))
        for stack in ("linux", "ns3"):
            mean = float(by_stack.at[stack, "mean_mbps"]) if stack in by_stack.index else math.nan
            out[f"{stack}_mbps"] = mean
            out[f"{stack}_error_pct"] = 100.0 * (mean - kernel) / kernel if kernel > 0 else math.nan
        rows.append(out)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    if study is not None and not study.empty:
        frame = frame.merge(study, on=keys, how="left")
        frame["study_error_pct"] = 100.0 * (frame["study_mbps"] - frame["kernel_mbps"]) / \
            frame["kernel_mbps"]
    return frame.sort_values(keys, na_position="first")


def _panel_label(tunnel, window) -> str:
    return plotlib.tunnel_label(tunnel, None if pd.isna(window) else int(window))


def make(reference=REFERENCE, out_dir=None, study_dir=None, path=STUDY_PATH) -> list:
    table, header = load_reference(reference)
    study = study_means(study_dir)
    points = comparison(table, study, path)
    if points.empty:
        return []
    out_dir = Path(out_dir) if out_dir else plotlib.REPO_DIR / "results" / "reorder-collapse" / \
        "figures"
    out_dir.mkdir(parents=True, exist_ok=True)
    order = {"none": 0, "wireguard": 1}
    panels = sorted(points.groupby(["tunnel", "window"], dropna=False, sort=False),
                    key=lambda item: (order.get(item[0][0], 2),
                                      -(0 if pd.isna(item[0][1]) else int(item[0][1]))))
    fig, axes = plotlib.plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.6),
                                     sharey=True, squeeze=False)
    kernel_name = kernel_label(header)
    sub_all = table[table["path"] == path]
    for ax, ((tunnel, window), sub) in zip(axes[0], panels):
        for stack, name in (("kernel", kernel_name),
                            ("linux", "ns-3 Linux-like TCP (same reference run)"),
                            ("ns3", "ns-3 stock TCP (same reference run)")):
            rows = sub_all[(sub_all["tunnel"] == tunnel) & (sub_all["stack"] == stack)]
            if pd.notna(window):
                rows = rows[rows["window"] == window]
            rows = rows.sort_values("reorder_pct")
            if rows.empty:
                continue
            colour, marker, style = STACK_STYLE[stack]
            ax.errorbar(rows["reorder_pct"], rows["mean_mbps"],
                        yerr=rows["ci95_mbps"].where(rows["ci95_mbps"].map(math.isfinite), 0),
                        color=colour, marker=marker, linestyle=style, capsize=2, label=name)
        for _i, point in sub.iterrows():
            if math.isfinite(point["linux_error_pct"]):
                ax.annotate(f"{point['linux_error_pct']:+.0f}%",
                            (point["reorder_pct"], point["linux_mbps"]), fontsize=7,
                            color=STACK_STYLE["linux"][0], textcoords="offset points",
                            xytext=(3, 4))
        if "study_mbps" in sub.columns and sub["study_mbps"].notna().any():
            have = sub[sub["study_mbps"].notna()]
            ax.plot(have["reorder_pct"], have["study_mbps"], linestyle="none", marker="D",
                    markerfacecolor="none", color=STACK_STYLE["linux"][0],
                    label="this study's runs (Linux-like)")
        ax.set_title(_panel_label(tunnel, window))
        ax.set_xlabel("reordering (%)")
        ax.set_ylim(bottom=0)
    axes[0][0].set_ylabel("goodput (Mbit/s)")
    handles, labels = [], []
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    # The ESP panels' upper right is empty (they collapse at once): the legend goes there.
    axes[0][-1].legend(handles, labels, loc="upper right", fontsize=6)
    fig.suptitle(f"{path}: Linux-like model's error against {kernel_name}", fontsize=9)
    paths = plotlib.save(fig, out_dir, NAME)
    csv_path = out_dir / f"{NAME}.csv"
    points.to_csv(csv_path, index=False, float_format="%.3f")
    return paths + [csv_path]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default=str(REFERENCE))
    parser.add_argument("--study", help="this study's sweep directory (its sweep.csv)")
    parser.add_argument("--out", help="output directory")
    parser.add_argument("--path", default=STUDY_PATH, help="the reference path to show")
    args = parser.parse_args(argv)
    try:
        paths = make(args.reference, args.out, args.study, args.path)
    except (OSError, ReferenceError) as error:
        print(f"fig_kernel_reference: {error}", file=sys.stderr)
        return 1
    if not paths:
        print(f"fig_kernel_reference: no kernel points for path {args.path} in "
              f"{args.reference}", file=sys.stderr)
        return 1
    table = pd.read_csv(paths[-1])
    print(f"Real Linux (reference) against the models, {args.path}, goodput Mbit/s:")
    with pd.option_context("display.max_rows", None, "display.width", 160):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.1f}"))
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
