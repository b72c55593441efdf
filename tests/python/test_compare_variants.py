"""`tunnelsim compare SCENARIO --set-a k=v --set-b k=v --seeds N`: two variants of a short
scenario run over the same seeds with the real simulator, compared, and drawn."""

import json
import subprocess
import sys

import matplotlib.image
import pandas as pd
import pytest

from tunnelsim.compare import compare, metric_unit


@pytest.fixture(scope="module")
def variants(tmp_path_factory, tunnelsim_cli, python_path_env):
    out = tmp_path_factory.mktemp("variants") / "cmp"
    env = {**python_path_env, "TUNNELSIM_CLI": str(tunnelsim_cli)}
    done = subprocess.run(
        [sys.executable, "-m", "tunnelsim", "compare", "loss-sweep", "--set", "duration=1s",
         "--set-a", "impairment.access.down.loss=0.2", "--set-b",
         "impairment.access.down.loss=5", "--seeds", "2", "--out", str(out), "--quiet",
         "--width", "column", "--figure-format", "pdf"],
        env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out, done.stdout, env


def test_both_variants_ran_over_the_same_seeds(variants):
    out, stdout, _env = variants
    for side, loss in (("a", 0.2), ("b", 5.0)):
        table = pd.read_csv(out / side / "sweep.csv")
        assert sorted(table["seed"]) == [1, 2]
        for point in table["point"]:
            scenario = json.loads((out / side / "runs" / point / "results.json").read_text())[
                "scenario"]
            assert scenario["impairment"]["access"]["down"]["loss"] == pytest.approx(loss)
            assert scenario["duration"] == "1s"
    assert "A: impairment.access.down.loss=0.2" in stdout
    assert "B: impairment.access.down.loss=5" in stdout


def test_the_table_compares_the_runs(variants):
    out, _stdout, _env = variants
    table = pd.read_csv(out / "compare.csv").set_index("metric")
    a, b = pd.read_csv(out / "a" / "sweep.csv"), pd.read_csv(out / "b" / "sweep.csv")
    row = table.loc["impairments.access.down.netem.lost"]
    assert row["n_a"] == 2 and row["n_b"] == 2
    assert row["mean_a"] == pytest.approx(a["impairments.access.down.netem.lost"].mean())
    assert row["mean_b"] == pytest.approx(b["impairments.access.down.netem.lost"].mean())
    assert row["mean_b"] > row["mean_a"]  # 5 % loss loses more packets than 0.2 %
    # The variants' settings are not compared as if they were results.
    assert "impairment.access.down.loss" not in table.index and "seed" not in table.index
    pd.testing.assert_frame_equal(table, compare(out / "a", out / "b").set_index("metric"),
                                  check_dtype=False, rtol=1e-9)


def test_the_comparison_figure(variants):
    out, _stdout, _env = variants
    assert (out / "compare.pdf").read_bytes()[:5] == b"%PDF-"
    pixels = matplotlib.image.imread(str(out / "compare.png"))
    assert pixels.shape[1] == 525  # 3.5 in at 150 dpi: one paper column
    assert (pixels[..., :3] < 0.95).any(axis=-1).mean() > 0.02
    assert metric_unit("goodput_mbps") == "Mbit/s"
    assert metric_unit("flows.bulk0.rtt_ms.p50") == "ms"


def test_bad_variant_arguments(variants, tmp_path):
    _out, _stdout, env = variants
    for args, message in (
            (["loss-sweep", "--set-a", "seed=1", "--set-b", "seed=1"], "the same"),
            (["a", "b", "--set-a", "seed=1"], "one SCENARIO"),
            (["loss-sweep", "--seeds", "0", "--set-a", "seed=2"], "--seeds"),
            (["only-one-path"], "give two runs")):
        done = subprocess.run([sys.executable, "-m", "tunnelsim", "compare", *args, "--out",
                               str(tmp_path / "x"), "--quiet"], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
