#!/usr/bin/python3
"""The open-loop strongSwan comparison table (issue 17 part 3; docs/gre-ipsec.md, "Open loop: a
constant-rate UDP download"): reads a finished
`tunnelsim sweep scenarios/library/sweeps/strongswan-vs-model-udp.toml` and prints, per reorder
level, the ESP replay drops per run of the three variants (strongSwan's ESP and our ESP core,
emulated, and the ns-3 model, all with a 128-packet window) as a mean with its 95 % interval,
the analytic prediction (python/tunnelsim/analytic.py), and whether our ESP and the model are
within +-10 % of strongSwan.

    analysis/strongswan_vs_model_udp.py SWEEP_DIR [--csv OUT.csv]

The verdict is on the deviation of a variant's drops from strongSwan's, paired by seed (each
seed gives every variant the same reorder draws, so the per-seed ratio cancels the seed's own
luck): "yes" when the 95 % interval of the mean per-seed deviation lies inside +-10 %, "no" when
it lies wholly outside, "undecided" otherwise. The deviation of the means is shown beside it."""
import argparse
import csv
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from tunnelsim import analytic, stats, units  # noqa: E402

VARIANTS = [("strongswan", "kernel", "strongSwan ESP (emulate)"),
            ("gre-over-ipsec", "kernel", "our ESP (emulate)"),
            ("gre-over-ipsec", "linux", "our ESP, ns-3 model")]
TOLERANCE = 0.10

def expected_drops(reorder_percent: float, delay_s: float, rate_pps: float, window: int,
                   packets: int) -> float:
    """Expected replay drops of a `packets`-long constant-rate stream under netem reordering
    (no gap): analytic.py's stationary rule, with the stream's end cut off (a delayed packet
    near the end has fewer later packets that can overtake it)."""
    p = reorder_percent / 100.0
    span = analytic.delay_line_packets(delay_s, rate_pps)
    if p == 0 or span < window or packets <= 0:
        return 0.0
    total = 0.0
    for m in range(packets):
        overtakers = min(m + span, packets - 1) - (m + window) + 1
        if overtakers > 0:
            total += (1 - p) * (1 - (1 - p) ** overtakers)
    return total


def load(sweep: Path):
    rows = []
    for path in sorted(sweep.glob("runs/*/results.json")):
        r = json.loads(path.read_text())
        s = r["scenario"]
        udp = next(f for f in r["flows"] if f["kind"] == "udp")
        flow = s["traffic"]["udp"][0]
        down = s["impairment"]["access"]["down"]
        counters = r["tunnel"]["counters"]
        rcvbuf = None
        extra = counters.get("extra") or {}
        if s["tunnel"]["type"] == "strongswan":
            rcvbuf = sum(extra[side]["udp"]["RcvbufErrors"] for side in ("home", "work"))
        rows.append({
            "tunnel": s["tunnel"]["type"], "stack": s["tcp"]["stack"],
            "reorder": float(down.get("reorder", 0)), "seed": s["seed"],
            "delay_s": units.duration_s(down.get("delay", "0s")),
            "rate_pps": units.rate_bps(flow["rate"]) / (8 * flow["packet_size"]),
            "window": s["tunnel"].get("ipsec", {}).get("replay_window", 128),
            "packets_sent": udp["packets_sent"],
            "goodput_mbps": udp["goodput_mbps"],
            "replay_drops": counters["replay_drops"],
            "analysis_128": r.get("emulation", {}).get("esp_replay_analysis", {}).get(
                "window_128_drops"),
            "rcvbuf_errors": rcvbuf,
            "send_errors": udp.get("send_errors"),
            "commit": r.get("provenance", {}).get("tunnelsim", {}).get("describe"),
        })
    return rows


def interval(values) -> str:
    mean_value, half_width, n = stats.mean_ci(values)
    if n < 2:
        return f"{mean_value:.0f}"
    return f"{mean_value:.0f} ± {half_width:.0f} ({half_width / mean_value:.0%})" \
        if mean_value else f"{mean_value:.0f} ± {half_width:.0f}"


def paired_deviation(runs: dict, reference: dict):
    """Per-seed relative deviation of `runs` from `reference` (dicts seed -> drops): mean and
    95 % half width over the seeds both have (seeds where the reference dropped nothing are
    left out: a ratio to 0 means nothing)."""
    seeds = sorted(s for s in runs if s in reference and reference[s] > 0)
    deviations = [runs[s] / reference[s] - 1 for s in seeds]
    if not deviations:
        return float("nan"), float("nan"), 0
    return stats.mean_ci(deviations)


