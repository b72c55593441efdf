"""Goodput versus reordering: mean and 95% CI over seeds, one curve per tunnel and replay
window."""

import sys

import plotlib

NAME = "goodput_vs_reorder"
TITLE = "Goodput versus reordering"


def make(rs, out_dir) -> list:
    table = rs.table
    x = plotlib.reorder_column(table)
    if x is None or "goodput_mbps" not in table.columns:
        return []
    fig, ax = plotlib.plt.subplots()
    for i, (label, colour, sub) in enumerate(plotlib.series(table)):
        agg = plotlib.aggregate(sub, x, "goodput_mbps")
        ax.errorbar(agg[x], agg["mean"], yerr=agg["ci"], label=label, color=colour,
                    marker=plotlib.MARKERS[i % len(plotlib.MARKERS)], capsize=3)
    ax.set_xlabel("reorder probability on the access link (%)")
    ax.set_ylabel("bulk goodput (Mbit/s)")
    ax.set_ylim(bottom=0)
    ax.set_title(TITLE + " (mean, 95% CI over seeds)")
    ax.legend()
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
