"""Sweeps: grid/zip specs, local runs with resume (a fake runner and the real CLI), the same
sweep on a local Dask cluster, and the `python3 -m tunnelsim sweep` command."""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import tunnelsim
from tunnelsim.results import WALL_CLOCK_COLUMNS
from tunnelsim.sweep import SweepError, SweepSpec

CALLS = []
_LOCK = threading.Lock()


def fake_runner(point):
    """Results shaped like results.json, computed from the point's overrides."""
    with _LOCK:
        CALLS.append(point["id"])
    o = point["overrides"]
    reorder = float(o.get("impairment.access.down.reorder", 0))
    goodput = 100.0 / (1.0 + reorder) + point["seed"] * 0.01
    return {"results": {
        "scenario": {"name": "fake", "seed": point["seed"],
                     "tunnel": {"type": o.get("tunnel.type", "none")}},
        "flows": [{"id": "bulk0", "kind": "bulk", "goodput_mbps": goodput, "retransmissions": 3}],
        "tunnel": {"type": o.get("tunnel.type", "none"),
                   "counters": {"replay_drops": int(reorder * 10), "overhead_bytes": 1000}},
        "versions": {"tunnelsim": "test"}},
        "timeseries_csv": "time_s,flow,kind,goodput_mbps,cwnd_bytes,rtt_ms\n"
                          f"0.1,bulk0,bulk,{goodput},14480,40\n"}


FAKE_SPEC = {"name": "fake", "scenario": {"name": "fake", "duration": "1s"}, "seeds": 2,
             "set": {"duration": "1s"},
             "parameters": {"tunnel.type": ["wireguard", "gre-over-ipsec"],
                            "impairment.access.down.reorder": [0, 5]}}


def test_spec_grid_zip_and_validation(tmp_path):
    grid = SweepSpec.from_dict(FAKE_SPEC)
    assert grid.seeds == [1, 2] and len(grid.points()) == 8
    assert len({p["id"] for p in grid.points()}) == 8
    zipped = SweepSpec.from_dict({**FAKE_SPEC, "mode": "zip"})
    combos = zipped.combinations()
    assert combos == [{"tunnel.type": "wireguard", "impairment.access.down.reorder": 0},
                      {"tunnel.type": "gre-over-ipsec", "impairment.access.down.reorder": 5}]
    for bad in [{**FAKE_SPEC, "mode": "zip", "parameters": {"a": [1], "b": [1, 2]}},
                {**FAKE_SPEC, "mode": "cube"}, {**FAKE_SPEC, "seeds": 0},
                {**FAKE_SPEC, "parameters": {"seed": [1, 2]}},
                {**FAKE_SPEC, "parameters": {"a": []}}, {**FAKE_SPEC, "bogus": 1},
                {"seeds": 1}]:
        with pytest.raises(ValueError):
            SweepSpec.from_dict(bad)
    spec_file = tmp_path / "s.toml"
    spec_file.write_text('scenario = "base.toml"\nseeds = [4, 9]\n[parameters]\n"x.y" = [1, 2]\n')
    (tmp_path / "base.toml").write_text('name = "b"\n')
    spec = SweepSpec.from_file(spec_file)
    assert spec.name == "s" and spec.seeds == [4, 9]
    assert spec.scenario_source()[0] == 'name = "b"\n'  # relative to the sweep file


