"""analysis/window_cap.py (issue 16 part 6): the predicted cap W·MSS/Δ on known numbers, and
the table built from a tiny synthetic sweep directory (grouping by stack, rate, Δ and window,
the no-tunnel baseline of the same stack, rate and Δ, the load x, the collapse verdicts)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ANALYSIS = Path(__file__).resolve().parents[2] / "analysis"
sys.path.insert(0, str(ANALYSIS))
import window_cap  # noqa: E402


def test_cap_formula_on_known_numbers():
    # 32 segments of 1348 bytes in 5 ms: 32 * 1348 * 8 / 0.005 = 69 017 600 bit/s.
    assert window_cap.predicted_cap_mbps(32, 1348, 0.005) == pytest.approx(69.0176)
    # Twice the window doubles it; twice the hold halves it.
    assert window_cap.predicted_cap_mbps(64, 1348, 0.005) == pytest.approx(138.0352)
    assert window_cap.predicted_cap_mbps(32, 1348, 0.010) == pytest.approx(34.5088)
    assert window_cap.predicted_cap_mbps(128, 1000, 0.020) == pytest.approx(51.2)
    with pytest.raises(ValueError):
        window_cap.predicted_cap_mbps(32, 1348, 0.0)


def test_rate_strings():
    assert window_cap.parse_rate_mbps("25Mbps") == 25.0
    assert window_cap.parse_rate_mbps("1Gbps") == 1000.0
    assert window_cap.parse_rate_mbps("500kbit") == 0.5
    with pytest.raises(ValueError):
        window_cap.parse_rate_mbps("fast")


def _results(stack, tunnel, window, rate, delta_ms, seed, goodput, drops=0):
    return {
        "scenario": {"seed": seed,
                     "tunnel": {"type": tunnel, "ipsec": {"replay_window": window}},
                     "topology": {"access_down_rate": f"{rate}Mbps"},
                     "impairment": {"access": {"down": {"delay": f"{delta_ms}ms",
                                                        "reorder": 2}}},
                     "tcp": {"stack": stack, "segment_size": 1348}},
        "flows": [{"kind": "bulk", "goodput_mbps": goodput},
                  {"kind": "ping", "rtt_ms": {}}],
        "tunnel": {"counters": {"replay_drops": drops}},
        "provenance": {"tunnelsim": {"describe": "abc1234"}, "host": {"kernel": "6.1.0"}},
    }


# (stack, tunnel, window, rate Mbit/s, Δ ms) -> goodput of seeds 1 and 2
SYNTHETIC = {
    ("linux", "none", 64, 50, 5): (40.0, 44.0),
    ("linux", "gre-over-ipsec", 32, 50, 5): (10.0, 12.0),     # x 0.72, collapsed
    ("linux", "gre-over-ipsec", 128, 50, 5): (39.0, 41.0),    # x 0.18
    ("linux", "none", 64, 50, 20): (30.0, 30.0),
    ("linux", "gre-over-ipsec", 32, 50, 20): (6.0, 6.0),      # x 2.90, collapsed
    ("kernel", "none", 64, 50, 5): (80.0, 80.0),              # another stack's baseline
    ("kernel", "gre-over-ipsec", 32, 50, 5): (50.0, 54.0),    # x 0.72, not collapsed
}


@pytest.fixture
def sweep_dir(tmp_path):
    for i, ((stack, tunnel, window, rate, delta), goodputs) in enumerate(SYNTHETIC.items()):
        for seed, goodput in enumerate(goodputs, start=1):
            run = tmp_path / "runs" / f"p{i}s{seed}"
            run.mkdir(parents=True)
            (run / "results.json").write_text(json.dumps(
                _results(stack, tunnel, window, rate, delta, seed, goodput, drops=(seed - 1) * 10)))
    return tmp_path


def _point(table, stack, window, delta):
    [p] = [p for p in table
           if (p["stack"], p["window"], p["delta_ms"]) == (stack, window, delta)]
    return p


def test_table_groups_points_and_uses_the_matching_baseline(sweep_dir):
    table = window_cap.build_table(window_cap.load(sweep_dir))
    assert len(table) == 4  # ESP points only; no-tunnel runs are baselines
    p = _point(table, "linux", 32, 5.0)
    assert p["seeds"] == 2 and p["goodput_mbps"] == pytest.approx(11.0)
    assert p["baseline_mbps"] == pytest.approx(42.0)  # linux, 50 Mbit/s, 5 ms, not kernel's 80
    assert p["ratio"] == pytest.approx(11.0 / 42.0)
    assert p["cap_mbps"] == pytest.approx(69.0176)
    assert p["load_x"] == pytest.approx(50 / 69.0176)
    assert p["replay_drops"] == pytest.approx(5.0) and p["runs_with_drops"] == 1
    assert p["sender_x"] == pytest.approx(42.0 / 69.0176)
    assert p["collapsed"] is True
    # 95 % Student-t half width of (10, 12): t(0.975, 1) * 1 = 12.706
    assert p["ci95_mbps"] == pytest.approx(12.706, rel=1e-3)
    # Δ 20 ms has its own baseline (30), not the 5 ms one
    q = _point(table, "linux", 32, 20.0)
    assert q["ratio"] == pytest.approx(0.2) and q["load_x"] == pytest.approx(50 / 17.2544)
    k = _point(table, "kernel", 32, 5.0)
    assert k["ratio"] == pytest.approx(52.0 / 80.0) and k["collapsed"] is False
    assert _point(table, "linux", 128, 5.0)["collapsed"] is False
    # sorted: model first, by load
    assert [p["stack"] for p in table] == ["linux", "linux", "linux", "kernel"]
    assert [p["load_x"] for p in table[:3]] == sorted(p["load_x"] for p in table[:3])


def test_onset_and_disagreement(sweep_dir):
    table = window_cap.build_table(window_cap.load(sweep_dir))
    onset = window_cap.collapse_onset(table, "linux")
    assert onset["affected"] == 2 and onset["points"] == 3
    assert onset["smallest_affected_x"] == pytest.approx(50 / 69.0176)
    assert onset["largest_unaffected_x"] == pytest.approx(50 / 276.0704)
    assert onset["overlap"] == []
    # every synthetic run has drops: all points affected by that verdict
    assert window_cap.collapse_onset(table, "kernel", verdict="drops")["affected"] == 1
    # along the sender's x (no-tunnel goodput / cap): 42 / 69.0176 and 30 / 17.2544
    by_sender = window_cap.collapse_onset(table, "linux", x_key="sender_x")
    assert by_sender["smallest_affected_x"] == pytest.approx(42 / 69.0176)
    assert by_sender["largest_unaffected_x"] == pytest.approx(42 / 276.0704)
    [(model, kernel)] = window_cap.disagreements(table)
    assert (model["window"], model["delta_ms"], kernel["stack"]) == (32, 5.0, "kernel")
    text = window_cap.markdown(table)
    assert "disagree (one collapsed, the other not) at 1 point(s)" in text
    rows = window_cap.side_by_side(table).splitlines()[2:]
    assert len(rows) == 3  # (50, 5, 128), (50, 5, 32), (50, 20, 32), by x
    assert rows[1].startswith("| 0.72 | 50 | 5 | 32 | 11.0 ± 12.7 | 0.26 | 1/2 | "
                              "52.0 ± 25.4 | 0.65")
    assert rows[2].endswith("| - | - | - |")  # no kernel run at 20 ms
    # a stricter threshold changes the verdicts
    strict = window_cap.build_table(window_cap.load(sweep_dir), collapse_below=0.1)
    assert not any(p["collapsed"] for p in strict)


def test_script_writes_table_and_figure(sweep_dir, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(ANALYSIS / "window_cap.py"), str(sweep_dir),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out / "window_cap.png").is_file() and (out / "window_cap.csv").is_file()
    lines = (out / "window_cap.csv").read_text().splitlines()
    assert len(lines) == 5 and lines[0].startswith("stack,rate_mbps,delta_ms,window")
    assert math.isclose(float(lines[1].split(",")[5]), 50 / 276.0704, rel_tol=1e-6)


def test_several_directories_count_each_run_once(sweep_dir, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(ANALYSIS / "window_cap.py"), str(sweep_dir),
                           str(sweep_dir), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    header, *rows = (out / "window_cap.csv").read_text().splitlines()
    seeds = header.split(",").index("seeds")
    assert [row.split(",")[seeds] for row in rows] == ["2"] * 4


def test_empty_directory_is_a_clear_error(tmp_path):
    done = subprocess.run([sys.executable, str(ANALYSIS / "window_cap.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no runs/*/results.json" in done.stderr
