#!/usr/bin/python3
"""Tabulates the baseline runs and plots their goodput: one bar per seed."""
import csv
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(results_dir: str, csv_path: str, png_path: str) -> None:
    runs = []
    for path in sorted(Path(results_dir).glob("seed-*.json")):
        result = json.loads(path.read_text())
        runs.append((result["seed"], result["flows"][0]["goodput_mbps"]))
    if not runs:
        sys.exit(f"baseline_summary: no seed-*.json in {results_dir}")
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["seed", "goodput_mbps"])
        writer.writerows(runs)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.bar([str(seed) for seed, _ in runs], [g for _, g in runs], color="#4c72b0")
    ax.set_xlabel("seed")
    ax.set_ylabel("goodput (Mbit/s)")
    ax.set_title("Untunnelled TCP bulk transfer, home-to-work path")
    fig.tight_layout()
    fig.savefig(png_path, dpi=150)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: baseline_summary.py RESULTS_DIR SUMMARY_CSV FIGURE_PNG")
    main(*sys.argv[1:])