def verdict(mean: float, half_width: float, n: int) -> str:
    if n == 0 or math.isnan(mean):
        return "-"
    if n < 2 or math.isinf(half_width):
        return f"undecided ({mean:+.1%}, one seed)"
    low, high = mean - half_width, mean + half_width
    text = f"{mean:+.1%} ± {half_width:.1%}"
    if -TOLERANCE <= low and high <= TOLERANCE:
        return f"yes ({text})"
    if high < -TOLERANCE or low > TOLERANCE:
        return f"no ({text})"
    return f"undecided ({text})"


def build_table(rows):
    table = []
    for reorder in sorted({r["reorder"] for r in rows}):
        point = {"reorder": reorder, "variants": {}}
        for tunnel, stack, label in VARIANTS:
            runs = sorted((r for r in rows
                           if (r["reorder"], r["tunnel"], r["stack"]) == (reorder, tunnel, stack)),
                          key=lambda r: r["seed"])
            point["variants"][label] = runs
        every = [r for runs in point["variants"].values() for r in runs]
        if every:
            first = every[0]
            point["prediction"] = stats.mean_ci([
                expected_drops(reorder, r["delay_s"], r["rate_pps"], r["window"],
                               r["packets_sent"]) for r in every])[0]
        table.append(point)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep")
    parser.add_argument("--csv")
    args = parser.parse_args()
    rows = load(Path(args.sweep))
    if not rows:
        sys.exit(f"strongswan_vs_model_udp: no runs/*/results.json in {args.sweep}")
    table = build_table(rows)
    ss, ours, model = (label for _, _, label in VARIANTS)

    print("| reorder % | variant | seeds | replay drops per run (seeds 1..n) | relay's "
          "window-128 analysis | UDP goodput Mbit/s (mean) | charon UDP receive errors |")
    print("| ---: | --- | ---: | --- | --- | ---: | --- |")
    for point in table:
        for _, _, label in VARIANTS:
            runs = point["variants"][label]
            if not runs:
                continue
            analysis = ", ".join("-" if r["analysis_128"] is None else str(r["analysis_128"])
                                 for r in runs)
            goodput = stats.mean_ci([r["goodput_mbps"] for r in runs])[0]
            errors = ("-" if runs[0]["rcvbuf_errors"] is None
                      else str(sum(r["rcvbuf_errors"] for r in runs)))
            print(f"| {point['reorder']:g} | {label} | {len(runs)} | "
                  f"{', '.join(str(r['replay_drops']) for r in runs)} | {analysis} | "
                  f"{goodput:.1f} | {errors} |")
    print()
    print("| reorder % | analytic prediction | drops, mean ± 95 % interval: strongSwan / our "
          "ESP / model | our ESP vs strongSwan: means; paired per seed, verdict within ±10 % | "
          "model vs strongSwan: means; paired, verdict | strongSwan vs prediction |")
    print("| ---: | ---: | --- | --- | --- | --- |")
    out = []
    for point in table:
        v = point["variants"]
        drops = {label: {r["seed"]: r["replay_drops"] for r in v[label]} for label in v}
        means = {label: stats.mean_ci(list(drops[label].values()))[0] for label in drops}
        cells = []
        for label in (ours, model):
            of_means = means[label] / means[ss] - 1 if means[ss] else float("nan")
            paired = paired_deviation(drops[label], drops[ss])
            cells.append(f"{of_means:+.1%}; {verdict(*paired)}")
            out.append([point["reorder"], label, means[ss], means[label], of_means, *paired,
                        verdict(*paired).split(" ")[0]])
        prediction = point.get("prediction", float("nan"))
        vs_prediction = means[ss] / prediction - 1 if prediction else float("nan")
        print(f"| {point['reorder']:g} | {prediction:.0f} | "
              + " / ".join(interval(list(drops[label].values())) for label in (ss, ours, model))
              + f" | {cells[0]} | {cells[1]} | {vs_prediction:+.1%} |")
    commits = sorted({str(r["commit"]) for r in rows})
    print(f"\ncommit(s) of the runs: {', '.join(commits)}")
    send_errors = sum(r["send_errors"] or 0 for r in rows)
    print(f"UDP send errors in all runs: {send_errors}")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["reorder", "variant", "strongswan_drops_mean", "variant_drops_mean",
                             "deviation_of_means", "paired_deviation_mean",
                             "paired_deviation_half_width", "seeds", "verdict"])
            writer.writerows(out)


if __name__ == "__main__":
    main()
