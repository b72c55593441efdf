"""rerun reproduces a short run exactly and reports a planted difference."""

import json

import pytest

import tunnelsim
from tunnelsim.rerun import rerun


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, tunnelsim_cli):
    out = tmp_path_factory.mktemp("recorded")
    tunnelsim.run("loss-sweep", overrides={"duration": "1s"}, out_dir=out, binary=tunnelsim_cli)
    return out / "results.json"


def test_rerun_is_identical(recorded, tunnelsim_cli):
    identical, found = rerun(recorded, binary=tunnelsim_cli)
    assert identical, found


def test_rerun_reports_a_planted_difference(recorded, tunnelsim_cli, tmp_path):
    document = json.loads(recorded.read_text())
    document["flows"][0]["goodput_mbps"] = -1.0
    planted = tmp_path / "results.json"
    planted.write_text(json.dumps(document))
    identical, found = rerun(planted, binary=tunnelsim_cli)
    assert not identical
    assert any("goodput_mbps" in line and "-1.0" in line for line in found), found


def test_rerun_bad_input_names_the_key(tmp_path):
    (tmp_path / "results.json").write_text("{}")
    with pytest.raises(ValueError, match="key 'scenario'"):
        rerun(tmp_path)


def _cli(tunnelsim_cli, *args):
    import subprocess
    return subprocess.run([str(tunnelsim_cli), *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_cli_rerun_and_compare_exit_codes(recorded, tunnelsim_cli, tmp_path):
    done = _cli(tunnelsim_cli, "rerun", recorded)
    assert done.returncode == 0 and done.stdout.startswith("identical"), done.stderr
    document = json.loads(recorded.read_text())
    document["flows"][0]["goodput_mbps"] = -1.0
    planted = tmp_path / "planted.json"
    planted.write_text(json.dumps(document))
    done = _cli(tunnelsim_cli, "rerun", planted)
    assert done.returncode == 1 and "goodput_mbps" in done.stdout
    assert _cli(tunnelsim_cli, "rerun", tmp_path / "missing.json").returncode == 2
    done = _cli(tunnelsim_cli, "compare", recorded, planted, "--csv", tmp_path / "c.csv")
    assert done.returncode == 0, done.stderr
    import pandas as pd
    table = pd.read_csv(tmp_path / "c.csv").set_index("metric")
    assert table.loc["flows.bulk0.goodput_mbps", "mean_b"] == -1.0
    assert _cli(tunnelsim_cli, "compare", recorded, tmp_path / "nothing").returncode == 2
