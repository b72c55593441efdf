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
    # Horizontal bars, one panel above the other: the tunnel names fit a paper column.
    width = plotlib.figsize()[0]
    fig, (top, bottom) = plotlib.plt.subplots(
        2, 1, figsize=(width, 1.0 + 0.36 * len(labels)), sharey=True)
    positions = list(range(len(labels)))
    for ax, points in ((top, totals), (bottom, per_packet)):
        ax.barh(positions, [p["mean"] for p in points], color=colours,
                xerr=plotlib.style.yerr(points), capsize=2.5, ecolor="#333333")
        wide = [(p["mean"], y) for p, y in zip(points, positions) if p["wide"]]
        if wide:
            ax.scatter([w[0] for w in wide], [w[1] for w in wide], s=110,
                       facecolors="none", edgecolors="#333333", linewidths=1.0, zorder=4)
        ax.set_yticks(positions)
        ax.set_yticklabels(labels)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
    top.set_xlabel("overhead per run (MB)")
    bottom.set_xlabel("overhead per data packet (bytes)")
    plotlib.suptitle(fig, TITLE)
    plotlib.interval_note(fig, totals)
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
