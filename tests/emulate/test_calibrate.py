"""`scripts/calibrate` end to end on one point per stack (--quick: the study's path, no tunnel,
2 % reordering, 2 seeds, 3 s): the sweep runs the ns-3 stock, Linux-like and real-kernel
stacks, and fidelity.csv / fidelity_phases.csv hold one row per stack with the issue's columns
and the means and intervals of the runs behind them. Needs root and /dev/net/tun (skips and
says why elsewhere); about 30 s."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))
from tunnelsim.stats import mean_ci  # noqa: E402

COLUMNS = ["path", "tunnel", "window", "reorder_pct", "stack", "seeds", "mean_mbps", "ci95_mbps"]


def test_calibrate_quick_one_point_per_stack(tunnelsim, emulate_env, tmp_path):
    build = Path(tunnelsim).resolve().parents[2]
    env = dict(os.environ, TUNNELSIM_CLI=tunnelsim)
    env.pop("TUNNELSIM_RESULTS_DIR", None)
    out = tmp_path / "calibration"
    proc = subprocess.run([str(REPO / "scripts" / "calibrate"), str(build), "--quick", "--out",
                           str(out)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ETA" in proc.stdout  # progress with an estimate of the time left

    table = pd.read_csv(out / "fidelity.csv", keep_default_na=False)
    assert list(table.columns) == COLUMNS
    assert sorted(table["stack"]) == ["kernel", "linux", "ns3"]
    assert set(table["path"]) == {"reorder-collapse-3s"}
    assert set(table["tunnel"]) == {"none"}
    assert set(table["window"]) == {""}  # no replay window without ESP
    assert set(table["reorder_pct"].astype(float)) == {2.0}
    assert set(table["seeds"]) == {2}

    # Each row is the mean and Student-t half-width of its stack's runs.
    runs = pd.read_csv(out / "study" / "sweep.csv")
    for _i, row in table.iterrows():
        goodputs = runs[runs["tcp.stack"] == row["stack"]]["goodput_mbps"]
        assert len(goodputs) == 2
        mean, half, _n = mean_ci(goodputs)
        assert float(row["mean_mbps"]) == pytest.approx(mean, abs=1e-3)
        assert float(row["ci95_mbps"]) == pytest.approx(half, abs=1e-3)
        # A 3 s download on the 100 Mbit/s path: slow start and a few seconds of data.
        assert 2.0 < float(row["mean_mbps"]) < 100.0, row
    kernel_runs = [json.loads(p.read_text()) for p in (out / "study" / "runs").glob(
        "*/results.json")]
    assert sum(r["flows"][0].get("tcp_stack") == "kernel" for r in kernel_runs) == 2

    phases = pd.read_csv(out / "fidelity_phases.csv")
    assert sorted(phases["stack"]) == ["kernel", "linux", "ns3"]
    # The run is shorter than 10 s: no steady-state phase, but a short-transfer one.
    assert phases["after10s_mbps"].isna().all()
    assert (phases["first5s_mbps"] > 2.0).all()
