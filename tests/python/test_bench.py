"""scripts/bench on a tiny configuration: bench.json carries every key issue #19 lists."""
import json
import math
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SIM_KEYS = {"baseline_ns3_pps", "none_pps", "wireguard_pps", "gre_ipsec_pps",
            "ratio_none_vs_baseline", "ratio_wireguard_vs_none", "ratio_gre_ipsec_vs_none"}


def test_bench_json_has_every_key(build_dir, tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(["/usr/bin/python3", REPO / "scripts" / "bench", "--quick",
                           "--build", build_dir, "--out", out],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    bench = json.loads(out.read_text())
    assert set(bench) == {"sim", "crypto", "realtun", "relay", "hub"}
    sim = bench["sim"]
    assert SIM_KEYS <= set(sim)
    for key in SIM_KEYS:
        assert sim[key] > 0, key
    # The ratios are the packet rates' quotients, not numbers of their own.
    assert abs(sim["ratio_none_vs_baseline"] - sim["baseline_ns3_pps"] / sim["none_pps"]) < 1e-9
    assert abs(sim["ratio_wireguard_vs_none"] - sim["none_pps"] / sim["wireguard_pps"]) < 1e-9
    assert abs(sim["ratio_gre_ipsec_vs_none"] - sim["none_pps"] / sim["gre_ipsec_pps"]) < 1e-9
    assert bench["crypto"], "no Google Benchmark results"
    assert all(entry["real_time_ns"] > 0 for entry in bench["crypto"].values())
    realtun = bench["realtun"]
    if "reason" in realtun:
        assert realtun["reason"]
    else:
        assert {"tunnelsim_mbps", "wireguard_go_mbps", "ratio"} <= set(realtun)
        assert realtun["ratio"] == realtun["tunnelsim_mbps"] / realtun["wireguard_go_mbps"]
    relay = bench["relay"]
    assert "unimpaired_mbps" in relay or relay.get("reason")
    # Every ratio is printed against its goal with a verdict.
    for label in ("no tunnel / plain ns-3", "WireGuard / no tunnel", "GRE-IPsec / no tunnel",
                  "10 Gbit/s x 10 s"):
        line = next(l for l in proc.stdout.splitlines() if label in l)
        assert line.rstrip().endswith("met") or "met (" in line
    check_hub(bench["hub"], proc.stdout)


def check_hub(hub, stdout):
    """The hub section: one point per peer count of --quick (10, 20, 40) for both hubs, and the
    fits computed from those points."""
    assert hub["duration_s"] > 0 and hub["linear_exponent_goal"] >= 1
    for name in ("wireguard", "ipsec"):
        entry = hub[name]
        points = entry["points"]
        assert [p["peers"] for p in points] == [10, 20, 40], name
        for point in points:
            assert point["ok"], (name, point)  # every peer handshook and echoed both ways
            assert point["wall_s"] > 0 and point["max_rss_kib"] > 1024, (name, point)
            assert 0 < point["run_cpu_s"] <= point["wall_s"] * 1.05 + 0.05, (name, point)
            assert abs(point["wall_per_sim_s"] - point["wall_s"] / hub["duration_s"]) < 1e-6
        # Each added peer is a whole ns-3 node with its tunnel: more than 1 KiB, less than 10 MiB.
        assert 1 < entry["rss_per_added_peer_kib"] < 10240, (name, entry)
        for key, time_key in (("wall_exponent", "wall_s"), ("cpu_exponent", "run_cpu_s")):
            logs = [(math.log(p["peers"]), math.log(p[time_key])) for p in points]
            mean_x = sum(x for x, _ in logs) / len(logs)
            mean_y = sum(y for _, y in logs) / len(logs)
            slope = (sum((x - mean_x) * (y - mean_y) for x, y in logs)
                     / sum((x - mean_x) ** 2 for x, _ in logs))
            assert abs(entry[key] - slope) < 1e-9, (name, key, entry)
        # The verdict is the CPU exponent's (CPU time moves less with the machine's load).
        assert entry["linear"] == (entry["cpu_exponent"] <= hub["linear_exponent_goal"])
    verdicts = [l for l in stdout.splitlines() if "CPU ~ peers^k" in l]
    assert len(verdicts) == 2
    assert all(l.rstrip().endswith(("linear: met", "linear: not met")) for l in verdicts)
