"""tunnelsim.run against the real CLI: a short scenario, dict versus TOML, errors."""

import tomllib

import pandas as pd
import pytest

import tunnelsim
from tunnelsim import tomlwrite
from tunnelsim.run import ScenarioRunError, library_dir, run

SHORT = {"duration": "2s"}


@pytest.fixture(autouse=True)
def _cli(tunnelsim_cli, monkeypatch):
    monkeypatch.setenv("TUNNELSIM_CLI", str(tunnelsim_cli))


def test_runs_a_short_library_scenario(tmp_path):
    result = tunnelsim.run("loss-sweep", SHORT, out_dir=tmp_path / "out")
    assert result.results["scenario"]["duration"] == "2s"
    assert result.results["scenario"]["impairment"]["access"]["down"]["loss"] == 1.0
    bulk = [f for f in result.results["flows"] if f["kind"] == "bulk"]
    assert bulk and bulk[0]["goodput_mbps"] > 1.0
    assert isinstance(result.timeseries, pd.DataFrame)
    assert {"time_s", "flow", "goodput_mbps", "cwnd_bytes"} <= set(result.timeseries.columns)
    assert result.timeseries["time_s"].max() == pytest.approx(2.0)
    assert (tmp_path / "out" / "results.json").is_file()
    metrics = result.metrics()
    assert metrics["goodput_mbps"] == pytest.approx(bulk[0]["goodput_mbps"])
    assert metrics["impairments.access.down.netem.lost"] > 0


def test_dict_and_toml_give_identical_results():
    path = library_dir() / "loss-sweep.toml"
    from_file = run(path, SHORT, seed=3)
    with open(path, "rb") as f:
        document = tomllib.load(f)
    document.update(SHORT)
    document["seed"] = 3
    from_dict = run(document)
    for key in ("scenario", "flows", "impairments", "tunnel", "versions"):
        assert from_dict.results[key] == from_file.results[key], key
    pd.testing.assert_frame_equal(from_dict.timeseries, from_file.timeseries)


def test_seed_and_overrides_reach_the_simulator():
    one = run("loss-sweep", {**SHORT, "impairment.access.down.loss": 3}, seed=1)
    two = run("loss-sweep", {**SHORT, "impairment.access.down.loss": 3}, seed=2)
    assert one.results["scenario"]["seed"] == 1 and two.results["scenario"]["seed"] == 2
    assert one.results["scenario"]["impairment"]["access"]["down"]["loss"] == 3
    assert one.results["flows"] != two.results["flows"]


def test_invalid_scenarios_raise_with_the_cli_message():
    with pytest.raises(ScenarioRunError) as error:
        run({"name": "bad", "duration": "2s", "no_such_key": 1})
    assert error.value.returncode == 2 and "no_such_key" in str(error.value)
    with pytest.raises(ScenarioRunError) as error:
        run("loss-sweep", {"duration": "-1s"})
    assert error.value.returncode == 2
    with pytest.raises(FileNotFoundError):
        run("no-such-scenario")


def test_toml_writer_round_trips():
    document = {"name": "x \"quoted\"", "duration": "1s", "seed": 4, "flag": True,
                "ratio": 0.25, "list": [1, 2, 3],
                "tunnel": {"type": "wireguard", "ipsec": {"replay_window": 64}},
                "traffic": {"bulk": [{"direction": "download"}, {"direction": "upload",
                                                                 "start": "1s"}]},
                "odd key": {"a.b": 1}}
    text = tomlwrite.dumps(document, header="a description\nsecond line")
    assert text.startswith("# a description\n# second line\n")
    assert tomllib.loads(text) == document
