#!/usr/bin/python3
"""The window cap W·MSS/Δ (issue 16 part 6; docs/experiments.md): reads a finished
`tunnelsim sweep scenarios/library/sweeps/window-cap.toml` and tests the hypothesis that an
ESP anti-replay window of W packets collapses TCP on a path that holds packets back for Δ
(the reorder delay) once the sender's rate exceeds W·MSS/Δ.

    analysis/window_cap.py SWEEP_DIR [SWEEP_DIR ...] [--out DIR] [--collapse-below 0.5]

Several directories are read as one set of runs (e.g. extra model seeds swept separately).

Why that cap: the access link sends a few packets at once and holds the others for Δ. A packet
sent at once is the ESP receiver's newest; the packets that entered the link in the Δ before it
arrive after it, and those more than W behind are outside the window. At a payload rate R
(bit/s) about R·Δ/(8·MSS) packets enter in Δ, so drops start once R > W·MSS·8/Δ.

Per ESP point (TCP stack, bottleneck rate, Δ, W) the table holds the mean goodput over seeds
with its 95 % Student-t half width (tunnelsim.stats), the mean goodput without a tunnel at the
same stack, rate and Δ (the uncollapsed path: Δ is also part of the RTT), their ratio, the
predicted cap, the load x = bottleneck rate / cap and the mean ESP replay drops. A point is
collapsed when its ratio is below --collapse-below; x_s = no-tunnel goodput / cap is the load
the sender itself reaches (real Linux ramps up slowly under reordering, so it may never reach
the bottleneck rate in a 6 s run). Writes DIR/window_cap.{png,svg},
window_cap.csv and window_cap.md (default DIR: SWEEP_DIR/figures) and prints the markdown: the
table, then per stack where the collapse starts, then the points where model and kernel
disagree.

The ratio's interval combines both relative half widths in quadrature (first-order error
propagation of a quotient of two independent means), so it is approximate for few seeds.
"""

import argparse
import csv
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plotlib  # noqa: E402

from tunnelsim import stats, units  # noqa: E402  (plotlib put the repository's python/ on the path)

NAME = "window_cap"
ESP_TUNNELS = ("gre-over-ipsec", "ipsec")
STACK_NAMES = {"linux": "ns-3 Linux-like TCP (model)", "kernel": "real Linux TCP (emulate)",
               "ns3": "ns-3 stock TCP"}
COLLAPSE_BELOW = 0.5
def predicted_cap_mbps(window: int, mss_bytes: int, delta_s: float) -> float:
    """The payload rate (Mbit/s) above which more than `window` segments of `mss_bytes` enter
    the link while one packet is held back for `delta_s`: W·MSS·8/Δ."""
    if window <= 0 or mss_bytes <= 0 or delta_s <= 0:
        raise ValueError(f"the cap needs a positive window, MSS and delay, got W={window}, "
                         f"MSS={mss_bytes}, Δ={delta_s}")
    return window * mss_bytes * 8.0 / delta_s / 1e6


def parse_rate_mbps(text) -> float:
    """'100Mbps' -> 100.0 (the scenario files' rate strings; numbers are bits per second)."""
    return units.rate_bps(text) / 1e6


def run_row(results: dict) -> dict:
    """One run's describing values and outcome from its results.json."""
    s = results["scenario"]
    tunnel = s["tunnel"]["type"]
    bulk = [f for f in results["flows"] if f["kind"] == "bulk"]
    if not bulk:
        raise ValueError("the run has no bulk flow")
    return {
        "stack": s["tcp"].get("stack", "linux"),
        "tunnel": tunnel,
        "window": int(s["tunnel"]["ipsec"]["replay_window"]) if tunnel in ESP_TUNNELS else None,
        "rate_mbps": parse_rate_mbps(s["topology"]["access_down_rate"]),
        "delta_ms": 1e3 * plotlib.parse_duration_s(s["impairment"]["access"]["down"]["delay"]),
        "reorder_pct": float(s["impairment"]["access"]["down"].get("reorder", 0)),
        "mss_bytes": int(s["tcp"]["segment_size"]),
        "seed": s["seed"],
        "goodput_mbps": sum(f["goodput_mbps"] for f in bulk),
        "replay_drops": results["tunnel"]["counters"]["replay_drops"],
        "commit": results.get("provenance", {}).get("tunnelsim", {}).get("describe"),
        "kernel": (results.get("provenance", {}).get("host") or {}).get("kernel"),
        # real-time runs: how late the relay wrote packets (its fidelity under the load)
        "lateness_p99_us": ((results.get("emulation") or {}).get("relay") or {}).get(
            "lateness", {}).get("p99_us"),
    }


