"""Analytic cross-check: the ESP replay-window drop rate the model predicts for a constant-rate
UDP stream under netem-style reordering, against the rate the simulator measured.

Model (tunnelsim.analytic): a packet delayed by D is dropped when one of the packets W..L
after it was sent at once, L = floor(D*R) at R packets/s. It holds for a flow whose rate does
not react to the drops, so the figure uses only runs whose traffic is constant-rate UDP
(scenarios/library/sweeps/replay-window-udp.toml in `make reproduce`); R is each run's UDP packets
sent divided by the flow's active time, and the figure states the
model's inputs. TCP runs are left out: a TCP sender slows down when the window drops its
packets, so its packet rate during the reordering is not the R the model needs, and the
model would be drawn against the wrong input. Correlated reordering has no closed form; when
the runs use it, a Monte Carlo of netem's correlated draws is drawn as well.
"""

import math
import sys

import numpy as np
import pandas as pd

import plotlib
from tunnelsim import analytic

NAME = "replay_drops_analytic"
TITLE = "Replay-window drops, model and simulation (constant-rate UDP)"
LINK = "access.down"


def _constant_rate_span(run):
    """(start, end, packets sent) of the run's UDP flows, or None when the run has other bulk
    traffic."""
    flows = run.results.get("flows", [])
    udp = [f for f in flows if f.get("kind") == "udp"]
    if not udp or any(f.get("kind") == "bulk" for f in flows):
        return None
    start = min(float(f.get("start_s", 0.0)) for f in udp)
    end = max(float(f.get("end_s", 0.0)) for f in udp)
    sent = sum(int(f.get("packets_sent", 0)) for f in udp)
    return (start, end, sent) if end > start else None


def run_facts(run):
    """The model's inputs and the simulated drop fraction of one constant-rate run."""
    span = _constant_rate_span(run)
    imp = run.scenario(f"impairment.{LINK}") or {}
    tunnel = run.scenario(plotlib.TUNNEL_KEY)
    if span is None or "delay" not in imp or "reorder" not in imp or tunnel not in (
            "gre-over-ipsec", "ipsec"):
        return None
    netem = run.results.get("impairments", {}).get(LINK, {}).get("netem", {})
    packets, delivered = netem.get("packets", 0), netem.get("delivered", 0)
    drops = run.results.get("tunnel", {}).get("counters", {}).get("replay_drops")
    if not packets or not delivered or drops is None:
        return None
    return {"window": int(run.scenario(plotlib.WINDOW_KEY)), "reorder": float(imp["reorder"]),
            "delay": plotlib.parse_duration_s(imp["delay"]), "gap": int(imp.get("gap", 1) or 1),
            "correlation": float(imp.get("reorder_correlation", 0) or 0) / 100.0,
            # The sender's rate; the link's count misses the packets still in flight at the end.
            "rate": (span[2] or packets) / (span[1] - span[0]),
            "sim_percent": 100.0 * drops / delivered}


def _facts(rs) -> pd.DataFrame:
    rows = [f for f in (run_facts(r) for r in rs.runs) if f is not None]
    return pd.DataFrame(rows)


def table(rs):
    """Per window and reorder level: the model's inputs, its prediction and the simulated
    drops (mean, 95 % half width, seeds); None when no run is constant-rate UDP."""
    facts = _facts(rs)
    if facts.empty:
        return None
    rows = []
    for (window, reorder), sub in facts.groupby(["window", "reorder"], sort=True):
        rate = float(sub["rate"].median())
        delay, gap = float(sub["delay"].iloc[0]), int(sub["gap"].iloc[0])
        point = plotlib.point_stats(sub["sim_percent"])
        model = 100.0 * analytic.replay_drop_probability(reorder / 100.0, delay, rate, window,
                                                         gap)
        rows.append({"window": window, "reorder %": reorder, "R pkt/s": rate,
                     "D ms": delay * 1e3, "gap": gap, "model drop %": model,
                     "simulated drop %": point["mean"], "simulated ±": point["ci"],
                     "seeds": point["n"],
                     "model in interval": abs(point["mean"] - model) <= (
                         point["ci"] if math.isfinite(point["ci"]) else 0.0)})
    return pd.DataFrame(rows)


def make(rs, out_dir, monte_carlo_packets: int = 60_000) -> list:
    facts = _facts(rs)
    if facts.empty:
        return []
    windows = sorted(facts["window"].unique())
    delay = float(facts["delay"].median())
    gap = int(facts["gap"].iloc[0])
    corr = float(facts["correlation"].max())
    x_max = max(10.0, float(facts["reorder"].max()))
    xs = np.linspace(0.0, x_max, 81)
    fig, ax = plotlib.plt.subplots()
    every_point, rates = [], []
    for window in windows:
        sub = facts[facts["window"] == window]
        rate = float(sub["rate"].median())
        rates.append(rate)
        style = plotlib.tunnel_style("gre-over-ipsec", window)
        model = [analytic.replay_drop_probability(x / 100.0, delay, rate, window, gap)
                 for x in xs]
        ax.plot(xs, np.array(model) * 100, color=style["color"], linestyle=style["linestyle"],
                linewidth=1.0, label=f"model, window {window}")
        if corr > 0:
            mc_x = np.linspace(0.0, x_max, 9)
            mc = [analytic.monte_carlo_late_fraction(x / 100.0, delay, rate, window, gap, corr,
                                                     n=monte_carlo_packets) for x in mc_x]
            ax.plot(mc_x, np.array(mc) * 100, color=style["color"], linestyle=":", marker="x",
                    label=f"Monte Carlo, window {window}")
        levels = sorted(sub["reorder"].unique())
        points = [plotlib.point_stats(sub[sub["reorder"] == x]["sim_percent"]) for x in levels]
        plotlib.errorbars(ax, levels, points, {**style, "linestyle": "none"},
                          f"simulated, window {window}")
        every_point += points
    ax.set_xlabel("reorder probability on the access link (%)")
    ax.set_ylabel("replay-window drops (% of packets)")
    ax.set_ylim(bottom=0)
    plotlib.title(ax, TITLE)
    spread = f"{min(rates):.0f}" + (f"-{max(rates):.0f}" if max(rates) - min(rates) >= 1
                                     else "")
    inputs = (f"Model inputs: R = {spread} packets/s (each run's UDP packet rate), "
              f"D = {delay * 1e3:g} ms, gap {gap}, "
              + (f"reorder correlation {corr * 100:g} %" if corr > 0 else "no correlation")
              + f", W = {', '.join(str(w) for w in windows)} packets.")
    plotlib.legend(ax, columns=2)
    plotlib.interval_note(fig, every_point, extra=inputs)
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
