"""scripts/bench on a tiny configuration: bench.json carries every key issue #19 lists."""
import json
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
    assert set(bench) == {"sim", "crypto", "realtun", "relay"}
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
