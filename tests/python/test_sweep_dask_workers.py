"""tunnelsim sweep --dask-workers N / sweep(dask_workers=N): the sweep starts a local Dask
cluster of N worker processes and runs its points there (issue #19, sweeps on Dask)."""
import json
import os
import subprocess
import sys
import time

import cloudpickle
import pandas as pd
import pytest

import tunnelsim

# The workers are other processes that cannot import this test module: send the runner
# below by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def pid_runner(point):
    """Stands in for a simulation: says which process ran the point."""
    time.sleep(0.3)  # long enough that one worker cannot take every point alone
    results = {"flows": [{"id": "bulk0", "kind": "bulk", "goodput_mbps": 1.0}],
               "worker_pid": os.getpid()}
    return {"results": results, "timeseries_csv": ""}


def _spec(points):
    return {"name": "dask-workers", "scenario": "loss-sweep", "seeds": 1,
            "parameters": {"impairment.access.down.loss": [0.1 * i for i in range(points)]}}


def test_points_run_in_the_local_cluster_worker_processes(tmp_path):
    table = tunnelsim.sweep(_spec(8), out_dir=tmp_path / "s", runner=pid_runner,
                            dask_workers=2, progress=False)
    assert len(table) == 8
    pids = set()
    for point in table["point"]:
        results = json.loads((tmp_path / "s" / "runs" / point / "results.json").read_text())
        pids.add(results["worker_pid"])
    assert len(pids) == 2 and os.getpid() not in pids, pids


def test_dask_workers_is_not_combined_with_a_scheduler(tmp_path):
    with pytest.raises(ValueError, match="not both"):
        tunnelsim.sweep(_spec(1), out_dir=tmp_path / "s", runner=pid_runner, dask_workers=2,
                        scheduler="tcp://127.0.0.1:1", progress=False)
    with pytest.raises(ValueError, match="at least 1"):
        tunnelsim.sweep(_spec(1), out_dir=tmp_path / "s", runner=pid_runner, dask_workers=0,
                        progress=False)


def test_command_line_dask_workers(tunnelsim_cli, python_path_env, tmp_path):
    spec = tmp_path / "study.toml"
    spec.write_text('scenario = "loss-sweep"\nseeds = 1\n[set]\nduration = "1s"\n'
                    '[parameters]\n"impairment.access.down.loss" = [1.0, 2.0]\n')
    env = {**os.environ, **python_path_env, "TUNNELSIM_CLI": str(tunnelsim_cli)}
    done = subprocess.run([sys.executable, "-m", "tunnelsim", "sweep", str(spec), "--out",
                           str(tmp_path / "o"), "--quiet", "--dask-workers", "2"],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "o" / "sweep.csv")
    assert len(table) == 2 and (table["goodput_mbps"] > 0).all()
    for bad in (["--dask-workers", "0"], ["--dask-workers", "2", "--scheduler", "tcp://x:1"]):
        done = subprocess.run([sys.executable, "-m", "tunnelsim", "sweep", str(spec), "--out",
                               str(tmp_path / "o2"), "--quiet", *bad],
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "--dask-workers" in done.stderr
