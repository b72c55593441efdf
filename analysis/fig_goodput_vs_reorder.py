"""Goodput versus reordering: mean and 95 % interval over seeds, one curve per tunnel and
replay window; ringed points have an interval wider than ±15 % of their mean."""

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
    highest_mean = 0.0
    levels = set()
    every_point = []
    for label, style, sub in plotlib.series(table):
        agg = plotlib.aggregate(sub, x, "goodput_mbps")
        points = plotlib.points_of(agg)
        plotlib.errorbars(ax, agg[x], points, style, label)
        every_point += points
        highest_mean = max(highest_mean, float(agg["mean"].max()))
        levels.update(float(v) for v in agg[x])
    plotlib.symlog_reorder_axis(ax, levels)
    ax.set_xlabel("reorder probability on the access link (%)")
    ax.set_ylabel("bulk goodput (Mbit/s)")
    # With few seeds a t-based interval can reach past the link rate, so the axis stops above
    # the highest mean instead of stretching to the widest interval.
    ax.set_ylim(0, highest_mean * 1.25 if highest_mean > 0 else None)
    plotlib.title(ax, TITLE)
    plotlib.legend(ax)
    plotlib.interval_note(fig, every_point,
                          extra=plotlib.wide_reason(rs, every_point, "goodput_mbps"))
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