def load(sweep_dir) -> list:
    rows = [run_row(json.loads(p.read_text()))
            for p in sorted(Path(sweep_dir).glob("runs/*/results.json"))]
    if not rows:
        raise ValueError(f"no runs/*/results.json in {sweep_dir}")
    return rows


def merge(run_lists: list) -> list:
    """The runs of several directories as one list; a run (stack, tunnel, window, rate, Δ,
    reorder, seed) found in more than one directory counts once (the first)."""
    seen, out = set(), []
    for rows in run_lists:
        for r in rows:
            key = (r["stack"], r["tunnel"], r["window"], r["rate_mbps"], r["delta_ms"],
                   r["reorder_pct"], r["seed"])
            if key not in seen:
                seen.add(key)
                out.append(r)
    return out


def _ratio_interval(num, num_ci, den, den_ci) -> float:
    if not (den > 0 and num >= 0) or not (math.isfinite(num_ci) and math.isfinite(den_ci)):
        return math.nan
    ratio = num / den
    relative = math.hypot(num_ci / num if num > 0 else 0.0, den_ci / den)
    return ratio * relative


def build_table(rows: list, collapse_below: float = COLLAPSE_BELOW) -> list:
    """One dict per ESP point (stack, rate, Δ, window), sorted by stack, then load x. Each
    holds the point's mean goodput and 95 % half width, the no-tunnel mean at the same stack,
    rate and Δ, their ratio (NaN without a baseline), the predicted cap, x and collapsed."""
    def key(r):
        return (r["stack"], r["rate_mbps"], r["delta_ms"])

    groups: dict = {}
    for r in rows:
        groups.setdefault((*key(r), r["tunnel"], r["window"]), []).append(r)
    baselines = {k[:3]: stats.mean_ci([r["goodput_mbps"] for r in runs])
                 for k, runs in groups.items() if k[3] == "none"}
    table = []
    for (stack, rate, delta, tunnel, window), runs in groups.items():
        if tunnel not in ESP_TUNNELS:
            continue
        mss = {r["mss_bytes"] for r in runs}
        if len(mss) != 1:
            raise ValueError(f"runs of one point with different MSS {sorted(mss)}")
        mean, half, n = stats.mean_ci([r["goodput_mbps"] for r in runs])
        base_mean, base_half, base_n = baselines.get((stack, rate, delta), (math.nan, math.nan, 0))
        ratio = mean / base_mean if base_mean > 0 else math.nan
        cap = predicted_cap_mbps(window, mss.pop(), delta / 1e3)
        table.append({
            "stack": stack, "rate_mbps": rate, "delta_ms": delta, "window": window,
            "cap_mbps": cap, "load_x": rate / cap, "seeds": n, "goodput_mbps": mean,
            "ci95_mbps": half if math.isfinite(half) else math.nan,
            "goodput_runs": [r["goodput_mbps"] for r in sorted(runs, key=lambda r: r["seed"])],
            "replay_drops": sum(r["replay_drops"] for r in runs) / len(runs),
            "runs_with_drops": sum(1 for r in runs if r["replay_drops"] > 0),
            "sender_x": base_mean / cap if base_mean > 0 else math.nan,
            "baseline_mbps": base_mean, "baseline_seeds": base_n,
            "ratio": ratio,
            "ratio_ci95": _ratio_interval(mean, half, base_mean, base_half),
            "collapsed": bool(ratio < collapse_below) if math.isfinite(ratio) else None,
        })
    table.sort(key=lambda p: (p["stack"] != "linux", p["stack"], p["load_x"], p["window"]))
    return table


def _has_drops(p) -> bool:
    return p["runs_with_drops"] > 0


def _is_collapsed(p):
    return p["collapsed"]


VERDICTS = {"collapsed": _is_collapsed, "drops": _has_drops}


