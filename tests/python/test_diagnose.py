"""`tunnelsim diagnose`: metrics against hand-computed sequences, and captures the project's
own simulation writes (pcap, pcapng via editcap, truncated, corrupt)."""

import json
import os
import subprocess
import sys

import pytest

from tunnelsim.diagnose.metrics import (flow_summary, loss_and_duplicates, reorder_density,
                                        replay_drops, rfc4737)


def test_rfc4737_example_one_reordered_packet_extent_two():
    # 1,2,4,5,3: only 3 is below the next expected (6); the earliest earlier arrival above
    # it is 4, two arrivals back.
    ratio, extents = rfc4737([1, 2, 4, 5, 3])
    assert ratio == pytest.approx(1 / 5)
    assert extents == [2]


def test_rfc4737_in_order_and_duplicates_are_not_reordered():
    assert rfc4737([1, 2, 3, 4]) == (0.0, [])
    assert rfc4737([1, 2, 2, 3]) == (0.0, [])


def test_rfc4737_late_packets_extents():
    # 1,3,4,2,6,5: 2 is late by 2 (behind 3), 5 is late by 1 (behind 6).
    ratio, extents = rfc4737([1, 3, 4, 2, 6, 5])
    assert ratio == pytest.approx(2 / 6)
    assert extents == [2, 1]


def test_rfc5236_reorder_density_swap():
    # 1,2,4,3: 4 arrives one early (-1), 3 one late (+1), the rest in place.
    density = reorder_density([1, 2, 4, 3], threshold=2)
    assert density == {-2: 0.0, -1: 0.25, 0: 0.5, 1: 0.25, 2: 0.0}


def test_loss_and_duplicates():
    assert loss_and_duplicates([1, 2, 2, 5]) == (2, 1)  # 3 and 4 never seen, one 2 repeated


def test_replay_window_drops_hand_count():
    # Window 4 after 5: 1 is at the edge (<= 5-4) and dropped; 2,3,4 accepted; the second
    # 3 is a replay.
    assert replay_drops([5, 1, 2, 3, 4, 3, 6], 4) == 2
    assert replay_drops([5, 1, 2, 3, 4, 3, 6], 8) == 1


def test_replay_fraction_is_of_packets_sent():
    summary = flow_summary([10, 1, 2, 3, 4], windows=(4,))
    # sent = 10 (1..10, 5 lost); 1..4 are all <= 10-4: four drops.
    assert summary["loss_fraction"] == pytest.approx(0.5)
    assert summary["replay_drop_fraction"]["4"] == pytest.approx(0.4)


@pytest.fixture(scope="module")
def simulated_capture(tunnelsim_cli, tmp_path_factory):
    """A 2-second reorder-collapse run over GRE-over-IPsec with pcap output (tiny)."""
    out = tmp_path_factory.mktemp("diagnose-run")
    subprocess.run([str(tunnelsim_cli), "run", "reorder-collapse", "--set", "output.pcap=true",
                    "--set", "duration=2s", "--set", "tunnel.type=gre-over-ipsec", "--out",
                    str(out)], check=True, capture_output=True, timeout=120)
    return out


def run_diagnose(*args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.run([sys.executable, "-m", "tunnelsim", "diagnose", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_predicted_replay_drops_match_simulated_counter(simulated_capture):
    capture = simulated_capture / "pcap" / "access-home_gateway.pcap"
    result = run_diagnose("--json", str(capture))
    assert result.returncode == 0, result.stderr
    flows = json.loads(result.stdout)["flows"]
    reordered = max(flows, key=lambda f: f["reordered_ratio"])
    assert reordered["protocol"] == "esp" and reordered["reordered_ratio"] > 0.1
    simulated = json.loads((simulated_capture / "results.json").read_text())
    simulated_drops = simulated["tunnel"]["counters"]["replay_drops"]
    sent = reordered["packets"] / (1 - reordered["loss_fraction"])
    predicted = reordered["replay_drop_fraction"]["64"] * sent  # the scenario's window: 64
    assert simulated_drops > 0
    assert predicted == pytest.approx(simulated_drops, rel=0.10)


def test_pcapng_gives_the_same_flows(simulated_capture, tmp_path):
    capture = simulated_capture / "pcap" / "access-home_gateway.pcap"
    pcapng = tmp_path / "capture.pcapng"
    subprocess.run(["editcap", "-F", "pcapng", str(capture), str(pcapng)], check=True,
                   capture_output=True)
    plain = json.loads(run_diagnose("--json", str(capture)).stdout)["flows"]
    converted = json.loads(run_diagnose("--json", str(pcapng)).stdout)["flows"]
    assert plain == converted and plain


def test_truncated_capture_names_file_and_offset(simulated_capture, tmp_path):
    data = (simulated_capture / "pcap" / "access-home_gateway.pcap").read_bytes()
    truncated = tmp_path / "truncated.pcap"
    truncated.write_bytes(data[:100000])
    result = run_diagnose(str(truncated))
    assert result.returncode == 2
    assert str(truncated) in result.stderr and "byte offset" in result.stderr
    assert "Traceback" not in result.stderr


def test_corrupt_capture_is_a_clear_error(tmp_path):
    corrupt = tmp_path / "corrupt.pcap"
    corrupt.write_bytes(b"this is not a capture file at all" * 4)
    result = run_diagnose(str(corrupt))
    assert result.returncode == 2
    assert str(corrupt) in result.stderr and "Traceback" not in result.stderr


def test_missing_capture_is_a_clear_error(tmp_path):
    result = run_diagnose(str(tmp_path / "absent.pcap"))
    assert result.returncode == 2
    assert "absent.pcap" in result.stderr and "Traceback" not in result.stderr


def test_truncated_pcapng_names_file_and_block_offset(simulated_capture, tmp_path):
    capture = simulated_capture / "pcap" / "access-home_gateway.pcap"
    pcapng = tmp_path / "whole.pcapng"
    subprocess.run(["editcap", "-F", "pcapng", str(capture), str(pcapng)], check=True,
                   capture_output=True)
    truncated = tmp_path / "truncated.pcapng"
    truncated.write_bytes(pcapng.read_bytes()[:150000])
    result = run_diagnose(str(truncated))
    assert result.returncode == 2
    assert str(truncated) in result.stderr and "block at byte offset" in result.stderr
    assert "Traceback" not in result.stderr


def test_record_with_a_corrupt_length_names_its_offset(simulated_capture, tmp_path):
    data = bytearray((simulated_capture / "pcap" / "access-home_gateway.pcap").read_bytes())
    # The first record starts at byte 24; its captured length (bytes 8..11 of the record
    # header) becomes absurd.
    first_length = int.from_bytes(data[24 + 8:24 + 12], "little")
    second = 24 + 16 + first_length
    data[second + 8:second + 12] = (0x7FFFFFF0).to_bytes(4, "little")
    corrupt = tmp_path / "corrupt-length.pcap"
    corrupt.write_bytes(bytes(data))
    result = run_diagnose(str(corrupt))
    assert result.returncode == 2
    assert f"record at byte offset {second}:" in result.stderr
    assert "Traceback" not in result.stderr
