"""`tunnelsim-wg-up --clamp-mss` end to end: a real Linux TCP connection through two of our
WireGuard daemons in network namespaces. Side A's daemon clamps the SYN it reads from its TUN
(and the SYN-ACK it writes into it); the listening socket on side B reads the clamped MSS as
TCP_MAXSEG after accept. Without the option the MSS the host derives from the interface MTU
(1420, so 1380) arrives. Namespaces and interfaces carry the prefix h17."""

import json
import signal
import subprocess

import pytest

import wgnet
from wgnet import INNER4

CLAMP = 1200
PORT = 5017

SERVER = f"""
import json, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{INNER4[1]}", {PORT}))
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
c.bind(("{INNER4[0]}", 0))
c.connect(("{INNER4[1]}", {PORT}))
c.sendall(b"x" * 200000)
maxseg = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
c.shutdown(socket.SHUT_WR)
c.close()
print(json.dumps({{"maxseg": maxseg}}))
"""


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
    server = h17.ns[1].popen(["/usr/bin/python3", "-c", SERVER], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready", server.stderr.read()
        client = h17.ns[0].run(["/usr/bin/python3", "-c", CLIENT], timeout=30)
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, err
    far = json.loads(out.strip().splitlines()[-1])
    near = json.loads(client.stdout.strip().splitlines()[-1])
    assert far["bytes"] == 200000
    if clamp:
        assert CLAMP - 40 <= far["maxseg"] <= CLAMP
        assert CLAMP - 40 <= near["maxseg"] <= CLAMP
        ours.send_signal(signal.SIGUSR1)
        wgnet._wait_for(lambda: ours.stats_path.exists(), 5, "stats file")
        stats = json.loads(ours.stats_path.read_text())["mss_clamp"]
        assert stats["mss"] == CLAMP and stats["clamped_syns"] == 2
    else:
        assert far["maxseg"] > CLAMP and near["maxseg"] > CLAMP
