"""[[traffic.bulk]] count = N: N concurrent TCP flows from one table, each its own connection,
sharing the path (issue #19, many flows)."""
import json
import subprocess

from conftest import LIBRARY


def run(tunnelsim, *args):
    return subprocess.run([tunnelsim, *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def bulk_flows(results):
    return [f for f in results["flows"] if f["kind"] == "bulk"]


def test_twenty_flows_share_the_reorder_collapse_path(tunnelsim, tmp_path):
    out = tmp_path / "f20"
    proc = run(tunnelsim, "run", LIBRARY / "reorder-collapse.toml", "--set", "duration=2s",
               "--set", "tunnel.type=none", "--set", "traffic.bulk[0].count=20", "--out", out)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    flows = bulk_flows(results)
    assert [f["id"] for f in flows] == [f"bulk{i}" for i in range(20)]
    assert all(f["goodput_mbps"] > 0 and f["bytes_received"] > 0 for f in flows), \
        [f["goodput_mbps"] for f in flows]
    # Together they cannot carry more than the access link's downstream rate (100 Mbit/s of
    # frames, so less of TCP payload), and 20 flows for 1.5 s fill a good part of it.
    assert results["scenario"]["topology"]["access_down_rate"] == "100Mbps"
    total = sum(f["goodput_mbps"] for f in flows)
    assert 30 < total < 100, total


def test_count_in_a_table_and_tables_without_it(tunnelsim, tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "count"\nduration = "1.5s"\n'
                        '[[traffic.bulk]]\ncount = 3\nbytes = 200000\n'
                        '[[traffic.bulk]]\ndirection = "upload"\nbytes = 100000\n')
    out = tmp_path / "out"
    proc = run(tunnelsim, "run", scenario, "--out", out)
    assert proc.returncode == 0, proc.stderr
    flows = bulk_flows(json.loads((out / "results.json").read_text()))
    assert [(f["id"], f["direction"]) for f in flows] == [
        ("bulk0", "download"), ("bulk1", "download"), ("bulk2", "download"),
        ("bulk3", "upload")]
    assert [f["bytes_received"] for f in flows] == [200000] * 3 + [100000]


def test_count_out_of_range_is_a_validation_error(tunnelsim):
    for bad in ("0", "1001"):
        proc = run(tunnelsim, "validate", LIBRARY / "reorder-collapse.toml", "--set",
                   f"traffic.bulk[0].count={bad}")
        assert proc.returncode == 2
        assert "count" in proc.stderr
