"""analysis/fidelity_points.py: the per-point deviations, the counts (within +/-10 %, among the
points where the kernel's half-width is under 10 %), the collapse ratio and its +/-15 % verdict,
on a crafted reference whose answers are known; the per-seed detail from crafted sweep
directories, with a mismatch between runs and reference reported."""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "analysis"))
import fidelity_points as fp  # noqa: E402

HEADER = """# kernel: Linux 6.18.44, CUBIC
# cpu: test CPU, 2 cores
# date: 2026-12-08 00:00 UTC
# commit: 0123456789012345678901234567890123456789
# seeds: 2 per point
# grid: test grid reorder
"""
ROWS = [
    # tunnel, window, reorder, stack, mean, half-width
    ("none", "", 0, "kernel", 80.0, 1.0), ("none", "", 0, "linux", 84.0, 0.1),
    ("none", "", 0, "ns3", 70.0, 0.1),
    ("none", "", 2, "kernel", 50.0, 20.0), ("none", "", 2, "linux", 60.0, 1.0),
    ("none", "", 2, "ns3", 10.0, 1.0),
    ("gre-over-ipsec", 64, 0, "kernel", 80.0, 0.5), ("gre-over-ipsec", 64, 0, "linux", 80.0, 0.1),
    ("gre-over-ipsec", 64, 0, "ns3", 80.0, 0.1),
    ("gre-over-ipsec", 64, 2, "kernel", 20.0, 1.0), ("gre-over-ipsec", 64, 2, "linux", 15.0, 1.0),
    ("gre-over-ipsec", 64, 2, "ns3", 10.0, 1.0),
]


def write_reference(path):
    lines = ["path,tunnel,window,reorder_pct,stack,seeds,mean_mbps,ci95_mbps"]
    lines += [f"reorder-collapse-6s,{t},{w},{r},{s},2,{m},{h}" for t, w, r, s, m, h in ROWS]
    path.write_text(HEADER + "\n".join(lines) + "\n")
    return path


def test_deviations_counts_and_collapse_ratio(tmp_path):
    table, _header = fp.reference_io.load_reference(write_reference(tmp_path / "ref.csv"))
    points = fp.point_table(table, "reorder-collapse-6s")
    assert len(points) == 4
    by = {(p.tunnel, p.reorder_pct): p for p in points.itertuples()}
    assert by[("none", 0.0)].linux_error_pct == pytest.approx(5.0)
    assert by[("none", 2.0)].linux_error_pct == pytest.approx(20.0)
    assert by[("gre-over-ipsec", 2.0)].linux_error_pct == pytest.approx(-25.0)
    assert by[("none", 2.0)].kernel_rel_hw_pct == pytest.approx(40.0)
    assert [bool(p.within) for p in points.itertuples()] == [True, False, True, False]
    counts = fp.counts(points)
    assert (counts["within"], counts["total"]) == (2, 4)
    assert counts["mean_abs"] == pytest.approx((5 + 20 + 0 + 25) / 4)
    # Kernel half-width under 10 % of its mean: none 0 % (1.25 %), w64 0 % and w64 2 % (5 %).
    assert (counts["tight_within"], counts["tight_total"]) == (2, 3)
    assert counts["stock_within"] == 1  # only w64 at 0 %
    ratios = fp.collapse_ratios(table, "reorder-collapse-6s").set_index("reorder_pct")
    assert ratios.at[2.0, "kernel"] == pytest.approx(0.4)
    assert ratios.at[2.0, "linux"] == pytest.approx(0.25)
    assert ratios.at[2.0, "linux_vs_kernel_pct"] == pytest.approx(-37.5)
    assert not ratios.at[2.0, "within"] and ratios.at[2.0, "same_sign"]
    assert ratios.at[0.0, "linux_vs_kernel_pct"] == pytest.approx(100 * (80 / 84 - 1))
    assert ratios.at[0.0, "within"]
    md = fp.markdown(points)
    assert "| no tunnel | 2 | 10.0 ± 1.0 | 60.0 ± 1.0 | 50.0 ± 20.0 | -80 % | +20 % | **no** " \
        "| no |" in md


