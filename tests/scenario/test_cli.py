"""The tunnelsim CLI: exit codes, messages, the library, smoke runs, determinism, and results
counters checked against packet captures."""
import json
import os
import pty
import struct
import subprocess

import pytest

from conftest import LIBRARY, REPO

LIBRARY_NAMES = sorted(p.stem for p in LIBRARY.glob("*.toml"))


def run(tunnelsim, *args, **kwargs):
    return subprocess.run([tunnelsim, *map(str, args)], capture_output=True, text=True,
                          timeout=120, **kwargs)


def header_line(path):
    for line in path.read_text().splitlines():
        if line.startswith("#") and line.strip("# "):
            return line.lstrip("# ").rstrip()
    return ""


def available(tunnelsim, name):
    proc = run(tunnelsim, "validate", LIBRARY / f"{name}.toml")
    assert proc.returncode == 0, proc.stderr
    return "not available in this build" not in proc.stdout


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- the library ---------------------------------------------------------------------------

def test_library_has_the_studies_the_issue_names():
    assert set(LIBRARY_NAMES) >= {"reorder-collapse", "ack-delay", "loss-sweep",
                                  "rekey-under-load", "roaming", "handshake-flood", "cpu-bound"}


def test_list_shows_each_scenario_with_its_header_question(tunnelsim):
    proc = run(tunnelsim, "list")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == LIBRARY_NAMES
    for line, name in zip(lines, LIBRARY_NAMES):
        description = header_line(LIBRARY / f"{name}.toml")
        assert description.endswith("?") or "?" in description
        assert line.split(None, 1)[1] == description


@pytest.mark.parametrize("name", LIBRARY_NAMES)
def test_every_library_scenario_validates(tunnelsim, name):
    proc = run(tunnelsim, "validate", name)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split(": ok")[0].endswith(f"library/{name}.toml")


# --- exit codes and messages ---------------------------------------------------------------

def test_usage_errors_exit_2(tunnelsim, tmp_path):
    assert run(tunnelsim).returncode == 2
    proc = run(tunnelsim, "frobnicate")
    assert proc.returncode == 2 and "unknown command" in proc.stderr
    proc = run(tunnelsim, "run")
    assert proc.returncode == 2 and "exactly one SCENARIO" in proc.stderr
    proc = run(tunnelsim, "run", "loss-sweep", "--bogus")
    assert proc.returncode == 2 and "unknown option '--bogus'" in proc.stderr
    proc = run(tunnelsim, "run", "loss-sweep", "--set", "seed")
    assert proc.returncode == 2 and "expected key=value" in proc.stderr
    proc = run(tunnelsim, "validate", tmp_path / "missing.toml")
    assert proc.returncode == 2 and "cannot open" in proc.stderr
    assert run(tunnelsim, "help").returncode == 0


def test_validation_error_names_file_line_key_and_allowed_values(tunnelsim, tmp_path):
    path = write(tmp_path, "# bad\nseed = 2\n[tcp]\ncongestion = \"vegas\"\nsack = true\nbogus = 1\n")
    proc = run(tunnelsim, "validate", path)
    assert proc.returncode == 2
    assert f"{path}:4: tcp.congestion: expected one of \"newreno\", \"cubic\", \"cubic-linux\", \"bbr\", got \"vegas\"" \
        in proc.stderr
    assert f"{path}:6: tcp.bogus: unknown key; allowed in [tcp]:" in proc.stderr
    # run refuses it the same way and writes nothing
    out = tmp_path / "out"
    assert run(tunnelsim, "run", path, "--out", out).returncode == 2
    assert not out.exists()


def test_set_is_type_checked(tunnelsim):
    proc = run(tunnelsim, "validate", "loss-sweep", "--set", "seed=three")
    assert proc.returncode == 2
    assert "--set: seed: expected an integer" in proc.stderr
    proc = run(tunnelsim, "validate", "loss-sweep", "--set", "tunnel.ipsec.replay_window=64",
               "--set=seed=3", "--print")
    assert proc.returncode == 0, proc.stderr
    resolved = json.loads(proc.stdout)
    assert resolved["seed"] == 3
    assert resolved["tunnel"]["ipsec"]["replay_window"] == 64


