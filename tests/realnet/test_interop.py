"""tunnelsim-wg-up (namespace A) against Debian's wireguard-go (namespace B) over a veth pair.

Side 0 is always our daemon, side 1 wireguard-go. Each test builds fresh namespaces and
removes them (and every process in them) when it ends, whether it passed or not.
"""

import os
import signal
import time

import pytest

import wgnet
from wgnet import INNER4, INNER6

MB = 1_000_000
TRANSFER_BYTES = int(os.environ.get("TUNNELSIM_REALNET_TRANSFER_BYTES", 20 * MB))


def start_pair(topo, daemon, label, **config_args):
    configs = wgnet.side_configs(label, **config_args)
    ours = wgnet.WgUpDaemon(topo, 0, configs[0], daemon).start()
    theirs = wgnet.WireguardGo(topo, 1, configs[1]).start()
    return configs, ours, theirs


def assert_pings_both_ways(topo):
    ns_ours, ns_theirs = topo.ns
    for address_ours, address_theirs in ((INNER4[0], INNER4[1]), (INNER6[0], INNER6[1])):
        assert wgnet.ping(ns_ours, address_theirs), f"ping {address_theirs} from our side"
        assert wgnet.ping(ns_theirs, address_ours), f"ping {address_ours} from wireguard-go"


def assert_transfers_both_ways(topo, family, seed):
    """At least TRANSFER_BYTES over TCP in each direction, checked with SHA-256 at the far end."""
    ns_ours, ns_theirs = topo.ns
    inner = INNER4 if family == 4 else INNER6
    out = wgnet.tcp_transfer(ns_theirs, ns_ours, inner[1], TRANSFER_BYTES, seed=seed)
    back = wgnet.tcp_transfer(ns_ours, ns_theirs, inner[0], TRANSFER_BYTES, seed=seed + 1)
    assert out["match"] and out["received"] == TRANSFER_BYTES
    assert back["match"] and back["received"] == TRANSFER_BYTES
    return out, back


@pytest.mark.parametrize("initiator", ["tunnelsim", "wireguard-go"])
@pytest.mark.parametrize("psk", [False, True], ids=["no-psk", "psk"])
def test_interop(topo, daemon, initiator, psk):
    label = f"interop-{initiator}-{psk}"
    configs, ours, theirs = start_pair(
        topo, daemon, label, psk=wgnet.preshared_key(label) if psk else None)
    ns_ours, ns_theirs = topo.ns
    their_key = configs[0].peers[0].public_key
    our_key = configs[1].peers[0].public_key

    # The first packet comes from the initiator's side, so that side starts the handshake.
    if initiator == "tunnelsim":
        assert wgnet.ping_until_reply(ns_ours, INNER4[1])
    else:
        assert wgnet.ping_until_reply(ns_theirs, INNER4[0])
    assert theirs.latest_handshakes()[our_key] > 0

    assert_pings_both_ways(topo)
    # Both families carry bulk data; each test moves 20 MB each way over one of them in full
    # and the other family is covered by the tests with the other PSK setting.
    family = 6 if psk else 4
    out, back = assert_transfers_both_ways(topo, family, seed=10 if psk else 20)
    print(f"{label}: IPv{family} {out['mbit_per_s']:.0f} Mbit/s to wireguard-go, "
          f"{back['mbit_per_s']:.0f} Mbit/s back")

    assert ours.stop() == 0
    stats = ours.stats()
    device = stats["device"]
    peer = stats["peers"][0]
    assert peer["public_key"] == their_key
    assert peer["has_preshared_key"] == psk
    # Exactly one handshake, begun by the side that sent first.
    assert device["handshakes_completed"] == 1
    assert device["sessions_confirmed"] == 1
    if initiator == "tunnelsim":
        assert device["handshake_initiations_sent"] == 1
        assert device["handshake_responses_received"] == 1
        assert device["handshake_initiations_received"] == 0
    else:
        assert device["handshake_initiations_received"] == 1
        assert device["handshake_responses_sent"] == 1
        assert device["handshake_initiations_sent"] == 0
    assert device["data_bytes_received"] >= TRANSFER_BYTES
    assert device["data_bytes_sent"] >= TRANSFER_BYTES
    assert stats["driver"]["tun_packets_written"] == device["data_packets_received"]
    log = ours.log()
    assert "handshake completed with peer " + their_key in log
    # The log names keys by their public halves only.
    assert configs[0].private_key not in log
    if psk:
        assert configs[0].peers[0].preshared_key not in log


def test_ipv6_underlay(topo, daemon):
    """Endpoints on the IPv6 underlay: the dual-stack socket carries the tunnel over IPv6."""
    configs, ours, theirs = start_pair(topo, daemon, "underlay6", underlay_v6=True)
    ns_ours, ns_theirs = topo.ns
    assert wgnet.ping_until_reply(ns_ours, INNER6[1])
    assert wgnet.ping(ns_theirs, INNER4[0])
    ours.stop()
    peer = ours.stats()["peers"][0]
    assert peer["endpoint"] == f"[{wgnet.UNDERLAY6[1]}]:{wgnet.PORTS[1]}"
    assert ours.stats()["device"]["handshakes_completed"] == 1


