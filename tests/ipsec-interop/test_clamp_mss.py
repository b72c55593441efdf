"""`--clamp-mss` end to end: a real Linux TCP connection through two tunnelsim-ipsec-up
daemons in network namespaces (issue #17 part 4). The SYN leaves side A's TUN, is clamped by
A's daemon before ESP, and the listening socket on side B learns the clamped MSS (its
TCP_MAXSEG after accept); without the option the MSS the host derived from the TUN's MTU
arrives. The namespaces carry the prefix h17 so they never meet the other interop tests'."""

import os
import sys
import time
from pathlib import Path

import pytest

import ipsecnet as net

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "realnet"))
import tcp_mss_probe  # noqa: E402  (shared with tests/realnet/test_wg_clamp_mss.py)

CLAMP = 1200
# The hosts derive their MSS from the TUN MTU (1400): 1360. Timestamps take 12 of it in
# TCP_MAXSEG, so a clamp to 1200 reads as 1188 and an unclamped SYN as 1348.
IKE = "aes256gcm16-prfsha256-x25519"
PORT = 5017

class H17Topology(net.Topology):
    """The interop harness's two namespaces and veth, under the h17 prefix."""

    def __init__(self, daemon: str):
        super().__init__(daemon)
        pid = os.getpid()
        self.ns = (f"h17-{pid}-a", f"h17-{pid}-b")
        self.veth = (f"h17{pid % 100000}a", f"h17{pid % 100000}b")


@pytest.fixture
def h17(request):
    reasons = net.missing_requirements(need_charon=False)
    if reasons:
        pytest.skip("ipsec interop tests need: " + "; ".join(reasons))
    daemon = request.getfixturevalue("daemon_path")
    with H17Topology(daemon) as t:
        yield t


@pytest.fixture
def daemon_path():
    path = os.environ.get("TUNNELSIM_IPSEC_UP")
    if not path:
        build = os.environ.get("TUNNELSIM_BUILD_DIR",
                               str(Path(__file__).resolve().parents[2] / "build"))
        path = os.path.join(build, "programs", "ipsec-up", "tunnelsim-ipsec-up")
    if not os.access(path, os.X_OK):
        pytest.fail(f"tunnelsim-ipsec-up not found at {path}")
    return path


@pytest.mark.parametrize("clamp", [False, True], ids=["unclamped", "clamped"])
def test_syn_mss_arrives_clamped_at_the_far_side(h17, clamp):
    args = ["--clamp-mss", str(CLAMP)] if clamp else []
    h17.start_ours(1, net.swanctl_conf(1, IKE, "aes256gcm16", start=False))
    h17.start_ours(0, net.swanctl_conf(0, IKE, "aes256gcm16", start=True), *args)
    for name in ("ours-a", "ours-b"):
        h17.wait_event(name, "child_sa_up")
    time.sleep(0.2)  # routes installed after the event line
    result = tcp_mss_probe.transfer(h17.ns[0], net.INNER[0], h17.ns[1], net.INNER[1], PORT)
    assert result["bytes"] == tcp_mss_probe.TRANSFER_BYTES
    if clamp:
        # Both SYNs crossed A's daemon (the SYN out of its TUN, the SYN-ACK into it).
        assert CLAMP - 40 <= result["maxseg"] <= CLAMP
        assert CLAMP - 40 <= result["client_maxseg"] <= CLAMP
        stats = h17.stats("ours-a")["mss_clamp"]
        assert stats["mss"] == CLAMP
        assert stats["clamped_syns"] == 2 and stats["syns_seen"] == 2
    else:
        assert result["maxseg"] > CLAMP and result["client_maxseg"] > CLAMP
        assert "mss_clamp" not in h17.stats("ours-a")
