"""Tunnel overhead: bytes added on the wire, in total and per encapsulated packet."""

import sys

import plotlib

NAME = "overhead"
TITLE = "Tunnel overhead"


def make(rs, out_dir) -> list:
    table = rs.table
    if "overhead_bytes" not in table.columns or not (table["overhead_bytes"].fillna(0) > 0).any():
        return []
    labels, totals, per_packet, colours = [], [], [], []
    for label, style, sub in plotlib.series(table):
        total = plotlib.point_stats((sub["overhead_bytes"] / 1e6).tolist())
        if "packets_encapsulated" in sub.columns:
            ratio = (sub["overhead_bytes"] / sub["packets_encapsulated"].where(
                sub["packets_encapsulated"] > 0)).tolist()
            per = plotlib.point_stats(ratio)
        else:
            per = {"mean": float("nan"), "ci": float("nan"), "n": 0, "wide": False}
        labels.append(label)
        totals.append(total)
        per_packet.append(per)
        colours.append(style["color"])
    fig, (left, right) = plotlib.plt.subplots(1, 2, figsize=plotlib.figsize(aspect=0.9,
                                                                             panels=2))
    for ax, points in ((left, totals), (right, per_packet)):
        ax.bar(range(len(labels)), [p["mean"] for p in points], color=colours,
               yerr=plotlib.style.yerr(points), capsize=2.5, ecolor="#333333")
        plotlib.style.mark_wide(ax, range(len(labels)), points, "#333333")
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=30, ha="right")
    left.set_ylabel("overhead per run (MB)")
    right.set_ylabel("overhead per data packet (bytes)")
    plotlib.suptitle(fig, TITLE)
    plotlib.interval_note(fig, totals)
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
