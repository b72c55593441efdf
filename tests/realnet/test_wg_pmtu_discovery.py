"""`tunnelsim-wg-up --pmtu-discovery` end to end: two of our WireGuard daemons in h17
namespaces, the underlay veth carrying 1400 bytes while the interfaces' MTU is 1420. With the
option, side A's daemon answers a 1400-byte DF ping with ICMP "fragmentation needed" naming
the tunnel's inner MTU (1400 - 60 bytes of WireGuard over IPv4, to 16: 1328), the kernel
caches it and a 1328-byte ping passes; without it the oversized UDP datagram is fragmented by
the kernel instead and no ICMP is sent."""

import json
import re
import signal

import pytest

import wgnet
from test_wg_clamp_mss import H17Topology  # noqa: F401
from wgnet import INNER4

UNDERLAY_MTU = 1400
INNER_MTU = 1328


@pytest.fixture
def h17():
    reasons = wgnet.missing_requirements()
    if reasons:
        pytest.skip("realnet interop tests need: " + "; ".join(reasons))
    with H17Topology() as t:
        yield t


def ping_df(topo, size: int):
    return topo.ns[0].run(["ping", "-4", "-n", "-c", 3, "-i", 0.2, "-W", 2, "-M", "do", "-s",
                           size, INNER4[1]], check=False)


@pytest.mark.parametrize("pmtu", [False, True], ids=["off", "on"])
def test_df_packets_too_big_for_the_tunnel_get_fragmentation_needed(h17, daemon, pmtu):
    for side in (0, 1):
        h17.ns[side].run(["ip", "link", "set", h17.veth[side], "mtu", UNDERLAY_MTU])
    configs = wgnet.side_configs("h17-pmtu")
    args = ["--pmtu-discovery"] if pmtu else []
    ours = wgnet.WgUpDaemon(h17, 0, configs[0], daemon, extra_args=args).start()
    wgnet.WgUpDaemon(h17, 1, configs[1], daemon, extra_args=args).start()
    assert wgnet.ping_until_reply(h17.ns[0], INNER4[1]), "no ping through the tunnel"
    r = ping_df(h17, UNDERLAY_MTU - 28)
    out = r.stdout + r.stderr
    route = h17.ns[0].run(["ip", "route", "get", INNER4[1]]).stdout
    ours.send_signal(signal.SIGUSR1)
    wgnet._wait_for(lambda: ours.stats_path.exists(), 5, "stats file")
    stats = json.loads(ours.stats_path.read_text())
    if pmtu:
        assert f"mtu = {INNER_MTU}" in out or f"mtu={INNER_MTU}" in out, out
        assert re.search(rf"\bmtu {INNER_MTU}\b", route), route
        counters = stats["pmtu_discovery"]
        assert counters["icmp_frag_needed_sent"] >= 1
        assert counters["pmtu_drops"] == counters["icmp_frag_needed_sent"]
        ok = ping_df(h17, INNER_MTU - 28)
        assert " 0% packet loss" in ok.stdout, ok.stdout + ok.stderr
    else:
        assert " 0% packet loss" in r.stdout, out
        assert "pmtu_discovery" not in stats
        assert not re.search(r"\bmtu \d+", route), route
