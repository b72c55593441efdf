"""The report's story and tables, from a crafted directory of runs whose numbers are known:
the headline sentence and its interval (checked against scipy.stats), summary.csv (mean,
ci95, n, warning), summary.tex, the per-drop attribution, and `tunnelsim report` with
--figure-format/--width."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from tunnelsim import results as ts_results
from tunnelsim import report

GOODPUT = {("none", 64, 0): [80.0, 82.0, 81.0], ("none", 64, 2): [79.0, 80.0, 81.0],
           ("gre-over-ipsec", 32, 0): [80.0, 81.0, 79.0],
           ("gre-over-ipsec", 32, 2): [10.0, 14.0, 12.0]}


def _run(tunnel, window, reorder, seed, goodput):
    drops = 100 * seed if (tunnel != "none" and reorder) else 0
    return {"scenario": {"name": "crafted", "seed": seed, "duration": "6s",
                         "tunnel": {"type": tunnel, "ipsec": {"replay_window": window}},
                         "impairment": {"access": {"down": {"delay": "10ms",
                                                            "reorder": reorder}}}},
            "flows": [{"id": "bulk0", "kind": "bulk", "goodput_mbps": goodput,
                       "retransmissions": 10}],
            "impairments": {"access.down": {"netem": {"packets": 1000, "delivered": 995,
                                                      "lost": 5, "queue_drops": 0}}},
            "tunnel": {"type": tunnel, "counters": {"replay_drops": drops, "auth_failures": 0}},
            "provenance": {"tunnelsim": {"commit": "feedbeef", "dirty": True},
                           "host": {"cpu": "Crafted CPU", "cores": 2}}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    for (tunnel, window, reorder), values in GOODPUT.items():
        for seed, goodput in enumerate(values, start=1):
            directory = root / f"{tunnel}-{window}-{reorder}-{seed}"
            directory.mkdir()
            (directory / "results.json").write_text(
                json.dumps(_run(tunnel, window, reorder, seed, goodput)))
    return root


def _half(values):
    return scipy.stats.t.ppf(0.975, len(values) - 1) * scipy.stats.sem(values)


def test_headline_is_computed_from_the_data(runs):
    found = report.headline(ts_results.load(runs))
    worst = GOODPUT[("gre-over-ipsec", 32, 2)]
    assert found["series"] == "GRE/IPsec, window 32" and found["level"] == 2
    assert found["mean"] == pytest.approx(np.mean(worst))
    assert found["ci"] == pytest.approx(_half(worst), rel=1e-6)
    assert found["n"] == 3
    assert found["best_series"] == "no tunnel"
    assert found["best_mean"] == pytest.approx(80.0)
    sentence = found["sentence"]
    assert (f"GRE/IPsec, window 32 delivered 12.0 ± {_half(worst):.1f} Mbit/s against "
            f"80.0 ± {_half(GOODPUT[('gre-over-ipsec', 32, 0)]):.1f} Mbit/s") in sentence
    assert "85% less" in sentence and "3 seeds per point" in sentence
    assert "no tunnel kept 80.0" in sentence


def test_summary_csv_and_tex(runs, tmp_path):
    report.write_report(runs, tmp_path / "report.html")
    summary = pd.read_csv(runs / "summary.csv", keep_default_na=False)
    assert {"tunnel", "runs", "goodput_mbps_mean", "goodput_mbps_ci95", "goodput_mbps_n",
            "warning"} <= set(summary.columns)
    assert len(summary) == 4
    collapsed = summary[(summary["tunnel"] == "GRE/IPsec, window 32")
                        & (summary["impairment.access.down.reorder"] == 2)].iloc[0]
    assert collapsed["goodput_mbps_mean"] == pytest.approx(12.0)
    assert collapsed["goodput_mbps_ci95"] == pytest.approx(_half([10, 14, 12]), rel=1e-5)
    assert collapsed["goodput_mbps_n"] == 3
    assert "goodput_mbps: 95% interval" in collapsed["warning"]
    clear = summary[(summary["tunnel"] == "no tunnel")
                    & (summary["impairment.access.down.reorder"] == 0)].iloc[0]
    assert "goodput_mbps" not in clear["warning"]  # 81 ± 2.5: within ±15 %
    tex = (runs / "summary.tex").read_text()
    assert "\\begin{tabular}" in tex and "\\toprule" in tex and "\\end{tabular}" in tex
    assert "reorder (\\%)" in tex
    assert "GRE/IPsec, window 32 & 2 & $12 \\pm 5$$^\\dagger$" in tex
    assert "no tunnel & 0 & $81 \\pm 2.5$ &" in tex
    assert tex.count("\\\\") == 1 + 4 + 1  # header, four points, the dagger note


def test_drop_attribution(runs):
    frame = report.drop_attribution(ts_results.load(runs)).set_index("tunnel")
    assert frame.loc["no tunnel", "link loss per run"] == 5
    assert frame.loc["no tunnel", "replay window per run"] == 0
    # window 32: 100, 200, 300 drops at 2 %, none at 0 %: 100 per run over its six runs.
    assert frame.loc["GRE/IPsec, window 32", "replay window per run"] == pytest.approx(100)
    assert np.isnan(frame.loc["no tunnel", "MTU (too big) per run"])  # nothing counts it
    sentence = report._attribution_sentence(frame.reset_index())
    assert "Of 660 packets lost in all runs: link loss 9%, replay window 91%." in sentence
    assert "Not counted by these results: MTU (too big)" in sentence


def test_report_command_writes_paper_formats(runs, tmp_path, python_path_env):
    out = tmp_path / "r.html"
    done = subprocess.run([sys.executable, "-m", "tunnelsim", "report", str(runs), "--out",
                           str(out), "--figure-format", "pdf,pgf", "--width", "column"],
                          env=python_path_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "GRE/IPsec, window 32 delivered 12.0" in done.stdout
    for suffix in ("png", "pdf", "pgf"):
        assert (runs / "figures" / f"goodput_vs_reorder.{suffix}").is_file()
    text = out.read_text()
    assert "feedbeef" in text and "Crafted CPU" in text and "<h2>How to reproduce</h2>" in text
    done = subprocess.run([sys.executable, "-m", "tunnelsim", "report", str(runs),
                           "--figure-format", "tiff"], env=python_path_env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "png, svg, pdf, pgf" in done.stderr
