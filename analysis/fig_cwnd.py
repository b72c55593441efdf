"""Congestion window traces of the bulk flows."""

import sys

import plotlib

NAME = "cwnd"
TITLE = "Congestion window"


def make(rs, out_dir) -> list:
    fig, ax = plotlib.plt.subplots()
    plotted = 0
    for i, run in enumerate(plotlib.representative_runs(rs)):
        ts = run.timeseries
        if ts.empty or "cwnd_bytes" not in ts.columns:
            continue
        rows = ts.dropna(subset=["cwnd_bytes"])
        for flow, sub in rows.groupby("flow", sort=True) if "flow" in rows.columns else []:
            colour = plotlib.TUNNEL_COLOURS.get(str(run.scenario(plotlib.TUNNEL_KEY)))
            ax.step(sub["time_s"], sub["cwnd_bytes"] / 1024.0, where="post", color=colour,
                    linestyle=["-", "--", ":", "-."][i % 4],
                    label=f"{plotlib.run_label(run)} ({flow})")
            plotted += 1
    if not plotted:
        plotlib.plt.close(fig)
        return []
    ax.set_xlabel("time (s)")
    ax.set_ylabel("cwnd (KiB)")
    ax.set_ylim(bottom=0)
    ax.set_title(TITLE)
    ax.legend()
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
