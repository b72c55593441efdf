"""`tunnelsim-wg-up --clamp-mss` end to end: a real Linux TCP connection through two of our
WireGuard daemons in network namespaces. Side A's daemon clamps the SYN it reads from its TUN
(and the SYN-ACK it writes into it); the listening socket on side B reads the clamped MSS as
TCP_MAXSEG after accept. Without the option the MSS the host derives from the interface MTU
(1420, so 1380) arrives. Namespaces and interfaces carry the prefix h17."""

import json
import signal

import pytest

import tcp_mss_probe
import wgnet
from wgnet import INNER4

CLAMP = 1200
PORT = 5017

class H17Topology(wgnet.Topology):
    """wgnet's two namespaces and veth, named with the h17 prefix."""

    def __init__(self):
        super().__init__()
        self.ns = [wgnet.Namespace(f"h17-{self.tag}-A"), wgnet.Namespace(f"h17-{self.tag}-B")]
        self.veth = [f"h17{self.tag}va", f"h17{self.tag}vb"]

    def ifname(self, side: int, generation: int = 0) -> str:
        return f"h17{self.tag}w{'AB'[side]}{generation or ''}"


@pytest.fixture
def h17():
    reasons = wgnet.missing_requirements()
    if reasons:
        pytest.skip("realnet interop tests need: " + "; ".join(reasons))
    with H17Topology() as t:
        yield t


def wait_for_handshake(topo):
    # The first ping from A starts the handshake.
    assert wgnet.ping_until_reply(topo.ns[0], INNER4[1]), "no ping through the tunnel"


@pytest.mark.parametrize("clamp", [False, True], ids=["unclamped", "clamped"])
def test_syn_mss_arrives_clamped_at_the_far_side(h17, daemon, clamp):
    configs = wgnet.side_configs("h17-clamp")
    args = ["--clamp-mss", str(CLAMP)] if clamp else []
    ours = wgnet.WgUpDaemon(h17, 0, configs[0], daemon, extra_args=args).start()
    wgnet.WgUpDaemon(h17, 1, configs[1], daemon).start()
    wait_for_handshake(h17)
    result = tcp_mss_probe.transfer(h17.ns[0].name, INNER4[0], h17.ns[1].name, INNER4[1], PORT)
    assert result["bytes"] == tcp_mss_probe.TRANSFER_BYTES
    if clamp:
        assert CLAMP - 40 <= result["maxseg"] <= CLAMP
        assert CLAMP - 40 <= result["client_maxseg"] <= CLAMP
        ours.send_signal(signal.SIGUSR1)
        wgnet._wait_for(lambda: ours.stats_path.exists(), 5, "stats file")
        stats = json.loads(ours.stats_path.read_text())["mss_clamp"]
        assert stats["mss"] == CLAMP and stats["clamped_syns"] == 2
    else:
        assert result["maxseg"] > CLAMP and result["client_maxseg"] > CLAMP
