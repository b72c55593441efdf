"""`tunnelsim emulate` with tunnel.type = "strongswan" (issue 17 part 3): strongSwan's charon
with kernel-libipsec as both gateways in the hosts' namespaces, the relay impairing their
UDP-encapsulated ESP. A 3 s run on a reordering path: the CHILD_SA is up on both sides, TCP
gets through, the relay's window-128 analysis of charon's sequence numbers matches the drops
charon itself logged, and neither namespaces nor charon processes are left behind, also when
the run is stopped with SIGTERM. Skips (saying why) without root, TUN or strongSwan."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import missing_requirements

CHARON = "/usr/lib/ipsec/charon"
SWANCTL = "/usr/sbin/swanctl"
NETNS_DIR = Path("/run/netns")

# The study's reordering (reorder-collapse at 5 %: 10 ms netem on the access downlink) with
# Reno, whose slow start runs to the first loss: the bursts it sends make the immediate packets
# overtake more than 128 delayed ones, so a 128-window drops packets in every 3 s run (119-123
# measured). CUBIC's HyStart leaves slow start at ~28 segments on this path (the 10 ms RTT
# spread), too early for that within 3 s.
SCENARIO = """
name = "emulate-strongswan"
duration = "{duration}"
seed = 2

[tunnel]
type = "strongswan"

[tcp]
congestion = "newreno"
segment_size = 1348

[impairment.access.down]
delay = "10ms"
reorder = 5

[[traffic.bulk]]
direction = "download"
start = "0.5s"

[[traffic.ping]]
direction = "upload"
start = "1s"
interval = "200ms"
"""


@pytest.fixture(scope="module")
def strongswan_env():
    reasons = missing_requirements()
    for tool in (CHARON, SWANCTL):
        if not os.access(tool, os.X_OK):
            reasons.append(f"{tool} (scripts/install-deps installs strongSwan)")
    if reasons:
        pytest.skip("emulate tests need: " + "; ".join(reasons))


def leftovers(pid):
    """Namespaces and charon processes of the emulate run with this pid."""
    found = []
    if NETNS_DIR.exists():
        found += [p.name for p in NETNS_DIR.iterdir() if p.name.startswith(f"ts-emu-{pid}-")]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if f"STRONGSWAN_CONF=/tmp/ts-emu-{pid}-".encode() in environ:
            found.append(f"process {proc.name}")
    found += [str(p) for p in Path("/tmp").glob(f"ts-emu-{pid}-strongswan-*")]
    return found


@pytest.mark.parametrize("encryption,algorithm", [("aes-256-gcm", "AES_GCM_16"),
                                                  ("chacha20-poly1305", "CHACHA20_POLY1305")])
def test_charon_carries_the_download_and_the_relay_counts_its_replay_drops(
        strongswan_env, tunnelsim, tmp_path, encryption, algorithm):
    scenario = tmp_path / "strongswan.toml"
    scenario.write_text(SCENARIO.format(duration="3s"))
    out = tmp_path / "out"
    proc = subprocess.Popen([tunnelsim, "emulate", str(scenario), "--out", str(out), "--set",
                             f"tunnel.strongswan.encryption={encryption}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert leftovers(proc.pid) == []

    results = json.loads((out / "results.json").read_text())
    assert results["tunnel"]["type"] == "strongswan"
    counters = results["tunnel"]["counters"]
    charon = counters["extra"]
    for side in ("home", "work"):
        assert charon[side]["state"] == "INSTALLED", charon
        assert charon[side]["encap"] == "yes" and charon[side]["encr-alg"] == algorithm
    # Each side's inbound SA is the other's outbound one.
    assert charon["home"]["spi-in"] == charon["work"]["spi-out"]
    bulk = next(f for f in results["flows"] if f["kind"] == "bulk")
    assert bulk["tcp_stack"] == "kernel"
    assert bulk["goodput_mbps"] > 10, bulk
    assert charon["home"]["packets-in"] > 1000
    # charon's socket kept up: no ESP packet was lost before charon read it.
    assert charon["home"]["udp"]["RcvbufErrors"] == 0, charon["home"]["udp"]

    analysis = results["emulation"]["esp_replay_analysis"]
    assert isinstance(analysis["window_128_drops"], int)
    # Every ESP packet of the download crossed the relay, under the SPI charon reports.
    download = next(e for e in analysis["per_spi"] if e["spi"] == "0x" + charon["home"]["spi-in"])
    assert download["receiver"] == "home"
    assert analysis["per_receiver"]["home"]["spis"] == [download["spi"]]
    assert download["packets"] >= charon["home"]["packets-in"]
    assert analysis["window_32_drops"] >= analysis["window_128_drops"] >= analysis[
        "window_1024_drops"]
    # The analysis predicts what charon's own 128-packet window dropped (charon logs each);
    # a packet still between the relay and charon at the end may differ by one.
    assert analysis["window_128_drops"] > 0, analysis
    assert abs(analysis["window_128_drops"] - counters["replay_drops"]) <= 1, (analysis, charon)
    assert counters["replay_drops"] == (charon["home"]["replay_drops_logged"] +
                                        charon["work"]["replay_drops_logged"])


def test_sigterm_stops_charon_and_removes_everything(strongswan_env, tunnelsim, tmp_path):
    scenario = tmp_path / "strongswan.toml"
    scenario.write_text(SCENARIO.format(duration="20s"))
    out = tmp_path / "out"
    proc = subprocess.Popen([tunnelsim, "emulate", str(scenario), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Wait until charon runs (its namespaces exist and it has a process), then stop the run.
    deadline = time.monotonic() + 60
    while not any(item.startswith("process") for item in leftovers(proc.pid)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "charon never started"
        time.sleep(0.05)
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 1, stderr
    assert "interrupted" in stderr
    assert leftovers(proc.pid) == []
    assert not (out / "results.json").exists()


def test_a_killed_runs_charon_is_ended_by_the_next_run(strongswan_env, tunnelsim, tmp_path):
    scenario = tmp_path / "strongswan.toml"
    scenario.write_text(SCENARIO.format(duration="20s"))
    proc = subprocess.Popen([tunnelsim, "emulate", str(scenario), "--out", str(tmp_path / "a")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(item.startswith("process") for item in leftovers(proc.pid)):
        assert proc.poll() is None, "the run ended before charon started"
        assert time.monotonic() < deadline, "charon never started"
        time.sleep(0.05)
    proc.kill()  # SIGKILL: no cleanup of its own
    proc.wait()
    assert any(item.startswith("process") for item in leftovers(proc.pid))
    # The next emulation (any tunnel type) removes the dead run's namespaces, the charons
    # inside them and their directory before it starts.
    plain = tmp_path / "plain.toml"
    plain.write_text(SCENARIO.format(duration="2s").replace('"strongswan"', '"none"'))
    subprocess.run([tunnelsim, "emulate", str(plain), "--out", str(tmp_path / "b")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    assert leftovers(proc.pid) == []