def make_sweep(directory, runs):
    """A sweep directory: sweep.csv and runs/<point>/ (results.json, timeseries.csv)."""
    rows = []
    for i, (stack, seed, goodput, series) in enumerate(runs):
        point = f"p{i:03d}"
        run = directory / "runs" / point
        run.mkdir(parents=True)
        flow = {"id": "bulk0", "kind": "bulk", "goodput_mbps": goodput, "retransmissions": 3,
                "rtt_ms": {"min": 40.0}}
        if stack == "kernel":
            flow["kernel_tcp_info"] = {"snd_mss": 1000, "reordering": 9, "total_retrans": 3}
        (run / "results.json").write_text(json.dumps({
            "scenario": {"name": "reorder-collapse", "tcp": {"stack": stack,
                                                              "segment_size": 1000}},
            "flows": [flow]}))
        series.to_csv(run / "timeseries.csv", index=False)
        rows.append({"point": point, "tunnel.type": "none", "tunnel.ipsec.replay_window": 64,
                     "tcp.stack": stack, "impairment.access.down.reorder": 2.0,
                     "duration": "6s", "seed": seed, "goodput_mbps": goodput,
                     "flows.bulk0.kernel_tcp_info.reordering": 9 if stack == "kernel" else None,
                     "flows.bulk0.retransmissions": 3})
    directory.mkdir(exist_ok=True)
    pd.DataFrame(rows).to_csv(directory / "sweep.csv", index=False)


def series(ssthresh_at):
    times = [0.1 * i for i in range(1, 21)]
    return pd.DataFrame({"time_s": times, "flow": "bulk0", "kind": "bulk",
                         "goodput_mbps": 1.0, "cwnd_bytes": [10000.0 * i for i in range(1, 21)],
                         "ssthresh_segments": [150.0 if t >= ssthresh_at - 1e-9 else None
                                               for t in times]})


def test_seed_detail_and_run_check(tmp_path, capsys):
    ref = write_reference(tmp_path / "ref.csv")
    make_sweep(tmp_path / "k", [("kernel", 1, 40.0, series(0.5)),
                                ("kernel", 2, 60.0, series(0.8))])
    make_sweep(tmp_path / "m", [("linux", 1, 70.0, series(1.2)),
                                ("linux", 2, 50.0, series(9.9)),
                                ("kernel", 1, 1.0, series(0.1))])  # not taken: ':linux'
    code = fp.main(["--reference", str(ref), "--runs", f"{tmp_path / 'k'}:kernel",
                    "--runs", f"{tmp_path / 'm'}:linux", "--csv", str(tmp_path / "p.csv")])
    out = capsys.readouterr().out
    assert code == 0
    assert "within ±10 % of the kernel at 2 of 4 points" in out
    assert "kernel per seed (1,2): 40.0, 60.0 Mbit/s" in out
    assert "linux per seed (1,2): 70.0, 50.0 Mbit/s" in out
    assert "left slow start at 0.50 s (ssthresh 150 segments, ssthresh set)" in out
    assert "never left slow start" in out  # the model's seed 2: ssthresh only after the end
    assert "reordering=9" in out
    assert "warning" not in out  # the runs average 50 and 60: the reference's rows
    assert len(pd.read_csv(tmp_path / "p.csv")) == 4
    # Runs that are not the reference's: said so.
    make_sweep(tmp_path / "x", [("linux", 1, 10.0, series(1.0))])
    fp.main(["--reference", str(ref), "--runs", str(tmp_path / "x")])
    assert "not the runs behind the row" in capsys.readouterr().out


def test_bad_reference_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("path,tunnel\n")
    assert fp.main(["--reference", str(bad)]) == 2
    assert "header" in capsys.readouterr().err
