"""`--pmtu-discovery` end to end (issue #17 part 4): the underlay veth carries 1400 bytes, so
ESP around a 1400-byte inner packet (the TUN's MTU) does not fit. With the option, side A's
daemon drops an inner DF packet over the tunnel's inner MTU (1346 for plain ESP with an AEAD)
and writes ICMP "fragmentation needed" with that MTU into its TUN: ping -M do reports it, the
kernel caches the path MTU, and a real TCP transfer with DF adapts and completes. Without the
option the daemon sends the oversized ESP packet (the kernel fragments the outer packet) and
no sender learns anything. Namespaces carry the prefix h17."""

import re
import time

import pytest

import ipsecnet as net
from test_clamp_mss import IKE, PORT, H17Topology, daemon_path, h17, tcp_mss_probe  # noqa: F401

UNDERLAY_MTU = 1400
INNER_MTU = 1346  # 1400 - 20 outer IPv4 - 8 SPI/sequence - 8 IV - 16 ICV, to 4 bytes, - 2


def route_mtu(topo) -> str:
    return net.run(["ip", "-n", topo.ns[0], "route", "get", net.INNER[1], "from",
                    net.INNER[0]]).stdout


def ping_df(topo, size: int, count: int = 3):
    return net.run(["ip", "netns", "exec", topo.ns[0], "ping", "-n", "-c", str(count), "-i",
                    "0.2", "-W", "2", "-M", "do", "-s", str(size), "-I", net.INNER[0],
                    net.INNER[1]], check=False)


@pytest.mark.parametrize("pmtu", [False, True], ids=["off", "on"])
def test_df_packets_too_big_for_the_tunnel_get_fragmentation_needed(h17, pmtu):
    for side in (0, 1):
        net.run(["ip", "-n", h17.ns[side], "link", "set", h17.veth[side], "mtu",
                 str(UNDERLAY_MTU)])
    args = ["--pmtu-discovery"] if pmtu else []
    h17.start_ours(1, net.swanctl_conf(1, IKE, "aes256gcm16", start=False), *args)
    h17.start_ours(0, net.swanctl_conf(0, IKE, "aes256gcm16", start=True), *args)
    for name in ("ours-a", "ours-b"):
        h17.wait_event(name, "child_sa_up")
    time.sleep(0.2)
    # 1372 bytes of ICMP data: a 1400-byte packet, the TUN's MTU.
    r = ping_df(h17, UNDERLAY_MTU - 28)
    stats = h17.stats("ours-a")["driver"]
    if pmtu:
        assert f"mtu = {INNER_MTU}" in r.stdout + r.stderr or \
            f"mtu={INNER_MTU}" in r.stdout + r.stderr, r.stdout + r.stderr
        assert stats["icmp_frag_needed_sent"] >= 1
        assert stats["pmtu_drops"] == stats["icmp_frag_needed_sent"]
        assert re.search(rf"\bmtu {INNER_MTU}\b", route_mtu(h17)), route_mtu(h17)
        # What fits still passes.
        ok = ping_df(h17, INNER_MTU - 28)
        assert " 0% packet loss" in ok.stdout, ok.stdout + ok.stderr
    else:
        assert " 0% packet loss" in r.stdout, r.stdout + r.stderr
        assert stats["icmp_frag_needed_sent"] == 0
        assert "mtu" not in route_mtu(h17).split("cache")[-1]
    # A real TCP transfer (Linux sets DF) through the tunnel completes either way; with the
    # option its segments shrink to the learned path MTU.
    result = tcp_mss_probe.transfer(h17.ns[0], net.INNER[0], h17.ns[1], net.INNER[1], PORT)
    assert result["bytes"] == tcp_mss_probe.TRANSFER_BYTES
    if pmtu:
        assert result["client_maxseg"] <= INNER_MTU - 40
