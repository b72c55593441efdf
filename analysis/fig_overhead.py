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
    for label, colour, sub in plotlib.series(table):
        mean, _half, _n = plotlib.ts_results.mean_ci(sub["overhead_bytes"].tolist())
        if "packets_encapsulated" in sub.columns:
            ratio = (sub["overhead_bytes"] / sub["packets_encapsulated"].where(
                sub["packets_encapsulated"] > 0)).tolist()
            per, _h, _n = plotlib.ts_results.mean_ci(ratio)
        else:
            per = float("nan")
        labels.append(label)
        totals.append(mean / 1e6)
        per_packet.append(per)
        colours.append(colour or "#2166ac")
    fig, (left, right) = plotlib.plt.subplots(1, 2, figsize=(8.0, 3.6))
    left.bar(range(len(labels)), totals, color=colours)
    left.set_ylabel("overhead (MB, mean over runs)")
    right.bar(range(len(labels)), per_packet, color=colours)
    right.set_ylabel("overhead per data packet (bytes)")
    for ax in (left, right):
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=20, ha="right")
    fig.suptitle(TITLE)
    return plotlib.save(fig, out_dir, NAME)


if __name__ == "__main__":
    sys.exit(plotlib.figure_main(make))
