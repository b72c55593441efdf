"""Goodput over time of the bulk flows: where a tunnel collapses under reordering
(representative runs: per tunnel and window, the one with the most reordering)."""

import sys

import plotlib

NAME = "goodput_timeseries"
TITLE = "Goodput over time"


def make(rs, out_dir) -> list:
    fig, ax = plotlib.plt.subplots()
    plotted = 0
    for run in plotlib.representative_runs(rs):
        ts = run.timeseries
        if ts.empty or "goodput_mbps" not in ts.columns:
            continue
        bulk = ts[(ts.get("kind") == "bulk")] if "kind" in ts.columns else ts
        bulk = bulk.dropna(subset=["goodput_mbps"])
        if bulk.empty:
            continue
        total = bulk.groupby("time_s", sort=True)["goodput_mbps"].sum()
        style = plotlib.run_style(run)
        ax.plot(total.index, total.values, label=plotlib.run_label(run), color=style["color"],
                linestyle=style["linestyle"])
        plotted += 1
    if not plotted:
        plotlib.plt.close(fig)
        return []
    ax.set_xlabel("time (s)")
    ax.set_ylabel("bulk goodput (Mbit/s)")
    ax.set_ylim(bottom=0)
    plotlib.title(ax, TITLE)
    plotlib.legend(ax, columns=1 if plotlib.style.current_width() == "column" else 2)
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