def collapse_onset(table: list, stack: str, x_key: str = "load_x",
                   verdict: str = "collapsed") -> dict:
    """Where the effect starts for one stack along x_key ("load_x": bottleneck rate / cap;
    "sender_x": no-tunnel goodput / cap). verdict "collapsed" (goodput below the threshold) or
    "drops" (a replay drop in any run). Returns the largest x of an unaffected point, the
    smallest x of an affected one, and the points out of order (affected below an unaffected
    x, or unaffected above an affected x)."""
    test = VERDICTS[verdict]
    points = [p for p in table if p["stack"] == stack and test(p) is not None
              and math.isfinite(p[x_key])]
    hit = [p[x_key] for p in points if test(p)]
    intact = [p[x_key] for p in points if not test(p)]
    overlap = [p for p in points if (test(p) and intact and p[x_key] < max(intact))
               or (not test(p) and hit and p[x_key] > min(hit))]
    return {"stack": stack, "points": len(points), "affected": len(hit),
            "smallest_affected_x": min(hit) if hit else math.nan,
            "largest_unaffected_x": max(intact) if intact else math.nan, "overlap": overlap}


def disagreements(table: list, a: str = "linux", b: str = "kernel") -> list:
    """(point of a, point of b) at the same rate, Δ and window where one stack collapsed and
    the other did not."""
    by_key = {(p["rate_mbps"], p["delta_ms"], p["window"]): p for p in table if p["stack"] == b}
    out = []
    for p in table:
        if p["stack"] != a:
            continue
        q = by_key.get((p["rate_mbps"], p["delta_ms"], p["window"]))
        if q and None not in (p["collapsed"], q["collapsed"]) and p["collapsed"] != q["collapsed"]:
            out.append((p, q))
    return out


def _fmt(value, digits=1) -> str:
    return "-" if value is None or (isinstance(value, float) and not math.isfinite(value)) \
        else f"{value:.{digits}f}"


def _where(p) -> str:
    return f"{p['rate_mbps']:g} Mbit/s Δ {p['delta_ms']:g} ms W {p['window']}"


def markdown(table: list, collapse_below: float = COLLAPSE_BELOW) -> str:
    lines = ["| stack | rate Mbit/s | Δ ms | W | cap W·MSS/Δ Mbit/s | x = rate/cap | "
             "x_s = no-tunnel goodput/cap | seeds | goodput Mbit/s (±95 %) | no tunnel Mbit/s | "
             "ratio (±95 %) | replay drops (mean) | runs with drops | collapsed |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | "
             "---: | --- |"]
    for p in table:
        lines.append(
            f"| {p['stack']} | {p['rate_mbps']:g} | {p['delta_ms']:g} | {p['window']} | "
            f"{p['cap_mbps']:.1f} | {p['load_x']:.2f} | {_fmt(p['sender_x'], 2)} | {p['seeds']} | "
            f"{_fmt(p['goodput_mbps'])} ± {_fmt(p['ci95_mbps'])} | {_fmt(p['baseline_mbps'])} | "
            f"{_fmt(p['ratio'], 2)} ± {_fmt(p['ratio_ci95'], 2)} | {p['replay_drops']:.0f} | "
            f"{p['runs_with_drops']}/{p['seeds']} | "
            f"{'-' if p['collapsed'] is None else ('yes' if p['collapsed'] else 'no')} |")
    lines.append("")
    lines.append(f"Collapsed: goodput below {collapse_below:.0%} of the no-tunnel goodput. "
                 "Drops: an ESP replay drop in any run of the point.")
    for stack in sorted({p["stack"] for p in table}, key=lambda s: (s != "linux", s)):
        for verdict, word in (("collapsed", "collapsed"), ("drops", "with replay drops")):
            for x_key in ("load_x", "sender_x"):
                onset = collapse_onset(table, stack, x_key, verdict)
                name = "x" if x_key == "load_x" else "x_s"
                lines.append(
                    f"- {STACK_NAMES.get(stack, stack)}, along {name}: {onset['affected']} of "
                    f"{onset['points']} points {word}; smallest such {name} "
                    f"{_fmt(onset['smallest_affected_x'], 2)}, largest {name} without "
                    f"{_fmt(onset['largest_unaffected_x'], 2)}; {len(onset['overlap'])} point(s) "
                    "out of order" + ("" if not onset["overlap"] else ": " + ", ".join(
                        f"{_where(p)} ({name} {p[x_key]:.2f}, ratio {_fmt(p['ratio'], 2)}, "
                        f"drops in {p['runs_with_drops']}/{p['seeds']})"
                        for p in onset["overlap"])))
    pairs = disagreements(table)
    lines.append(f"- model and kernel disagree (one collapsed, the other not) at {len(pairs)} "
                 "point(s)" + ("" if not pairs else ": " + "; ".join(
                     f"{_where(p)} (x {p['load_x']:.2f}): model {_fmt(p['ratio'], 2)}, kernel "
                     f"{_fmt(q['ratio'], 2)}" for p, q in pairs)))
    return "\n".join(lines) + "\n"