def test_local_sweep_with_fake_runner_resumes(tmp_path):
    CALLS.clear()
    out = tmp_path / "sweep"
    table = tunnelsim.sweep(FAKE_SPEC, out_dir=out, runner=fake_runner, jobs=3, progress=False)
    assert len(CALLS) == 8 and len(table) == 8
    assert list(table.columns[:4]) == ["point", "tunnel.type",
                                       "impairment.access.down.reorder", "seed"]
    assert set(table["seed"]) == {1, 2}
    row = table[(table["tunnel.type"] == "wireguard") &
                (table["impairment.access.down.reorder"] == 5) & (table["seed"] == 2)]
    assert row["goodput_mbps"].item() == pytest.approx(100 / 6 + 0.02)
    assert row["tunnel.counters.replay_drops"].item() == 50
    on_disk = pd.read_csv(out / "sweep.csv")
    assert len(on_disk) == 8 and (out / "sweep.json").is_file()

    CALLS.clear()
    again = tunnelsim.sweep(FAKE_SPEC, out_dir=out, runner=fake_runner, progress=False)
    assert CALLS == []  # every point was finished
    pd.testing.assert_frame_equal(again, table)

    victim = table["point"].iloc[3]
    (out / "runs" / victim / "point.json").unlink()  # as if interrupted during that point
    CALLS.clear()
    resumed = tunnelsim.sweep(FAKE_SPEC, out_dir=out, runner=fake_runner, progress=False)
    assert CALLS == [victim]
    pd.testing.assert_frame_equal(resumed, table)


def test_real_time_points_run_alone_after_the_simulated_ones(tmp_path):
    """tcp.stack = "kernel" points (tunnelsim emulate) must not share the CPU with anything."""
    running, log = set(), []
    lock = threading.Lock()

    def recording_runner(point):
        stack = point["overrides"]["tcp.stack"]
        with lock:
            log.append((stack, frozenset(running)))
            running.add(point["id"])
        time.sleep(0.05)
        with lock:
            running.discard(point["id"])
        return fake_runner(point)

    spec = {**FAKE_SPEC, "parameters": {**FAKE_SPEC["parameters"],
                                        "tcp.stack": ["linux", "kernel"]}}
    table = tunnelsim.sweep(spec, out_dir=tmp_path / "s", runner=recording_runner, jobs=4,
                            progress=False)
    assert len(table) == 16
    stacks = [stack for stack, _ in log]
    assert stacks == ["linux"] * 8 + ["kernel"] * 8
    assert all(not others for stack, others in log if stack == "kernel")
    assert any(others for stack, others in log if stack == "linux")  # those ran in parallel
    # The stack may come from the scenario instead of an override.
    from tunnelsim.sweep import is_real_time
    point = {"overrides": {}, "scenario_text": '[tcp]\nstack = "kernel"\n'}
    assert is_real_time(point)
    assert not is_real_time({**point, "scenario_text": "[tcp]\n"})
    assert not is_real_time({**point, "overrides": {"tcp.stack": "linux"}})


def test_failed_points_are_reported_and_retried(tmp_path):
    CALLS.clear()
    out = tmp_path / "sweep"

    def flaky(point):
        if point["params"]["impairment.access.down.reorder"] == 5 and point["seed"] == 1:
            raise RuntimeError("simulated crash")
        return fake_runner(point)

    with pytest.raises(SweepError) as error:
        tunnelsim.sweep(FAKE_SPEC, out_dir=out, runner=flaky, progress=False)
    assert len(error.value.failures) == 2 and "simulated crash" in str(error.value)
    assert len(pd.read_csv(out / "sweep.csv")) == 6  # finished points are kept
    CALLS.clear()
    table = tunnelsim.sweep(FAKE_SPEC, out_dir=out, runner=fake_runner, progress=False)
    assert len(CALLS) == 2 and len(table) == 8


# --- with the real simulator ------------------------------------------------------------------

LIBRARY_SWEEPS = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "library" /
                         "sweeps").glob("*.toml"))


