#!/usr/bin/python3
"""The strongSwan comparison table (issue 17 part 3; docs/gre-ipsec.md): reads a finished
`tunnelsim sweep scenarios/library/sweeps/strongswan-vs-model.toml` and prints, per reorder
level, the mean goodput and ESP replay drops of the three variants over their seeds, and
whether strongSwan's ESP under real Linux TCP is within +-10 % of our ESP under real Linux
TCP and of the ns-3 model (both with a 128-packet window).

    analysis/strongswan_vs_model.py SWEEP_DIR [--csv OUT.csv]

Drops are what each receiver's window dropped: charon's own (one log line per packet,
tunnel.counters.replay_drops; the relay's window-128 analysis of the same packets beside it),
our ESP core's in the relay, the ns-3 gateway's core in the model."""
import argparse
import csv
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from tunnelsim import stats  # noqa: E402

VARIANTS = [("strongswan", "kernel", "strongSwan ESP, Linux TCP"),
            ("gre-over-ipsec", "kernel", "our ESP, Linux TCP"),
            ("gre-over-ipsec", "linux", "our ESP, ns-3 model")]
TOLERANCE = 0.10


def load(sweep: Path):
    rows = []
    for path in sorted(sweep.glob("runs/*/results.json")):
        r = json.loads(path.read_text())
        s = r["scenario"]
        bulk = next(f for f in r["flows"] if f["kind"] == "bulk")
        analysis = r.get("emulation", {}).get("esp_replay_analysis", {})
        rows.append({
            "tunnel": s["tunnel"]["type"], "stack": s["tcp"]["stack"],
            "reorder": float(s["impairment"]["access"]["down"]["reorder"]), "seed": s["seed"],
            "goodput_mbps": bulk["goodput_mbps"],
            "replay_drops": r["tunnel"]["counters"]["replay_drops"],
            "analysis_128": analysis.get("window_128_drops"),
            "commit": r.get("provenance", {}).get("tunnelsim", {}).get("describe"),
        })
    return rows


def mean(values):
    return statistics.fmean(values) if values else float("nan")


def interval(values) -> str:
    mean_value, half_width, _ = stats.mean_ci(values)
    return f"{mean_value:.1f} ± {half_width:.1f}" if len(values) > 1 else f"{mean_value:.1f}"


def p_value(a, b) -> str:
    """Mann-Whitney U two-sided p of two variants' runs ('-' when both are all equal)."""
    if len(set(a) | set(b)) <= 1:
        return "-"
    return f"{stats.mann_whitney_u(a, b)[1]:.2f}"


def within(a: float, b: float) -> str:
    if a == 0 and b == 0:
        return "yes (both 0)"
    if b == 0:
        return "no"
    ratio = (a - b) / b
    return f"{'yes' if abs(ratio) <= TOLERANCE else 'no'} ({ratio:+.0%})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep")
    parser.add_argument("--csv")
    args = parser.parse_args()
    rows = load(Path(args.sweep))
    if not rows:
        sys.exit(f"strongswan_vs_model: no runs/*/results.json in {args.sweep}")
    table = []
    for reorder in sorted({r["reorder"] for r in rows}):
        point = {"reorder": reorder}
        for tunnel, stack, label in VARIANTS:
            runs = [r for r in rows
                    if (r["reorder"], r["tunnel"], r["stack"]) == (reorder, tunnel, stack)]
            point[label] = {
                "seeds": len(runs),
                "goodput": mean([r["goodput_mbps"] for r in runs]),
                "goodput_runs": [round(r["goodput_mbps"], 1) for r in runs],
                "drops": mean([r["replay_drops"] for r in runs]),
                "drops_runs": [r["replay_drops"] for r in runs],
                "analysis": [r["analysis_128"] for r in runs],
            }
        table.append(point)

    ss, ours, model = (label for _, _, label in VARIANTS)
    print("| reorder % | variant | seeds | goodput Mbit/s (mean; runs) | replay drops "
          "(mean; runs) | relay's window-128 analysis |")
    print("| ---: | --- | ---: | --- | --- | --- |")
    for point in table:
        for _, _, label in VARIANTS:
            v = point[label]
            analysis = ", ".join("-" if a is None else str(a) for a in v["analysis"])
            print(f"| {point['reorder']:g} | {label} | {v['seeds']} | {v['goodput']:.1f}; "
                  f"{', '.join(map(str, v['goodput_runs']))} | {v['drops']:.0f}; "
                  f"{', '.join(map(str, v['drops_runs']))} | {analysis} |")
    print()
    print("| reorder % | goodput, 95 % interval: strongSwan / our ESP / model | drops, 95 % "
          "interval: strongSwan / our ESP / model | Mann-Whitney p, strongSwan vs our ESP: "
          "goodput, drops | vs model: goodput, drops |")
    print("| ---: | --- | --- | --- | --- |")
    for point in table:
        a, b, c = point[ss], point[ours], point[model]
        print(f"| {point['reorder']:g} | "
              + " / ".join(interval(v["goodput_runs"]) for v in (a, b, c)) + " | "
              + " / ".join(interval(v["drops_runs"]) for v in (a, b, c)) + " | "
              + f"{p_value(a['goodput_runs'], b['goodput_runs'])}, "
              + f"{p_value(a['drops_runs'], b['drops_runs'])} | "
              + f"{p_value(a['goodput_runs'], c['goodput_runs'])}, "
              + f"{p_value(a['drops_runs'], c['drops_runs'])} |")
    print()
    print("| reorder % | drops: strongSwan vs our ESP (Linux TCP) | goodput: strongSwan vs our "
          "ESP | drops: strongSwan vs ns-3 model | goodput: strongSwan vs ns-3 model |")
    print("| ---: | --- | --- | --- | --- |")
    out = []
    for point in table:
        a, b, c = point[ss], point[ours], point[model]
        verdicts = [within(a["drops"], b["drops"]), within(a["goodput"], b["goodput"]),
                    within(a["drops"], c["drops"]), within(a["goodput"], c["goodput"])]
        print(f"| {point['reorder']:g} | " + " | ".join(verdicts) + " |")
        out.append([point["reorder"], a["goodput"], a["drops"], b["goodput"], b["drops"],
                    c["goodput"], c["drops"], *verdicts])
    commits = sorted({str(r["commit"]) for r in rows})
    print(f"\ncommit(s) of the runs: {', '.join(commits)}")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["reorder", "strongswan_goodput", "strongswan_drops",
                             "ours_kernel_goodput", "ours_kernel_drops", "model_goodput",
                             "model_drops", "drops_vs_ours", "goodput_vs_ours",
                             "drops_vs_model", "goodput_vs_model"])
            writer.writerows(out)


if __name__ == "__main__":
    main()
