"""`tunnelsim sweep --ci-target`: seeds are added only where a point's 95 % interval is wide,
the --max-seeds cap holds, and an interrupted sweep resumes to the same table (fake runner:
no simulator)."""

import json
import subprocess
import sys
import threading

import pandas as pd
import pytest
import scipy.stats

import tunnelsim
from tunnelsim.sweep import SweepSpec, parse_ci_target

CALLS = []
_LOCK = threading.Lock()

# Per reorder level, the goodput each seed gives: "steady" points vary by 0.1 %, "noisy" ones
# by about 40 % (a collapsing tunnel), "zero" ones never deliver anything.
def _goodput(reorder: float, seed: int) -> float:
    if reorder == 0:
        return 80.0 + 0.08 * (seed % 2)
    if reorder == 1:
        return [10.0, 18.0, 7.0, 15.0, 12.0, 9.0, 16.0, 11.0, 14.0, 13.0, 12.5, 11.5][
            (seed - 1) % 12]
    return 40.0 + [3.0, -2.0, 1.0, -1.5, 2.0, -0.5][(seed - 1) % 6]


def runner(point):
    with _LOCK:
        CALLS.append((point["params"]["impairment.access.down.reorder"], point["seed"]))
    reorder = float(point["params"]["impairment.access.down.reorder"])
    return {"results": {"scenario": {"name": "fake", "seed": point["seed"]},
                        "flows": [{"id": "bulk0", "kind": "bulk",
                                   "goodput_mbps": _goodput(reorder, point["seed"])}],
                        "versions": {"tunnelsim": "test"}},
            "timeseries_csv": ""}


SPEC = {"name": "ci", "scenario": {"name": "fake"}, "seeds": 2,
        "parameters": {"impairment.access.down.reorder": [0, 1, 5]}}


def _seeds_by_level(table):
    return {level: sorted(sub["seed"]) for level, sub in
            table.groupby("impairment.access.down.reorder")}


def _half_fraction(values):
    values = list(values)
    sem = scipy.stats.sem(values)
    return scipy.stats.t.ppf(0.975, len(values) - 1) * sem / abs(sum(values) / len(values))


def test_parse_ci_target():
    assert parse_ci_target("5%") == pytest.approx(0.05)
    assert parse_ci_target("0.15") == pytest.approx(0.15)
    for bad in ("0", "-5%", "five", "nan"):
        with pytest.raises(ValueError):
            parse_ci_target(bad)


def test_seeds_are_added_only_to_wide_points_up_to_the_cap(tmp_path):
    CALLS.clear()
    table = tunnelsim.sweep(SPEC, out_dir=tmp_path / "s", runner=runner, progress=False,
                            ci_target="10%", max_seeds=8)
    seeds = _seeds_by_level(table)
    # The steady point was narrow with its two seeds: nothing added.
    assert seeds[0] == [1, 2]
    assert _half_fraction(table[table["impairment.access.down.reorder"] == 0]
                          ["goodput_mbps"]) <= 0.10
    # The noisy point never gets within 10 % here: it stops at the cap, with seeds 1..8.
    assert seeds[1] == list(range(1, 9))
    # The moderate point got seeds until its interval (scipy's t) was within the target.
    moderate = table[table["impairment.access.down.reorder"] == 5]["goodput_mbps"]
    assert 2 < len(moderate) < 8
    assert _half_fraction(moderate) <= 0.10
    assert _half_fraction(moderate.iloc[:-1]) > 0.10  # and not one seed more than needed
    # Every run happened exactly once.
    assert sorted(CALLS) == sorted({(lvl, s) for lvl, ss in seeds.items() for s in ss})
    manifest = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert manifest["ci_target"] == pytest.approx(0.10) and manifest["max_seeds"] == 8
    assert len(pd.read_csv(tmp_path / "s" / "sweep.csv")) == len(table)


def test_interrupted_ci_sweep_resumes_and_a_plain_rerun_keeps_the_added_seeds(tmp_path):
    out = tmp_path / "s"
    full = tunnelsim.sweep(SPEC, out_dir=out, runner=runner, progress=False, ci_target=0.1,
                           max_seeds=8)
    # Lose the last added seed of the noisy point, as if the sweep had been killed there.
    last = full[(full["impairment.access.down.reorder"] == 1) & (full["seed"] == 8)]
    (out / "runs" / last["point"].item() / "point.json").unlink()
    CALLS.clear()
    resumed = tunnelsim.sweep(SPEC, out_dir=out, runner=runner, progress=False, ci_target=0.1,
                              max_seeds=8)
    assert CALLS == [(1, 8)]
    pd.testing.assert_frame_equal(resumed, full)
    CALLS.clear()
    plain = tunnelsim.sweep(SPEC, out_dir=out, runner=runner, progress=False)
    assert CALLS == []
    pd.testing.assert_frame_equal(plain, full)


def test_a_lower_cap_stops_earlier_and_single_seed_sweeps_grow(tmp_path):
    CALLS.clear()
    table = tunnelsim.sweep({**SPEC, "seeds": 1}, out_dir=tmp_path / "s", runner=runner,
                            progress=False, ci_target="10%", max_seeds=3)
    seeds = _seeds_by_level(table)
    assert seeds[1] == [1, 2, 3] and seeds[5] == [1, 2, 3]
    assert seeds[0] == [1, 2]  # one seed says nothing: a second one was needed, not more
    assert max(len(s) for s in seeds.values()) == 3
    with pytest.raises(ValueError, match="max-seeds"):
        tunnelsim.sweep(SPEC, out_dir=tmp_path / "t", runner=runner, progress=False,
                        ci_target="10%", max_seeds=1)
    with pytest.raises(ValueError, match="no run has the metric"):
        tunnelsim.sweep(SPEC, out_dir=tmp_path / "u", runner=runner, progress=False,
                        ci_target="10%", ci_metric="no_such_metric")


def test_ci_target_on_the_command_line(tmp_path, python_path_env):
    spec = tmp_path / "s.toml"
    spec.write_text('scenario = "loss-sweep"\nseeds = 1\n')
    for args, message in ((["--max-seeds", "4"], "needs --ci-target"),
                          (["--ci-target", "abc"], "--ci-target wants")):
        done = subprocess.run([sys.executable, "-m", "tunnelsim", "sweep", str(spec), "--out",
                               str(tmp_path / "o"), "--quiet", *args], env=python_path_env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr, done.stderr


def test_spec_points_carry_their_combination():
    spec = SweepSpec.from_dict(SPEC)
    spec.added_seeds = {1: [3, 4]}
    points = spec.points()
    assert [(p["combination"], p["seed"]) for p in points] == [
        (0, 1), (0, 2), (1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2)]
    assert [p["index"] for p in points] == list(range(8))
