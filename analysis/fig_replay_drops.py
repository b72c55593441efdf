"""Replay-window drops versus reordering: mean and 95 % interval over seeds, per tunnel and
window; ringed points have an interval wider than ±15 % of their mean."""

import sys

import plotlib

NAME = "replay_drops_vs_reorder"
TITLE = "Replay drops versus reordering"


def make(rs, out_dir) -> list:
    table = rs.table
    x = plotlib.reorder_column(table)
    if x is None or "replay_drops" not in table.columns:
        return []
    fig, ax = plotlib.plt.subplots()
    every_point, levels = [], set()
    for label, style, sub in plotlib.series(table):
        agg = plotlib.aggregate(sub, x, "replay_drops")
        points = plotlib.points_of(agg)
        plotlib.errorbars(ax, agg[x], points, style, label)
        every_point += points
        levels.update(float(v) for v in agg[x])
    plotlib.symlog_reorder_axis(ax, levels)
    ax.set_xlabel("reorder probability on the access link (%)")
    ax.set_ylabel("replay drops (packets/run)")
    ax.set_ylim(bottom=0)
    plotlib.title(ax, TITLE)
    plotlib.legend(ax)
    plotlib.interval_note(fig, every_point,
                          extra=plotlib.wide_reason(rs, every_point, "replay_drops"))
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