def test_daemon_restart(topo, daemon):
    """Our daemon restarted mid-test: a new handshake happens and traffic resumes."""
    configs, ours, theirs = start_pair(topo, daemon, "restart")
    ns_ours, ns_theirs = topo.ns
    our_key = configs[1].peers[0].public_key
    assert wgnet.ping_until_reply(ns_ours, INNER4[1])
    assert wgnet.ping(ns_theirs, INNER4[0])
    first = wgnet.tcp_transfer(ns_theirs, ns_ours, INNER4[1], 2 * MB, seed=30)
    assert first["match"]
    first_handshake = theirs.latest_handshakes()[our_key]

    assert ours.stop(signal.SIGINT) == 0
    assert not ns_ours.has_link(ours.ifname), "interface removed on exit"
    assert not wgnet.ping(ns_theirs, INNER4[0], count=1, timeout=1)

    # wireguard-go timestamps handshakes in whole seconds; make the new one distinguishable.
    time.sleep(max(0.0, first_handshake + 1.1 - time.time()))
    restarted = wgnet.WgUpDaemon(topo, 0, configs[0], daemon).start()
    assert wgnet.ping_until_reply(ns_ours, INNER4[1])
    assert wgnet.ping(ns_theirs, INNER4[0])
    assert wgnet.ping(ns_theirs, INNER6[0])
    assert theirs.latest_handshakes()[our_key] > first_handshake
    again = wgnet.tcp_transfer(ns_theirs, ns_ours, INNER4[1], 5 * MB, seed=31)
    back = wgnet.tcp_transfer(ns_ours, ns_theirs, INNER4[0], 5 * MB, seed=32)
    assert again["match"] and back["match"]
    assert restarted.stop() == 0
    assert restarted.stats()["device"]["handshakes_completed"] == 1


def test_daemon_restart_with_wireguard_go_sending_first(topo, daemon):
    """After a restart it is wireguard-go that sends first, on a session our new process no
    longer has: it must recover by a new handshake (at wireguard-go's rekey timeout)."""
    configs, ours, theirs = start_pair(topo, daemon, "restart-theirs")
    ns_ours, ns_theirs = topo.ns
    assert wgnet.ping_until_reply(ns_theirs, INNER4[0])
    assert ours.stop() == 0
    restarted = wgnet.WgUpDaemon(topo, 0, configs[0], daemon).start()
    # wireguard-go keeps using its old session until it notices no reply arrives
    # (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT = 15 s), then handshakes again.
    assert wgnet.ping_until_reply(ns_theirs, INNER4[0], timeout=30)
    assert wgnet.ping(ns_ours, INNER6[1])
    restarted.stop()
    stats = restarted.stats()["device"]
    assert stats["handshakes_completed"] == 1
    assert stats["handshake_initiations_received"] == 1
    assert stats["drops"]["unknown_index"] > 0  # the old session's packets, counted


NEGATIVE_WAIT = 7  # seconds: beyond REKEY_TIMEOUT, so every side has retried at least once


@pytest.mark.parametrize("case", ["ours-has-wrong-key", "theirs-has-wrong-key", "wrong-psk"])
def test_no_handshake_with_wrong_keys(topo, daemon, case):
    args = {"ours-has-wrong-key": {"wrong_key_for": 0},
            "theirs-has-wrong-key": {"wrong_key_for": 1},
            "wrong-psk": {"wrong_psk": True}}[case]
    configs, ours, theirs = start_pair(topo, daemon, f"negative-{case}", **args)
    ns_ours, ns_theirs = topo.ns
    # Both sides keep trying: pings from each side start handshakes from each side.
    deadline = time.monotonic() + NEGATIVE_WAIT
    while time.monotonic() < deadline:
        assert not wgnet.ping(ns_ours, INNER4[1], count=1, timeout=1)
        assert not wgnet.ping(ns_theirs, INNER6[0], count=1, timeout=1)

    # No inner packet reached either kernel: a TUN interface's rx counter counts the packets
    # its WireGuard process delivered.
    assert ns_ours.link_stats(ours.ifname)["rx_packets"] == 0
    assert ns_theirs.link_stats(theirs.ifname)["rx_packets"] == 0
    assert all(t == 0 for t in theirs.latest_handshakes().values())
    if case != "wrong-psk":
        # wireguard-go counts the bytes of handshake messages it accepted; with a wrong PSK
        # our initiations are still valid (the PSK enters only at the response).
        assert all(rx == 0 for rx, _ in theirs.transfer().values())

    assert ours.stop() == 0
    stats = ours.stats()
    device = stats["device"]
    peer = stats["peers"][0]
    # Never completed as initiator, never confirmed as responder (confirmation is the first
    # authenticated packet from the initiator, keepalive or data).
    assert device["handshake_responses_received"] == 0
    assert device["keepalives_received"] == 0 and peer["keepalives_received"] == 0
    assert device["data_packets_received"] == 0 and peer["rx_packets"] == 0
    # The only sessions the core may have derived are unconfirmed responder ones.
    assert device["handshakes_completed"] <= device["handshake_responses_sent"]
    if case != "wrong-psk":
        assert device["handshakes_completed"] == 0
    assert device["sessions_confirmed"] == 0 and peer["sessions_confirmed"] == 0
    assert stats["driver"]["tun_packets_written"] == 0
    assert device["handshake_initiations_sent"] >= 1
    drops = device["drops"]
    if case == "ours-has-wrong-key":
        # wireguard-go's initiations decrypt to a static key we do not know.
        reason = "unknown_peer"
    elif case == "theirs-has-wrong-key":
        # wireguard-go computes MAC1 with the key it believes is ours.
        reason = "bad_mac1"
    else:
        # Initiations authenticate (the PSK enters only at the response); wireguard-go's
        # responses to ours then fail to decrypt.
        reason = "handshake_failed"
    assert drops[reason] > 0
    # Both sides tried more than once between them, and every attempt failed.
    attempts = (device["handshake_initiations_sent"] + device["handshake_initiations_received"]
                + drops[reason])
    assert attempts >= 2
    assert "dropped packet" in ours.log()