@pytest.mark.parametrize("sweep_file", LIBRARY_SWEEPS, ids=lambda p: p.stem)
def test_every_library_sweep_point_validates(tunnelsim_cli, tmp_path, sweep_file):
    """A typo in a study's sweep file shows here, not after an hour of runs."""
    spec = SweepSpec.from_file(sweep_file)
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(spec.scenario_source()[0])
    for overrides in spec.combinations():
        sets = [arg for key, value in {**spec.fixed, **overrides}.items()
                for arg in ("--set", f"{key}={json.dumps(value)}")]
        done = subprocess.run([str(tunnelsim_cli), "validate", str(scenario), *sets],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (overrides, done.stderr)

def _real_spec():
    return {"name": "real", "scenario": "loss-sweep", "seeds": [1, 2],
            "set": {"duration": "1500ms"},
            "parameters": {"impairment.access.down.loss": [0.5, 2.0]}}


@pytest.fixture
def cli_env(tunnelsim_cli, monkeypatch, python_path_env):
    monkeypatch.setenv("TUNNELSIM_CLI", str(tunnelsim_cli))
    monkeypatch.setenv("PYTHONPATH", python_path_env["PYTHONPATH"])
    return tunnelsim_cli


@pytest.fixture(scope="module")
def real_local_table(tmp_path_factory, tunnelsim_cli):
    out = tmp_path_factory.mktemp("real") / "local"
    return out, tunnelsim.sweep(_real_spec(), out_dir=out, binary=str(tunnelsim_cli),
                                progress=False)


def test_real_sweep_runs_locally_and_resumes(real_local_table, cli_env):
    out, table = real_local_table
    assert len(table) == 4
    assert set(table["impairment.access.down.loss"]) == {0.5, 2.0}
    assert (table["goodput_mbps"] > 0).all()
    assert (table["impairments.access.down.netem.lost"] > 0).all()
    lossy = table[table["impairment.access.down.loss"] == 2.0]["impairments.access.down.netem.lost"]
    assert lossy.mean() > table[table["impairment.access.down.loss"] == 0.5][
        "impairments.access.down.netem.lost"].mean()
    for point in table["point"]:
        results = json.loads((out / "runs" / point / "results.json").read_text())
        assert results["scenario"]["duration"] == "1500ms"
    CALLS.clear()
    again = tunnelsim.sweep(_real_spec(), out_dir=out, runner=fake_runner, progress=False)
    assert CALLS == []  # nothing re-run: the fake runner would have changed the numbers
    pd.testing.assert_frame_equal(again, table)


def test_sweep_runs_and_manifest_record_the_python_packages(real_local_table):
    import matplotlib
    import numpy

    out, table = real_local_table
    manifest = json.loads((out / "sweep.json").read_text())
    for point in table["point"]:
        python = json.loads((out / "runs" / point / "results.json").read_text())[
            "provenance"]["python"]
        assert python["numpy"] == numpy.__version__
        assert python["pandas"] == pd.__version__
        assert python["matplotlib"] == matplotlib.__version__
        assert python == manifest["python"]


def test_same_sweep_on_a_local_dask_cluster(real_local_table, cli_env, tmp_path):
    from distributed import LocalCluster
    _out, local = real_local_table
    # Workers are separate processes: they find tunnelsim and the CLI through the environment.
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=40) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        table = tunnelsim.sweep(_real_spec(), out_dir=tmp_path / "dask", scheduler=address,
                                progress=False)
    # Everything but the wall-clock provenance columns is the same, run for run.
    wall = list(WALL_CLOCK_COLUMNS)
    pd.testing.assert_frame_equal(table.drop(columns=wall, errors="ignore"),
                                  local.drop(columns=wall, errors="ignore"))
    assert set(wall) <= set(table.columns)


def test_module_command_line(cli_env, tmp_path, python_path_env):
    spec = tmp_path / "study.toml"
    spec.write_text('scenario = "loss-sweep"\nseeds = 1\n[set]\nduration = "1s"\n'
                    '[parameters]\n"impairment.access.down.loss" = [1.0]\n')
    env = {**python_path_env, "TUNNELSIM_CLI": str(cli_env)}
    done = subprocess.run([sys.executable, "-m", "tunnelsim", "sweep", str(spec), "--out",
                           str(tmp_path / "o"), "--quiet", "--set", "no_such_key=1"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "no_such_key" in done.stderr  # the CLI's key check
    done = subprocess.run([sys.executable, "-m", "tunnelsim", "sweep", str(spec), "--out",
                           str(tmp_path / "o"), "--quiet"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(tmp_path / "o" / "sweep.csv")) == 1
    bad = tmp_path / "bad.toml"
    bad.write_text('mode = "grid"\n')
    done = subprocess.run([sys.executable, "-m", "tunnelsim", "sweep", str(bad)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "scenario" in done.stderr
    assert Path(tmp_path / "o" / "runs").is_dir()
