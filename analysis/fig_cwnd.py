"""Congestion window traces of the bulk flows (representative runs: per tunnel and window,
the one with the most reordering)."""

import sys

import plotlib

NAME = "cwnd"
TITLE = "Congestion window"


def make(rs, out_dir) -> list:
    fig, ax = plotlib.plt.subplots()
    plotted = 0
    for run in plotlib.representative_runs(rs):
        ts = run.timeseries
        if ts.empty or "cwnd_bytes" not in ts.columns:
            continue
        rows = ts.dropna(subset=["cwnd_bytes"])
        style = plotlib.run_style(run)
        for flow, sub in rows.groupby("flow", sort=True) if "flow" in rows.columns else []:
            ax.step(sub["time_s"], sub["cwnd_bytes"] / 1024.0, where="post",
                    color=style["color"], linestyle=style["linestyle"],
                    label=f"{plotlib.run_label(run)} ({flow})")
            plotted += 1
    if not plotted:
        plotlib.plt.close(fig)
        return []
    ax.set_xlabel("time (s)")
    ax.set_ylabel("congestion window (KiB)")
    ax.set_ylim(bottom=0)
    plotlib.title(ax, TITLE)
    plotlib.legend(ax, columns=1 if plotlib.style.current_width() == "column" else 2)
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
