"""`--clamp-mss` end to end: a real Linux TCP connection through two tunnelsim-ipsec-up
daemons in network namespaces (issue #17 part 4). The SYN leaves side A's TUN, is clamped by
A's daemon before ESP, and the listening socket on side B learns the clamped MSS (its
TCP_MAXSEG after accept); without the option the MSS the host derived from the TUN's MTU
arrives. The namespaces carry the prefix h17 so they never meet the other interop tests'."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

import ipsecnet as net

CLAMP = 1200
# The hosts derive their MSS from the TUN MTU (1400): 1360. Timestamps take 12 of it in
# TCP_MAXSEG, so a clamp to 1200 reads as 1188 and an unclamped SYN as 1348.
IKE = "aes256gcm16-prfsha256-x25519"
PORT = 5017

SERVER = f"""
import json, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{net.INNER[1]}", {PORT}))
s.listen(1)
s.settimeout(20)
print("ready", flush=True)
c, _ = s.accept()
c.settimeout(20)
n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    n += len(d)
print(json.dumps({{"maxseg": c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG), "bytes": n}}))
"""

CLIENT = f"""
import json, socket
c = socket.socket()
c.settimeout(20)
c.bind(("{net.INNER[0]}", 0))
c.connect(("{net.INNER[1]}", {PORT}))
c.sendall(b"x" * 200000)
maxseg = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
c.shutdown(socket.SHUT_WR)
c.close()
print(json.dumps({{"maxseg": maxseg}}))
"""


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
        build = os.environ.get("TUNNELSIM_BUILD_DIR", str(Path(__file__).resolve().parents[2] / "build"))
        path = os.path.join(build, "programs", "ipsec-up", "tunnelsim-ipsec-up")
    if not os.access(path, os.X_OK):
        pytest.fail(f"tunnelsim-ipsec-up not found at {path}")
    return path


def tcp_through_tunnel(topo) -> dict:
    server = subprocess.Popen(
        ["ip", "netns", "exec", topo.ns[1], "/usr/bin/python3", "-c", SERVER],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready", server.stderr.read()
        client = net.run(["ip", "netns", "exec", topo.ns[0], "/usr/bin/python3", "-c", CLIENT],
                         timeout=30)
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    result["client_maxseg"] = json.loads(client.stdout.strip().splitlines()[-1])["maxseg"]
    return result


@pytest.mark.parametrize("clamp", [False, True], ids=["unclamped", "clamped"])
def test_syn_mss_arrives_clamped_at_the_far_side(h17, clamp):
    args = ["--clamp-mss", str(CLAMP)] if clamp else []
    h17.start_ours(1, net.swanctl_conf(1, IKE, "aes256gcm16", start=False))
    h17.start_ours(0, net.swanctl_conf(0, IKE, "aes256gcm16", start=True), *args)
    for name in ("ours-a", "ours-b"):
        h17.wait_event(name, "child_sa_up")
    time.sleep(0.2)  # routes installed after the event line
    result = tcp_through_tunnel(h17)
    assert result["bytes"] == 200000
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
