"""`tunnelsim emulate` takes [[traffic.bulk]] count = N as `run` does: N kernel TCP flows,
numbered on across tables."""
import json
import subprocess

SCENARIO = """
name = "emulate-count"
duration = "1.5s"
[tunnel]
type = "none"
[[traffic.bulk]]
count = 3
start = "0.2s"
[[traffic.bulk]]
direction = "upload"
start = "0.2s"
"""


def test_count_gives_that_many_kernel_flows(emulate_env, tunnelsim, tmp_path):
    scenario = tmp_path / "count.toml"
    scenario.write_text(SCENARIO)
    done = subprocess.run([tunnelsim, "emulate", str(scenario), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    bulk = [f for f in results["flows"] if f["kind"] == "bulk"]
    assert [(f["id"], f["direction"]) for f in bulk] == [
        ("bulk0", "download"), ("bulk1", "download"), ("bulk2", "download"),
        ("bulk3", "upload")]
    assert all(f["bytes_received"] > 0 for f in bulk), bulk
