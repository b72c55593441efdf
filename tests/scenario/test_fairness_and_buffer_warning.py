"""Issue #19: a fixed TCP buffer below the path's bandwidth-delay product is named on stderr and
in results.json (with the goodput cap it implies, which the run then stays below); several bulk
flows get Jain's fairness index in results.json."""
import json
import subprocess

from conftest import LIBRARY

SCENARIO = """name = "buffers"
[[traffic.bulk]]
direction = "download"
start = "0.1s"
"""
SMALL_BUFFER = ["--set", "tcp.autotune_buffers=false", "--set", "tcp.receive_buffer=65536"]


def run(tunnelsim, *args):
    return subprocess.run([tunnelsim, *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def warnings_of(stderr):
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def test_small_fixed_receive_buffer_warns_and_caps_goodput(tunnelsim, tmp_path):
    scenario = tmp_path / "buffers.toml"
    scenario.write_text(SCENARIO)
    validate = run(tunnelsim, "validate", scenario, *SMALL_BUFFER)
    assert validate.returncode == 0, validate.stderr
    [warning] = warnings_of(validate.stderr)
    # The key, the buffer, the default path's BDP (100 Mbit/s x 40.4 ms) and the cap.
    for part in ("tcp.receive_buffer = 65536 bytes", "505000 bytes", "12.98 Mbit/s"):
        assert part in warning, warning

    out = tmp_path / "run"
    proc = run(tunnelsim, "run", scenario, *SMALL_BUFFER, "--set", "duration=2s", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert warnings_of(proc.stderr) == [warning]
    results = json.loads((out / "results.json").read_text())
    [recorded] = results["warnings"]
    assert recorded["kind"] == "buffer_below_bdp" and recorded["key"] == "tcp.receive_buffer"
    assert recorded["buffer_bytes"] == 65536 and recorded["bdp_bytes"] == 505000
    cap = recorded["goodput_cap_mbps"]
    assert abs(cap - 65536 * 8 / 0.0404 / 1e6) < 1e-6
    [flow] = [f for f in results["flows"] if f["kind"] == "bulk"]
    # The window, not the 100 Mbit/s link, limits the flow: below the cap, and near it (slow
    # start and the queueing delay the window itself adds take the rest).
    assert 0.5 * cap < flow["goodput_mbps"] <= cap, (flow["goodput_mbps"], cap)
    assert "fairness" not in results  # one bulk flow


def test_four_flows_get_jain_index_and_defaults_do_not_warn(tunnelsim, tmp_path):
    scenario = tmp_path / "four.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "run"
    proc = run(tunnelsim, "run", scenario, "--set", "traffic.bulk[0].count=4", "--set",
               "duration=1.5s", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert warnings_of(proc.stderr) == []
    results = json.loads((out / "results.json").read_text())
    assert "warnings" not in results
    goodputs = [f["goodput_mbps"] for f in results["flows"] if f["kind"] == "bulk"]
    assert len(goodputs) == 4 and all(g > 0 for g in goodputs), goodputs
    fairness = results["fairness"]
    assert fairness["flows"] == 4
    expected = sum(goodputs) ** 2 / (4 * sum(g * g for g in goodputs))
    assert abs(fairness["jain"] - expected) < 1e-9
    assert 0.25 <= fairness["jain"] <= 1.0
    assert fairness["min_goodput_mbps"] == min(goodputs)
    assert fairness["max_goodput_mbps"] == max(goodputs)


def test_library_scenarios_do_not_warn(tunnelsim):
    for scenario in sorted(LIBRARY.glob("*.toml")):
        proc = run(tunnelsim, "validate", scenario)
        assert proc.returncode == 0, (scenario.name, proc.stderr)
        assert warnings_of(proc.stderr) == [], (scenario.name, proc.stderr)
