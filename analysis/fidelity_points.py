"""Point by point, how far the ns-3 models are from real Linux on the study's path, and why
(issue 16's "Done when"): reads the committed calibration reference
(docs/data/tcp-fidelity-kernel.csv) and, for the per-seed detail, the calibration's sweep
directories (scripts/calibrate --out DIR: DIR/study), and prints

  1. one row per point: ns-3 stock, Linux-like and kernel mean +/- 95 % half-width, each
     model's deviation from the kernel's mean, whether the Linux-like one is within +/-10 %,
     and whether the kernel's half-width is under 10 % of its mean;
  2. the counts: within +/-10 % at N of M points, the mean |deviation|, and the same among
     the points where the kernel's half-width is under 10 % of its mean;
  3. the collapse ratio (ESP w=64 over no tunnel) per reorder level, model against kernel,
     with its deviation and the +/-15 % verdict;
  4. for every point outside +/-10 %: each seed's goodput, the kernel's TCP_INFO at the end
     (reordering, reord_seen, dsack_dups, total_retrans, snd_ssthresh) and the time it first
     left slow start (ssthresh set in its time series), the model's counters (retransmissions,
     fast recoveries, undone reductions, RACK losses, D-SACKs) and its own slow-start exit.

    /usr/bin/python3 analysis/fidelity_points.py [--reference CSV] [--path reorder-collapse-6s]
        [--runs DIR[:STACKS]]... [--csv OUT.csv]

--runs names a sweep directory (its sweep.csv and runs/); ':kernel' or ':ns3,linux' takes only
those stacks from it (the reference's kernel and model rows may come from different runs);
later directories override earlier ones for the same point, stack and seed. The per-seed runs
of a point are checked against the reference's mean (a mismatch is printed: those are not the
runs behind the row). --csv writes the point table.
"""

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cwnd_model_vs_kernel as cwnd_figure  # noqa: E402
import fig_kernel_reference as reference_io  # noqa: E402

TUNNEL_KEY = "tunnel.type"
WINDOW_KEY = "tunnel.ipsec.replay_window"
REORDER_KEY = "impairment.access.down.reorder"
POINT_KEYS = ["tunnel", "window", "reorder_pct"]
WITHIN = 10.0  # % deviation of the Linux-like mean from the kernel's
TIGHT = 10.0  # kernel half-width under this % of its mean
RATIO_WITHIN = 15.0  # % deviation of the collapse ratio
KERNEL_INFO = ["reordering", "reord_seen", "dsack_dups", "total_retrans", "snd_ssthresh"]
MODEL_COUNTERS = ["retransmissions", "linux_tcp.fast_recoveries",
                  "linux_tcp.undone_cwnd_reductions", "linux_tcp.rack_losses",
                  "linux_tcp.dsacks_received", "linux_tcp.spurious_retransmissions"]


def tunnel_name(tunnel, window):
    if tunnel == "none":
        return "no tunnel"
    if tunnel == "wireguard":
        return "WireGuard"
    return f"GRE/IPsec w={int(window)}"


def deviation(model, kernel):
    return 100.0 * (model - kernel) / kernel if kernel > 0 else math.nan


def point_table(table, path):
    """One row per point of `path` with the three stacks side by side."""
    frame = reference_io.comparison(table, None, path)
    if frame.empty:
        return frame
    frame["kernel_rel_hw_pct"] = 100.0 * frame["kernel_ci95_mbps"] / frame["kernel_mbps"]
    for stack in ("linux", "ns3"):
        sub = table[(table["path"] == path) & (table["stack"] == stack)]
        frame = frame.merge(sub[POINT_KEYS + ["ci95_mbps"]].rename(
            columns={"ci95_mbps": f"{stack}_ci95_mbps"}), on=POINT_KEYS, how="left")
    frame["within"] = frame["linux_error_pct"].abs() <= WITHIN
    frame["kernel_tight"] = frame["kernel_rel_hw_pct"] < TIGHT
    order = {"none": 0, "wireguard": 1}
    frame["_order"] = [(order.get(t, 2), -(0 if pd.isna(w) else int(w)), r) for t, w, r in
                       zip(frame["tunnel"], frame["window"], frame["reorder_pct"])]
    return frame.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def counts(points):
    """(within, total, mean |dev|, within among tight, tight total, stock within)."""
    tight = points[points["kernel_tight"]]
    return dict(within=int(points["within"].sum()), total=len(points),
                mean_abs=float(points["linux_error_pct"].abs().mean()),
                tight_within=int(tight["within"].sum()), tight_total=len(tight),
                stock_within=int((points["ns3_error_pct"].abs() <= WITHIN).sum()))