def side_by_side(table: list, a: str = "linux", b: str = "kernel") -> str:
    """One row per (rate, Δ, W), sorted by x: both stacks' goodput, ratio and runs with
    drops, for the docs."""
    by_key: dict = {}
    for p in table:
        by_key.setdefault((p["rate_mbps"], p["delta_ms"], p["window"]), {})[p["stack"]] = p
    lines = [f"| x | rate Mbit/s | Δ ms | W | {a}: goodput (±95 %) | {a}: ratio | {a}: runs "
             f"with drops | {b}: goodput (±95 %) | {b}: ratio | {b}: runs with drops |",
             "| ---: | ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |"]

    def cells(p):
        if p is None:
            return "- | - | -"
        return (f"{_fmt(p['goodput_mbps'])} ± {_fmt(p['ci95_mbps'])} | {_fmt(p['ratio'], 2)} | "
                f"{p['runs_with_drops']}/{p['seeds']}")

    for key, pair in sorted(by_key.items(), key=lambda item: (
            next(iter(item[1].values()))["load_x"], item[0])):
        x = next(iter(pair.values()))["load_x"]
        lines.append(f"| {x:.2f} | {key[0]:g} | {key[1]:g} | {key[2]} | {cells(pair.get(a))} | "
                     f"{cells(pair.get(b))} |")
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ["stack", "rate_mbps", "delta_ms", "window", "cap_mbps", "load_x", "sender_x",
               "seeds", "goodput_mbps", "ci95_mbps", "baseline_mbps", "baseline_seeds", "ratio",
               "ratio_ci95", "replay_drops", "runs_with_drops", "collapsed"]