def test_unknown_tunnel_type_is_an_error_that_writes_nothing(tunnelsim, tmp_path):
    out = tmp_path / "out"
    proc = run(tunnelsim, "run", "reorder-collapse", "--set", "tunnel.type=openvpn", "--out", out)
    assert proc.returncode == 2
    assert "tunnel.type" in proc.stderr and "wireguard" in proc.stderr
    assert not (out / "results.json").exists()
    assert not list(tmp_path.rglob("*.tmp"))


# --- runs ----------------------------------------------------------------------------------

SMOKE_OVERRIDES = {"roaming": ["--set", "topology.roam_at=1s"],
                   "handshake-flood": ["--set", "traffic.udp[0].start=1s"]}


@pytest.mark.parametrize("name", LIBRARY_NAMES)
def test_smoke_run_of_each_library_scenario(tunnelsim, tmp_path, name):
    assert available(tunnelsim, name), f"{name}'s tunnel is not available in this build"
    out = tmp_path / name
    proc = run(tunnelsim, "run", name, "--set", "duration=1.5s", *SMOKE_OVERRIDES.get(name, []),
               "--out", out)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["scenario"]["name"] == name
    assert results["scenario"]["duration"] == "1.5s"
    assert results["description"] == header_line(LIBRARY / f"{name}.toml")
    assert results["versions"]["ns3"] == "3.37"
    bulk = [f for f in results["flows"] if f["kind"] == "bulk"]
    assert bulk and all(f["bytes_received"] > 0 for f in bulk)
    assert all(f["rtt_ms"]["samples"] > 0 for f in results["flows"] if "rtt_ms" in f)
    rows = (out / "timeseries.csv").read_text().splitlines()
    assert rows[0] == ("time_s,flow,kind,goodput_mbps,cwnd_bytes,rtt_ms,ssthresh_segments,"
                       "total_retrans")
    assert len(rows) - 1 == 15 * len(results["flows"])
    # The TCP columns as the kernel's (emulate) have them: the running total of segments sent
    # again ends at the flow's own count; ssthresh is set only once slow start has ended.
    for flow in bulk:
        series = [row.split(",") for row in rows[1:] if row.split(",")[1] == flow["id"]]
        totals = [int(row[7]) for row in series if row[7]]  # empty before the socket exists
        assert totals == sorted(totals) and totals[-1] <= flow["retransmissions"]
        if flow["retransmissions"] == 0:
            assert totals[-1] == 0
    if results["tunnel"]["type"] != "none":
        assert results["tunnel"]["counters"]["handshakes"] >= 1
        assert results["tunnel"]["counters"]["overhead_bytes"] > 0
    if name == "handshake-flood":
        drops = results["tunnel"]["counters"]["extra"]["work"]["drops"]
        assert drops.get("malformed", 0) > 0


