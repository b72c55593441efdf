"""Analytic cross-check: expected ESP replay-window drop rate under netem reordering, against
the drop rate the simulator measured.

Model (tunnelsim.analytic): a packet delayed by D is dropped when one of the packets W..L
after it was sent at once, L = floor(D*R) at R packets/s. R is taken from each run (packets
through the reordering link / active time). Correlated reordering has no closed form; when
the scenario uses it, a Monte Carlo of netem's correlated draws is shown as well.
"""

import math
import sys

import numpy as np

import plotlib
from tunnelsim import analytic

NAME = "replay_drops_analytic"
TITLE = "Replay-window drops: model versus simulation"
LINK = "access.down"


def _run_facts(run):
    imp = run.scenario(f"impairment.{LINK}") or {}
    if "delay" not in imp or "reorder" not in imp:
        return None
    tunnel = run.scenario(plotlib.TUNNEL_KEY)
    window = run.scenario(plotlib.WINDOW_KEY) if tunnel in ("gre-over-ipsec", "ipsec") else None
    netem = run.results.get("impairments", {}).get(LINK, {}).get("netem", {})
    duration = plotlib.parse_duration_s(run.scenario("duration", "0s"))
    starts = [plotlib.parse_duration_s(f.get("start", "0s"))
              for f in (run.scenario("traffic.bulk") or [])] or [0.0]
    active = max(duration - min(starts), 1e-9)
    rate = netem.get("packets", 0) / active if netem else math.nan
    delivered = netem.get("delivered", 0)
    drops = run.results.get("tunnel", {}).get("counters", {}).get("replay_drops")
    return {"tunnel": tunnel, "window": window, "reorder": float(imp["reorder"]),
            "delay": plotlib.parse_duration_s(imp["delay"]), "gap": int(imp.get("gap", 1) or 1),
            "correlation": float(imp.get("reorder_correlation", 0) or 0) / 100.0,
            "rate": rate,
            "sim_fraction": drops / delivered if (drops is not None and delivered) else math.nan}


def make(rs, out_dir, monte_carlo_packets: int = 60_000) -> list:
    facts = [f for f in (_run_facts(r) for r in rs.runs) if f is not None]
    if not facts:
        return []
    ipsec = [f for f in facts if f["window"] is not None]
    windows = sorted({int(f["window"]) for f in ipsec}) or [64]
    rates = [f["rate"] for f in (ipsec or facts) if f["rate"] and not math.isnan(f["rate"])]
    first = (ipsec or facts)[0]
    delay, gap, corr = first["delay"], first["gap"], first["correlation"]
    x_max = max(10.0, max(f["reorder"] for f in facts))
    xs = np.linspace(0.0, x_max, 41)
    fig, ax = plotlib.plt.subplots()
    for i, window in enumerate(windows):
        rate = float(np.median([f["rate"] for f in ipsec if f["window"] == window
                                and not math.isnan(f["rate"])] or rates or [8000.0]))
        colour = plotlib.plt.cm.tab10(i)
        model = [analytic.replay_drop_probability(x / 100.0, delay, rate, window, gap)
                 for x in xs]
        ax.plot(xs, np.array(model) * 100, color=colour,
                label=f"model W={window}, R={rate:.0f} pkt/s, D={delay * 1e3:g} ms, gap {gap}")
        if corr > 0:
            mc_x = np.linspace(0.0, x_max, 9)
            mc = [analytic.monte_carlo_late_fraction(x / 100.0, delay, rate, window, gap, corr,
                                                     n=monte_carlo_packets) for x in mc_x]
            ax.plot(mc_x, np.array(mc) * 100, color=colour, linestyle="--", marker="x",
                    label=f"Monte Carlo, correlation {corr * 100:g}%")
        measured = [f for f in ipsec if f["window"] == window
                    and not math.isnan(f["sim_fraction"])]
        if measured:
            by_x = {}
            for f in measured:
                by_x.setdefault(f["reorder"], []).append(f["sim_fraction"] * 100)
            pts = sorted(by_x.items())
            stats = [plotlib.ts_results.mean_ci(v) for _x, v in pts]
            ax.errorbar([x for x, _v in pts], [s[0] for s in stats], yerr=[s[1] for s in stats],
                        color=colour, marker=plotlib.MARKERS[i % len(plotlib.MARKERS)],
                        linestyle="none", capsize=3, label=f"simulated, W={window}")
    ax.set_xlabel("reorder probability (%)")
    ax.set_ylabel("packets dropped as too old (%)")
    ax.set_ylim(bottom=0)
    ax.set_title(TITLE)
    ax.legend(fontsize=7)
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