def write_csv(table: list, path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(table)


def _x_of(p, x_key, stack) -> float:
    # the grid gives several points the same x: the kernel's are drawn 6 % to the right
    return p[x_key] * (1.0 if stack == "linux" else 1.06)


def figure(table: list, out_dir, collapse_below: float = COLLAPSE_BELOW) -> list:
    """Four panels, one marker per window, model filled and the kernel open, on log x axes:
    (a) goodput / no-tunnel goodput against x = bottleneck rate / cap; (b) goodput / cap
    against x; (c) goodput / no-tunnel goodput against x_s = no-tunnel goodput / cap (the rate
    the sender reaches without the window); (d) the share of runs with ESP replay drops
    against x."""
    style = plotlib.style
    width, height = plotlib.figsize(aspect=0.85, panels=2)
    fig, axes = plotlib.plt.subplots(2, 2, figsize=(width, 2 * height))
    (ratio_ax, cap_ax), (sender_ax, drops_ax) = axes
    points_drawn = []
    for stack in sorted({p["stack"] for p in table}, key=lambda s: (s != "linux", s)):
        colour, _marker, _line = style.STACK_STYLES.get(stack, style.STACK_STYLES["linux"])
        for window in sorted({p["window"] for p in table}):
            pts = [p for p in table if p["stack"] == stack and p["window"] == window]
            if not pts:
                continue
            look = dict(color=colour, marker=style.tunnel_style("gre-over-ipsec", window)[
                "marker"], markerfacecolor=colour if stack == "linux" else "none",
                linestyle="none", capsize=2)
            ratio_err = [p["ratio_ci95"] if math.isfinite(p["ratio_ci95"]) else 0.0 for p in pts]
            xs = [_x_of(p, "load_x", stack) for p in pts]
            ratio_ax.errorbar(xs, [p["ratio"] for p in pts], yerr=ratio_err,
                              label=f"{STACK_NAMES.get(stack, stack)}, W={window}", **look)
            stats_of = [style.point_stats(p["goodput_runs"]) for p in pts]
            cap_ys = [p["goodput_mbps"] / p["cap_mbps"] for p in pts]
            # rings (wide goodput intervals) where the goodput itself is drawn, scaled by the cap
            style.mark_wide(cap_ax, xs, [dict(q, mean=y) for q, y in zip(stats_of, cap_ys)],
                            colour)
            cap_ax.errorbar(xs, cap_ys, yerr=[p["ci95_mbps"] / p["cap_mbps"]
                                              if math.isfinite(p["ci95_mbps"]) else 0.0
                                              for p in pts], **look)
            sender_ax.errorbar([_x_of(p, "sender_x", stack) for p in pts],
                               [p["ratio"] for p in pts], yerr=ratio_err, **look)
            drops_ax.plot(xs, [p["runs_with_drops"] / p["seeds"] for p in pts],
                          **{k: v for k, v in look.items() if k != "capsize"})
            points_drawn += stats_of
    for ax in axes.flat:
        ax.set_xscale("log")
        ax.axvline(1.0, color=style.GREY, linestyle=":", linewidth=1)
        ax.set_xlabel("x = bottleneck rate / (W·MSS·8/Δ)")
        ax.set_ylim(bottom=0)
    sender_ax.set_xlabel("x_s = no-tunnel goodput / (W·MSS·8/Δ)")
    for ax in (ratio_ax, sender_ax):
        ax.axhline(collapse_below, color=style.GREY, linestyle="--", linewidth=0.8)
        ax.set_ylabel("goodput / no-tunnel goodput")
    cap_ax.set_ylabel("goodput / (W·MSS·8/Δ)")
    low = min(p["load_x"] for p in table)
    cap_ax.plot([low, 1.0], [low, 1.0], color=style.GREY, linewidth=0.8, linestyle="-")
    drops_ax.set_ylabel("share of runs with replay drops")
    drops_ax.set_ylim(-0.05, 1.05)
    plotlib.title(ratio_ax, "(a) against the uncollapsed path")
    plotlib.title(cap_ax, "(b) against the cap (line: goodput = rate)")
    plotlib.title(sender_ax, "(c) by the rate the sender reaches without a tunnel")
    plotlib.title(drops_ax, "(d) runs with ESP replay drops")
    plotlib.legend(ratio_ax, columns=2)
    plotlib.interval_note(fig, points_drawn,
                          "Filled: ns-3 model; open: real Linux (drawn 6 % to the right). "
                          "Ratio intervals combine both means' intervals. Dashed: the "
                          "collapse threshold; dotted: x = 1.")
    return plotlib.save(fig, out_dir, NAME)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", nargs="+")
    parser.add_argument("--out", help="output directory (default: the first SWEEP_DIR/figures)")
    parser.add_argument("--collapse-below", type=float, default=COLLAPSE_BELOW,
                        help="a point is collapsed below this fraction of the no-tunnel goodput")
    plotlib.add_figure_options(parser)
    args = parser.parse_args(argv)
    plotlib.style.configure(args.figure_format, args.width)
    try:
        rows = merge([load(sweep) for sweep in args.sweep])
    except ValueError as error:
        print(f"window_cap: {error}", file=sys.stderr)
        return 1
    table = build_table(rows, args.collapse_below)
    if not table:
        print(f"window_cap: no ESP runs in {', '.join(args.sweep)}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else Path(args.sweep[0]) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(table, args.collapse_below) + "\n" + side_by_side(table)
    commits = sorted({str(r["commit"]) for r in rows})
    kernels = sorted({str(r["kernel"]) for r in rows})
    text += (f"\nRuns: {len(rows)}; commit(s) of the runs: {', '.join(commits)}; host "
             f"kernel(s): {', '.join(kernels)}\n")
    late = sorted(r["lateness_p99_us"] for r in rows if r["lateness_p99_us"] is not None)
    if late:
        text += (f"Relay write lateness p99 over the {len(late)} real-time runs: median "
                 f"{late[len(late) // 2]:.0f} us, largest {late[-1]:.0f} us\n")
    (out / f"{NAME}.md").write_text(text)
    write_csv(table, out / f"{NAME}.csv")
    print(text)
    for path in figure(table, out, args.collapse_below):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