def collapse_ratios(table, path, window=64):
    """Per reorder level: goodput of ESP w=`window` over no tunnel, each stack, and the
    Linux-like ratio's deviation from the kernel's."""
    sub = table[table["path"] == path]
    rows = []
    for reorder in sorted(set(sub["reorder_pct"])):
        at = sub[sub["reorder_pct"] == reorder]
        esp = at[(at["tunnel"] == "gre-over-ipsec") & (at["window"] == window)]
        none = at[at["tunnel"] == "none"]
        if esp.empty or none.empty:
            continue
        row = {"reorder_pct": reorder}
        for stack in ("ns3", "linux", "kernel"):
            e = esp[esp["stack"] == stack]["mean_mbps"]
            n = none[none["stack"] == stack]["mean_mbps"]
            row[stack] = float(e.iloc[0] / n.iloc[0]) if len(e) and len(n) else math.nan
        row["linux_vs_kernel_pct"] = deviation(row["linux"], row["kernel"])
        row["same_sign"] = (row["linux"] < 1) == (row["kernel"] < 1)
        row["within"] = abs(row["linux_vs_kernel_pct"]) <= RATIO_WITHIN
        rows.append(row)
    return pd.DataFrame(rows)


def load_runs(specs, duration):
    """The per-run rows (sweep.csv) of the given directories, for runs of `duration`."""
    frames = []
    for order, spec in enumerate(specs):
        directory, _sep, stacks = spec.partition(":")
        sweep = pd.read_csv(Path(directory) / "sweep.csv", low_memory=False)
        if stacks:
            sweep = sweep[sweep["tcp.stack"].isin(stacks.split(","))]
        sweep = sweep[sweep["duration"].astype(str) == duration].copy()
        sweep["_dir"] = str(Path(directory) / "runs")
        sweep["_order"] = order
        frames.append(sweep)
    if not frames:
        return pd.DataFrame()
    runs = pd.concat(frames, ignore_index=True).copy()  # one block: cheap column inserts
    runs["tunnel"] = runs[TUNNEL_KEY]
    ipsec = runs["tunnel"].isin(["gre-over-ipsec", "ipsec"])
    runs["window"] = runs[WINDOW_KEY].where(ipsec).astype("Int64")
    runs["reorder_pct"] = runs[REORDER_KEY].astype(float)
    runs["stack"] = runs["tcp.stack"]
    runs = runs.sort_values("_order").drop_duplicates(
        POINT_KEYS + ["stack", "seed"], keep="last")
    return runs.sort_values(POINT_KEYS + ["stack", "seed"]).reset_index(drop=True)


def slow_start_exit(run_dir):
    """analysis/cwnd_model_vs_kernel.py's slow-start exit of one run, as text: where its
    ssthresh is first set in its time series, or for an older model run without that column,
    derived from its cwnd."""
    try:
        exit_ = cwnd_figure.Run(run_dir).slow_start_exit()
    except cwnd_figure.RunError as error:
        return f"slow-start exit unknown ({error})"
    if exit_ is None:
        return "never left slow start"
    time_s, segments, how = exit_
    what = "ssthresh" if how == "ssthresh set" else "cwnd"
    return f"left slow start at {time_s:.2f} s ({what} {segments:.0f} segments, {how})"


def seed_details(runs, point):
    """Lines describing every seed of one point: kernel and Linux-like side by side."""
    tunnel, window, reorder = point["tunnel"], point["window"], point["reorder_pct"]
    sub = runs[(runs["tunnel"] == tunnel) & (runs["reorder_pct"] == reorder)]
    sub = sub[sub["window"].isna()] if pd.isna(window) else sub[sub["window"] == window]
    lines = []
    for stack in ("kernel", "linux"):
        rows = sub[sub["stack"] == stack]
        if rows.empty:
            lines.append(f"    {stack}: no runs given")
            continue
        goodputs = ", ".join(f"{g:.1f}" for g in rows["goodput_mbps"])
        lines.append(f"    {stack} per seed ({','.join(str(s) for s in rows['seed'])}): "
                     f"{goodputs} Mbit/s")
        for _i, run in rows.iterrows():
            run_dir = Path(run["_dir"]) / run["point"]
            exit_text = slow_start_exit(run_dir)
            if stack == "kernel":
                values = [run.get(f"flows.bulk0.kernel_tcp_info.{k}") for k in KERNEL_INFO]
                info = " ".join(f"{k}={_int(v)}" for k, v in zip(KERNEL_INFO, values))
            else:
                values = [run.get(f"flows.bulk0.{k}") for k in MODEL_COUNTERS]
                info = " ".join(f"{k.split('.')[-1]}={_int(v)}"
                                for k, v in zip(MODEL_COUNTERS, values))
            lines.append(f"      seed {run['seed']}: {run['goodput_mbps']:.1f} Mbit/s, {info}; "
                         f"{exit_text}")
    return lines


