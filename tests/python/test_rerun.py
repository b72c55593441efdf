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
