"""`tunnelsim emulate` with a [[traffic.udp]] flow (issue 17 part 3): a constant-rate kernel UDP
sender in the sending host's namespace and a counting receiver in the other. Through every
tunnel type the flow delivers the packet count `tunnelsim run` sends, at the scenario's rate;
and with a replay window the reordering overruns, the ESP receiver's drops (our core's counter,
or charon's log) equal the relay's analysis of the same packets and are exactly the packets the
receiver misses. Skips (saying why) without root, TUN, iproute2, or strongSwan for its cases."""
import json
import os
import subprocess

import pytest

from conftest import missing_requirements

CHARON = "/usr/lib/ipsec/charon"
SWANCTL = "/usr/sbin/swanctl"

# 8 Mbit/s of 1000-byte payloads is one packet per ms: packets leave at 0.5 s + k ms for
# k = 1 .. 999 before the sender stops at 1.5 s (ns-3's OnOff application sends the same 999).
DELIVERY = """
name = "emulate-udp"
duration = "1.8s"
seed = 1

[tunnel]
type = "{tunnel}"

[[traffic.udp]]
direction = "{direction}"
start = "0.5s"
stop = "1.5s"
rate = "8Mbps"
packet_size = 1000

# Brings the tunnel up before the flow starts: WireGuard's handshake would otherwise hold the
# first datagrams until it completes, and they would arrive together.
[[traffic.ping]]
direction = "upload"
start = "0.1s"
interval = "100ms"
"""

# Reordering on the access downlink that a window overruns: the delay line holds rate x delay
# packets (4000/s x 20 ms = 80 for our core's window of 32; 6000/s x 30 ms = 180 for charon's
# fixed 128), so delayed packets that 32 (128) or more immediate ones overtake are dropped.
# The sender stops 0.4 s before the end, so every packet has arrived or been dropped by then.
REPLAY = """
name = "emulate-udp-replay"
duration = "2.2s"
seed = 3

[tunnel]
type = "{tunnel}"

[tunnel.ipsec]
replay_window = {window}
esn = false

[impairment.access.down]
delay = "{delay}"
reorder = 2

[[traffic.udp]]
direction = "download"
start = "0.5s"
stop = "1.8s"
rate = "{rate}"
packet_size = {size}
"""


def requirements(tunnel):
    reasons = missing_requirements()
    if tunnel == "strongswan":
        for tool in (CHARON, SWANCTL):
            if not os.access(tool, os.X_OK):
                reasons.append(f"{tool} (scripts/install-deps installs strongSwan)")
    if reasons:
        pytest.skip("emulate tests need: " + "; ".join(reasons))


def emulate(tunnelsim, tmp_path, text):
    scenario = tmp_path / "udp.toml"
    scenario.write_text(text)
    out = tmp_path / "out"
    proc = subprocess.run([tunnelsim, "emulate", str(scenario), "--out", str(out)],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "results.json").read_text())


@pytest.mark.parametrize("tunnel, direction", [("none", "download"), ("wireguard", "upload"),
                                               ("gre-over-ipsec", "download"),
                                               ("strongswan", "upload")])
def test_udp_flow_delivers_every_packet_at_its_rate(tunnelsim, tmp_path, tunnel, direction):
    requirements(tunnel)
    results = emulate(tunnelsim, tmp_path, DELIVERY.format(tunnel=tunnel, direction=direction))
    flow = next(f for f in results["flows"] if f["kind"] == "udp")
    assert (flow["id"], flow["direction"], flow["start_s"], flow["end_s"]) == (
        "udp0", direction, 0.5, 1.5)
    assert flow["send_errors"] == 0
    assert flow["packets_sent"] == 999 and flow["bytes_sent"] == 999 * 1000
    # An unimpaired path loses and reorders nothing.
    assert flow["packets_received"] == 999 and flow["packets_lost"] == 0, flow
    assert flow["bytes_received"] == 999 * 1000
    assert flow["reordered"] == 0 and flow["duplicates"] == 0
    # Payload goodput over the flow's second, as `run` computes it: 999 kB in 1 s.
    assert flow["goodput_mbps"] == pytest.approx(7.992)
    # The rate the receiver saw: 998 intervals of 1 ms between the first and last arrival
    # (the path adds a constant delay; scheduling jitter of a few ms at most at either end).
    span = flow["last_arrival_s"] - flow["first_arrival_s"]
    assert span == pytest.approx(0.998, abs=0.01), flow
    assert flow["first_arrival_s"] > 0.5
    assert flow["send_lateness_us"]["p50"] < 1000, flow["send_lateness_us"]


@pytest.mark.parametrize("tunnel, window, delay, rate, size", [
    ("gre-over-ipsec", 32, "20ms", "16Mbps", 500),
    ("strongswan", 128, "30ms", "48Mbps", 1000)])
def test_replay_drops_equal_the_relays_analysis_and_the_missing_packets(
        tunnelsim, tmp_path, tunnel, window, delay, rate, size):
    requirements(tunnel)
    results = emulate(tunnelsim, tmp_path, REPLAY.format(tunnel=tunnel, window=window,
                                                         delay=delay, rate=rate, size=size))
    flow = next(f for f in results["flows"] if f["kind"] == "udp")
    counters = results["tunnel"]["counters"]
    analysis = results["emulation"]["esp_replay_analysis"]
    drops = counters["replay_drops"]
    assert flow["send_errors"] == 0
    assert flow["reordered"] > 0
    assert drops > 50, (counters, flow)
    # The receiving ESP dropped what the relay's window predicts for the order it forwarded
    # (charon: a packet between the relay and charon at the end may differ by one).
    assert abs(analysis[f"window_{window}_drops"] - drops) <= (1 if tunnel == "strongswan" else 0)
    # ... and nothing else was lost: every missing packet is a replay drop.
    assert flow["packets_lost"] == drops, (flow, counters)
    if tunnel == "strongswan":
        for side in ("home", "work"):
            assert counters["extra"][side]["udp"]["RcvbufErrors"] == 0