def _int(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{int(value)}"


def check_runs(runs, points):
    """Points whose runs' mean is not the reference's (those runs are not the row's)."""
    bad = []
    for _i, point in points.iterrows():
        sub = runs[(runs["tunnel"] == point["tunnel"]) &
                   (runs["reorder_pct"] == point["reorder_pct"])]
        sub = sub[sub["window"].isna()] if pd.isna(point["window"]) else \
            sub[sub["window"] == point["window"]]
        for stack in ("kernel", "linux", "ns3"):
            goodputs = sub[sub["stack"] == stack]["goodput_mbps"]
            if len(goodputs) and abs(goodputs.mean() - point[f"{stack}_mbps"]) > 0.01:
                bad.append((point["tunnel"], point["window"], point["reorder_pct"], stack,
                            goodputs.mean(), point[f"{stack}_mbps"]))
    return bad


def markdown(points):
    lines = ["| tunnel | reorder % | ns-3 stock | ns-3 Linux-like | real Linux (emulate) | "
             "stock vs kernel | Linux-like vs kernel | within ±10 % | kernel half-width < "
             "10 % of mean |", "| --- | ---: | --- | --- | --- | ---: | ---: | --- | --- |"]
    for _i, p in points.iterrows():
        lines.append(
            f"| {tunnel_name(p['tunnel'], p['window'])} | {p['reorder_pct']:g} | "
            f"{p['ns3_mbps']:.1f} ± {p['ns3_ci95_mbps']:.1f} | "
            f"{p['linux_mbps']:.1f} ± {p['linux_ci95_mbps']:.1f} | "
            f"{p['kernel_mbps']:.1f} ± {p['kernel_ci95_mbps']:.1f} | "
            f"{p['ns3_error_pct']:+.0f} % | {p['linux_error_pct']:+.0f} % | "
            f"{'yes' if p['within'] else '**no**'} | {'yes' if p['kernel_tight'] else 'no'} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default=str(reference_io.REFERENCE))
    parser.add_argument("--path", default=reference_io.STUDY_PATH)
    parser.add_argument("--runs", action="append", default=[])
    parser.add_argument("--csv")
    args = parser.parse_args(argv)
    try:
        table, _header = reference_io.load_reference(args.reference)
    except (OSError, reference_io.ReferenceError) as error:
        print(f"fidelity_points: {error}", file=sys.stderr)
        return 2
    points = point_table(table, args.path)
    if points.empty:
        print(f"fidelity_points: no kernel points for {args.path}", file=sys.stderr)
        return 2
    print(markdown(points))
    c = counts(points)
    print(f"\nLinux-like within ±{WITHIN:g} % of the kernel at {c['within']} of {c['total']} "
          f"points (mean |deviation| {c['mean_abs']:.1f} %); stock ns-3 at "
          f"{c['stock_within']}; where the kernel's half-width is under {TIGHT:g} % of its "
          f"mean: {c['tight_within']} of {c['tight_total']}")
    ratios = collapse_ratios(table, args.path)
    if not ratios.empty:
        print("\ncollapse ratio w=64 / no tunnel:")
        print(ratios.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    if args.runs:
        duration = args.path.rsplit("-", 1)[-1]
        runs = load_runs(args.runs, duration)
        for mismatch in check_runs(runs, points):
            print(f"warning: runs of {mismatch[:4]} average {mismatch[4]:.3f}, the reference "
                  f"says {mismatch[5]:.3f}: not the runs behind the row")
        print("\npoints outside ±10 %:")
        for _i, point in points[~points["within"]].iterrows():
            print(f"  {tunnel_name(point['tunnel'], point['window'])} at "
                  f"{point['reorder_pct']:g} %: Linux-like {point['linux_error_pct']:+.1f} %")
            for line in seed_details(runs, point):
                print(line)
    if args.csv:
        points.to_csv(args.csv, index=False, float_format="%.3f")
    return 0


if __name__ == "__main__":
    sys.exit(main())
