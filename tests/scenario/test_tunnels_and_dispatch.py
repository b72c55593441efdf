"""GRE, IPsec and GRE-over-IPsec in the engine (smoke runs, counters schema, events), the
WireGuard start-up collision the library avoids, and the CLI's hand-over subcommands
(sweep/report to `python3 -m tunnelsim`, wg-up to tunnelsim-wg-up)."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import LIBRARY

COUNTER_KEYS = {"handshakes", "rekeys", "replay_drops", "auth_failures", "overhead_bytes",
                "packets_encapsulated", "packets_decapsulated"}


def run(tunnelsim, *args, env=None, timeout=120):
    return subprocess.run([tunnelsim, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def run_results(tunnelsim, tmp_path, name, *sets):
    out = tmp_path / "out"
    args = [a for s in sets for a in ("--set", s)]
    proc = run(tunnelsim, "run", name, *args, "--out", out)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "results.json").read_text())


@pytest.mark.parametrize("tunnel", ["gre", "ipsec", "gre-over-ipsec"])
def test_smoke_run_of_each_gre_ipsec_tunnel(tunnelsim, tmp_path, tunnel):
    results = run_results(tunnelsim, tmp_path, "reorder-collapse", "duration=1.2s",
                          f"tunnel.type={tunnel}", "impairment.access.down.reorder=0")
    assert results["tunnel"]["type"] == tunnel
    bulk = results["flows"][0]
    assert bulk["bytes_received"] > 1_000_000
    counters = results["tunnel"]["counters"]
    assert set(counters) - {"extra"} == COUNTER_KEYS
    assert counters["packets_encapsulated"] > 0 and counters["packets_decapsulated"] > 0
    # Overhead per encapsulated packet: outer IPv4 + GRE 4 (+ ESP 8 + IV 8 + pad + 2 + ICV 16).
    per_packet = counters["overhead_bytes"] / counters["packets_encapsulated"]
    expected = {"gre": (24, 24), "ipsec": (54, 57), "gre-over-ipsec": (58, 61)}[tunnel]
    assert expected[0] <= per_packet <= expected[1]
    assert counters["replay_drops"] == 0 and counters["auth_failures"] == 0
    kinds = {(e["kind"], e["side"]) for e in results["tunnel"]["events"]}
    if tunnel == "gre":
        assert counters["handshakes"] == 0 and not kinds
        assert "esp_inbound" not in counters["extra"]["home"]
    else:
        assert counters["handshakes"] == 1
        assert {("ike_sa_established", "home"), ("ike_sa_established", "work"),
                ("sa_installed_inbound", "home")} <= kinds
        esp = counters["extra"]["home"]["esp_inbound"]
        assert esp["packets"] == counters["extra"]["home"]["inner_packets_received"]


def test_ipsec_options_reach_the_gateways(tunnelsim, tmp_path):
    results = run_results(tunnelsim, tmp_path, "reorder-collapse", "duration=2.5s",
                          "tunnel.type=gre-over-ipsec", "impairment.access.down.reorder=0",
                          "tunnel.ipsec.child_lifetime=10s", "tunnel.ipsec.rekey_margin=9.4s",
                          "tunnel.ipsec.encryption=chacha20-poly1305", "tunnel.gre.key=42",
                          "tunnel.gre.sequence=true")
    counters = results["tunnel"]["counters"]
    # Soft lifetime 0.54-0.6 s: several rekeys under load, make-before-break loses nothing.
    assert counters["rekeys"] >= 2
    assert [e for e in results["tunnel"]["events"] if e["kind"] == "child_sa_rekey"]
    assert not counters["extra"]["home"]["drops"] and not counters["extra"]["work"]["drops"]
    # Key (4) and sequence (4) fields: 8 more bytes per packet than without them.
    assert counters["overhead_bytes"] / counters["packets_encapsulated"] >= 66
    assert results["flows"][0]["bytes_received"] > 1_000_000


def test_break_before_make_rekeys_lose_packets(tunnelsim, tmp_path):
    results = run_results(tunnelsim, tmp_path, "reorder-collapse", "duration=1.5s",
                          "tunnel.type=ipsec", "impairment.access.down.reorder=0",
                          "tunnel.ipsec.child_lifetime=10s", "tunnel.ipsec.rekey_margin=9.4s",
                          "tunnel.ipsec.rekey_mode=break-before-make")
    assert results["tunnel"]["counters"]["rekeys"] >= 1
    drops = results["tunnel"]["counters"]["extra"]
    assert drops["home"]["drops"].get("no-sa", 0) + drops["work"]["drops"].get("no-sa", 0) > 0


def test_wireguard_over_the_loss_sweep_starts_without_a_handshake_collision(tunnelsim, tmp_path):
    # Before the ping started at 1 s, both gateways initiated at 0.5 s and the run had no
    # goodput until REKEY_TIMEOUT.
    results = run_results(tunnelsim, tmp_path, "loss-sweep", "duration=1.5s",
                          "tunnel.type=wireguard")
    counters = results["tunnel"]["counters"]
    assert counters["handshakes"] == 1
    assert results["flows"][0]["goodput_mbps"] > 5
    kinds = [e["kind"] for e in results["tunnel"]["events"]]
    assert kinds.count("handshake_initiation") == 1 and "handshake_complete" in kinds


# --- hand-over subcommands -----------------------------------------------------------------

def test_sweep_and_report_run_the_python_package_with_the_build_environment(tunnelsim, tmp_path):
    # A sitecustomize on the caller's PYTHONPATH records what the exec'd interpreter saw.
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    (probe_dir / "sitecustomize.py").write_text(
        "import json, os, sys\n"
        "open(os.environ['PROBE_OUT'], 'w').write(json.dumps({'exe': sys.executable, "
        "'argv': sys.argv, 'PYTHONPATH': os.environ.get('PYTHONPATH'), "
        "'TUNNELSIM_CLI': os.environ.get('TUNNELSIM_CLI')}))\n")
    env = dict(os.environ, PYTHONPATH=str(probe_dir), PROBE_OUT=str(tmp_path / "seen.json"))
    proc = run(tunnelsim, "report", tmp_path / "missing", env=env)
    assert proc.returncode == 2 and "tunnelsim report:" in proc.stderr
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["exe"] == "/usr/bin/python3"
    build_python = Path(tunnelsim).resolve().parents[2] / "python"
    assert seen["PYTHONPATH"] == f"{build_python}:{probe_dir}"
    assert seen["TUNNELSIM_CLI"] == str(Path(tunnelsim).resolve())

    sweep = tmp_path / "s.toml"
    sweep.write_text('scenario = "%s"\nseeds = 1\n[set]\nduration = "1.2s"\n'
                     '[parameters]\n"impairment.access.down.loss" = [0, 1]\n'
                     % (LIBRARY / "loss-sweep.toml"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TUNNELSIM_CLI")}
    proc = run(tunnelsim, "sweep", sweep, "--out", tmp_path / "sw", "-j", "2", "--quiet", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "2 runs" in proc.stdout
    assert len(list((tmp_path / "sw" / "runs").glob("*/results.json"))) == 2


def test_wg_up_runs_the_real_interface_driver(tunnelsim):
    wg_up = Path(tunnelsim).resolve().parents[2] / "programs" / "wg-up" / "tunnelsim-wg-up"
    assert wg_up.exists(), "build the tunnelsim-wg-up target"
    direct = subprocess.run([wg_up, "--help"], capture_output=True, text=True, timeout=30)
    proc = run(tunnelsim, "wg-up", "--help", timeout=30)
    assert proc.returncode == direct.returncode == 0
    assert proc.stdout == direct.stdout and proc.stdout.startswith("usage: tunnelsim-wg-up")