@pytest.mark.parametrize("tunnel", ["none", "wireguard"])
def test_same_scenario_and_seed_give_byte_identical_results(tunnelsim, tmp_path, tunnel):
    outputs = []
    for attempt in ("a", "b", "c"):
        seed = "3" if attempt != "c" else "4"
        out = tmp_path / attempt
        proc = run(tunnelsim, "run", "loss-sweep", "--set", "duration=2s", "--set",
                   f"seed={seed}", "--set", f"tunnel.type={tunnel}", "--out", out)
        assert proc.returncode == 0, proc.stderr
        results = json.loads((out / "results.json").read_text())
        # provenance says what produced the run (host, wall time): the one part that differs.
        assert "wall_seconds" in results.pop("provenance")
        outputs.append((json.dumps(results, indent=2).encode(),
                        (out / "timeseries.csv").read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] != outputs[2][0]  # the seed matters
    assert b"wall" not in outputs[0][0]


def read_pcap_ipv4(path):
    """(src, dst, protocol, ip_payload) for every IPv4 frame of a PPP pcap."""
    data = path.read_bytes()
    magic, = struct.unpack("<I", data[:4])
    assert magic == 0xA1B2C3D4
    linktype, = struct.unpack("<I", data[20:24])
    assert linktype == 9  # PPP
    offset, frames = 24, []
    while offset < len(data):
        _, _, caplen, _ = struct.unpack("<IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        if frame[:2] != b"\x00\x21":
            continue
        ip = frame[2:]
        header = (ip[0] & 0x0F) * 4
        total, = struct.unpack("!H", ip[2:4])
        frames.append((ip[12:16], ip[16:20], ip[9], ip[header:total]))
    return frames


def test_results_counters_agree_with_packet_captures(tunnelsim, tmp_path):
    scenario = write(tmp_path, """
duration = "4s"
[impairment.access.down]
loss = 2.0
[[traffic.bulk]]
direction = "download"
stop = "2.5s"
[output]
pcap = true
""")
    out = tmp_path / "out"
    proc = run(tunnelsim, "run", scenario, "--out", out)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    flow = results["flows"][0]
    netem = results["impairments"]["access.down"]["netem"]
    assert netem["lost"] > 0 and flow["retransmissions"] > 0

    # Every packet the impairment let through on the WAN router's access egress is on the wire.
    home_side = {bytes([192, 168, 1, 1]), bytes([100, 64, 0, 1])}
    sent_down = [f for f in read_pcap_ipv4(out / "pcap" / "access-wan_router.pcap")
                 if f[1] in home_side]
    assert len(sent_down) == netem["delivered"]
    assert netem["packets"] == netem["delivered"] + netem["lost"] + netem["queue_drops"]

    # Retransmissions: data segments that start below the highest byte already sent, as the
    # work host's LAN capture shows them.
    work_host = bytes([10, 1, 0, 2])
    highest, retransmissions, data_segments = None, 0, 0
    for src, _, protocol, payload in read_pcap_ipv4(out / "pcap" / "work_lan-work_host.pcap"):
        if src != work_host or protocol != 6:
            continue
        seq, = struct.unpack("!I", payload[4:8])
        length = len(payload) - (payload[12] >> 4) * 4
        if length == 0:
            continue
        data_segments += 1
        if highest is not None and seq < highest:
            retransmissions += 1
        highest = max(highest or 0, seq + length)
    assert data_segments == flow["data_segments_sent"]
    assert retransmissions == flow["retransmissions"]

    # Bytes delivered to the home host's application never exceed what reached it.
    delivered = sum(len(p) - (p[12] >> 4) * 4 for s, d, proto, p in
                    read_pcap_ipv4(out / "pcap" / "home_lan-home_host.pcap")
                    if d == bytes([192, 168, 1, 1]) and proto == 6)
    assert 0 < flow["bytes_received"] <= delivered


def test_progress_is_shown_only_on_a_terminal(tunnelsim, tmp_path):
    args = [tunnelsim, "run", "loss-sweep", "--set", "duration=1s", "--out", tmp_path / "p"]
    piped = subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0
    assert "simulated" not in piped.stderr
    main, secondary = pty.openpty()
    try:
        proc = subprocess.run(list(map(str, args)), stdout=subprocess.DEVNULL, stderr=secondary,
                              timeout=60)
        os.close(secondary)
        secondary = None
        captured = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            captured += chunk
    finally:
        if secondary is not None:
            os.close(secondary)
        os.close(main)
    assert proc.returncode == 0
    assert b"simulated" in captured and b"ETA" in captured and b"wall" in captured


def test_keys_are_all_documented(tunnelsim):
    doc = (REPO / "docs" / "scenarios.md").read_text()
    proc = run(tunnelsim, "keys")
    assert proc.returncode == 0
    for line in proc.stdout.splitlines():
        key = line.split("\t")[0]
        if key.startswith("impairment."):
            key = "impairment.<link>.<direction>." + key.split(".", 3)[3]
        assert f"`{key}`" in doc, key


def test_wireguard_key_logs_and_pcaps_on_request(tunnelsim, tmp_path):
    assert available(tunnelsim, "rekey-under-load")
    out = tmp_path / "wg"
    proc = run(tunnelsim, "run", "rekey-under-load", "--set", "duration=1.5s", "--set",
               "output.key_log=true", "--set", "output.pcap=true", "--out", out)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    handshakes = results["tunnel"]["counters"]["handshakes"]
    for side in ("home", "work"):
        keylog = (out / f"wireguard-{side}.keylog").read_text()
        assert "LOCAL_STATIC_PRIVATE_KEY" in keylog or "PRIVATE_KEY" in keylog
        assert (out / "pcap" / f"wireguard-{side}.pcap").stat().st_size > 24
    # Handshake responses (WireGuard message type 2) crossing the WAN link, seen once each at
    # the work gateway's end, agree with the counter.
    responses = 0
    for src, dst, protocol, payload in read_pcap_ipv4(out / "pcap" / "wan-work_gateway.pcap"):
        if protocol == 17 and len(payload) >= 12 and payload[8] == 2:
            responses += 1
    assert handshakes >= 1 and responses == handshakes
