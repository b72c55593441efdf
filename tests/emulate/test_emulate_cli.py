"""`tunnelsim emulate` end to end: namespaces, TUNs, the relay and the kernel's TCP on short
scenarios for each tunnel family, cleanup on normal exit and on SIGTERM, and refusals of what
the relay cannot honour. Real time: each run lasts its scenario's duration."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

NETNS_DIR = Path("/run/netns")

SHORT = """
name = "emulate-short"
duration = "{duration}"
seed = 3

[tunnel]
type = "{tunnel}"

[tcp]
segment_size = 1348

[impairment.access.down]
delay = "5ms"
reorder = 2

[[traffic.bulk]]
direction = "download"
start = "0.3s"

[[traffic.ping]]
direction = "upload"
start = "0.5s"
interval = "200ms"
"""

FLOW_KEYS = {"id", "kind", "direction", "start_s", "end_s", "bytes_received", "goodput_mbps",
             "data_segments_sent", "data_bytes_sent", "retransmissions", "retransmitted_bytes",
             "rtt_ms", "tcp_stack", "linux_tcp"}


def our_namespaces(pid):
    if not NETNS_DIR.exists():
        return []
    return [p.name for p in NETNS_DIR.iterdir() if p.name.startswith(f"ts-emu-{pid}-")]


def write_scenario(tmp_path, tunnel, duration="3s", extra=""):
    path = tmp_path / f"{tunnel}.toml"
    path.write_text(SHORT.format(tunnel=tunnel, duration=duration) + extra)
    return path


@pytest.mark.parametrize("tunnel", ["none", "wireguard", "gre-over-ipsec"])
def test_short_scenario_writes_results_and_cleans_up(emulate_env, tunnelsim, tmp_path, tunnel):
    scenario = write_scenario(tmp_path, tunnel)
    out = tmp_path / "out"
    proc = subprocess.Popen([tunnelsim, "emulate", str(scenario), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert our_namespaces(proc.pid) == [], "namespaces left behind"

    results = json.loads((out / "results.json").read_text())
    assert {"scenario", "flows", "impairments", "tunnel", "versions", "emulation"} <= set(results)
    assert results["scenario"]["tunnel"]["type"] == tunnel
    bulk = next(f for f in results["flows"] if f["kind"] == "bulk")
    assert FLOW_KEYS <= set(bulk), FLOW_KEYS - set(bulk)
    assert bulk["tcp_stack"] == "kernel"
    # 100 Mbit/s access downlink, 2.7 s of flow: a working path carries a good part of it.
    assert bulk["goodput_mbps"] > 20, bulk
    assert bulk["bytes_received"] > 0
    assert bulk["rtt_ms"]["min"] >= 40  # 2 x (15 + 5 + 0.1) ms propagation + 5 ms netem
    ping = next(f for f in results["flows"] if f["kind"] == "ping")
    assert ping["replies"] >= 8
    netem = results["impairments"]["access.down"]["netem"]
    assert netem["packets"] > 1000 and netem["reordered"] > 0
    relay = results["emulation"]["relay"]
    assert relay["packets_to_home"] > 1000
    assert relay["lateness"]["samples"] > 0
    counters = results["tunnel"]["counters"]
    if tunnel != "none":
        assert counters["packets_encapsulated"] > 1000
        assert counters["overhead_bytes"] > 0
    if tunnel == "wireguard":
        assert counters["handshakes"] >= 1
    if tunnel == "gre-over-ipsec":
        # The gateways negotiate their SAs with IKEv2 over the relay's path when it starts
        # (home initiates, as in ns-3): one IKE SA, one Child SA, its four messages seen as IKE.
        assert counters["handshakes"] == 1, counters
        for side in ("home", "work"):
            ike = counters["extra"][side]["ike"]
            assert ike["state"] == "established", ike
            assert ike["messages_sent"] >= 2 and ike["messages_received"] >= 2, ike
            assert ike["child_sas_created"] == 1, ike
        assert results["emulation"]["ipsec_keying"].startswith("IKEv2 by tunnelsim's IKE core")
        assert results["emulation"]["esp_replay_analysis"]["ike_packets"] >= 4
    assert (out / "timeseries.csv").read_text().startswith("time_s,flow,kind,goodput_mbps")


def test_sigterm_mid_run_removes_namespaces(emulate_env, tunnelsim, tmp_path):
    scenario = write_scenario(tmp_path, "wireguard", duration="30s")
    out = tmp_path / "out"
    proc = subprocess.Popen([tunnelsim, "emulate", str(scenario), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while len(our_namespaces(proc.pid)) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        assert len(our_namespaces(proc.pid)) == 2, "the run never created its namespaces"
        time.sleep(1.0)  # traffic is flowing
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, stderr
    assert "interrupted" in stderr
    assert our_namespaces(proc.pid) == []
    assert not (out / "results.json").exists()


@pytest.mark.parametrize("extra, message", [
    ("\n[[traffic.udp]]\nrate = \"1Mbps\"\ntarget = \"gateway\"\n", "traffic.udp.target"),
    ("\n[topology]\naccess_down_rate = \"150Mbps\"\naccess_up_rate = \"150Mbps\"\n",
     "bottleneck"),
    ("\n[impairment.access.up]\ndelay = \"200us\"\n", "finer than the relay"),
])
def test_refuses_what_the_relay_cannot_honour(tunnelsim, tmp_path, extra, message):
    scenario = write_scenario(tmp_path, "none", extra=extra)
    proc = subprocess.run([tunnelsim, "emulate", str(scenario), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert not (tmp_path / "out" / "results.json").exists()


def test_bad_usage_exits_2(tunnelsim):
    proc = subprocess.run([tunnelsim, "emulate"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2


def test_set_overrides_like_run(emulate_env, tunnelsim, tmp_path):
    # The library scenario, switched to another tunnel type and shortened with --set: the
    # file's tables of the other type must not get in the way.
    out = tmp_path / "out"
    proc = subprocess.run([tunnelsim, "emulate", "reorder-collapse", "--set", "duration=2s",
                           "--set", "tunnel.type=wireguard", "--out", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["scenario"]["duration"] == "2s"
    assert results["tunnel"]["type"] == "wireguard"
    assert results["impairments"]["access.up"]["ack"]["acks"] > 0
    assert results["scenario"]["tcp"]["stack"] == "kernel"  # emulate always runs the kernel's


def test_run_hands_kernel_stack_scenarios_to_emulate(emulate_env, tunnelsim, tmp_path):
    # How sweeps mix models: tcp.stack = "kernel" in a `run` is an emulation, never stock ns-3.
    out = tmp_path / "out"
    proc = subprocess.run([tunnelsim, "run", "tcp-fidelity", "--set", "duration=2s",
                           "--set", "tcp.stack=kernel", "--out", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["emulation"]["mode"] == "kernel"
    assert results["scenario"]["tcp"]["stack"] == "kernel"
    assert all(f["tcp_stack"] == "kernel" for f in results["flows"])


def test_emulations_never_overlap(emulate_env, tunnelsim, tmp_path):
    """A second emulation waits on the machine-wide lock until the first has finished, so
    parallel sweep workers cannot disturb each other's timing."""
    first = subprocess.Popen([tunnelsim, "emulate", str(write_scenario(tmp_path, "none")),
                              "--out", str(tmp_path / "a")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = None
    try:
        deadline = time.monotonic() + 20
        while len(our_namespaces(first.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(our_namespaces(first.pid)) == 2, "the first run never started"
        second = subprocess.Popen(
            [tunnelsim, "emulate", str(write_scenario(tmp_path, "wireguard", duration="1s")),
             "--out", str(tmp_path / "b")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # The lock is released when the first run's emulation is over, which may be a little
        # before its process exits (e.g. LeakSanitizer's check at exit): what must never happen
        # is both runs holding namespaces at once.
        saw_second = False
        while first.poll() is None or second.poll() is None:
            firsts, seconds = our_namespaces(first.pid), our_namespaces(second.pid)
            assert not (firsts and seconds), "the two emulations overlapped"
            saw_second = saw_second or bool(seconds)
            time.sleep(0.02)
        assert saw_second, "the second run never set up its namespaces"
        _, first_err = first.communicate(timeout=30)
        _, second_err = second.communicate(timeout=60)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second_err
    assert "waiting for another emulation" in second_err
    assert (tmp_path / "b" / "results.json").is_file()
