"""One real Linux TCP transfer between two network namespaces that reports the MSS each end
settled on (TCP_MAXSEG): how the `--clamp-mss` tests of both real-interface daemons (wg-up,
ipsec-up) see whether a SYN was clamped on its way through the tunnel."""

import json
import subprocess

TRANSFER_BYTES = 200000

_SERVER = """
import json, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
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
print(json.dumps({"maxseg": c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG), "bytes": n}))
"""

_CLIENT = """
import json, socket, sys
c = socket.socket()
c.settimeout(20)
c.bind((sys.argv[1], 0))
c.connect((sys.argv[2], int(sys.argv[3])))
c.sendall(b"x" * int(sys.argv[4]))
maxseg = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
c.shutdown(socket.SHUT_WR)
c.close()
print(json.dumps({"maxseg": maxseg}))
"""


def _in_namespace(namespace: str, script: str, *args) -> list:
    return ["ip", "netns", "exec", namespace, "/usr/bin/python3", "-c", script,
            *(str(a) for a in args)]


def transfer(client_namespace: str, client_address: str, server_namespace: str,
             server_address: str, port: int) -> dict:
    """Sends TRANSFER_BYTES from client to server; returns the server's TCP_MAXSEG after
    accept (`maxseg`), the bytes it received (`bytes`) and the client's TCP_MAXSEG
    (`client_maxseg`)."""
    server = subprocess.Popen(_in_namespace(server_namespace, _SERVER, server_address, port),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready", server.stderr.read()
        client = subprocess.run(
            _in_namespace(client_namespace, _CLIENT, client_address, server_address, port,
                          TRANSFER_BYTES), capture_output=True, text=True, timeout=30)
        assert client.returncode == 0, client.stderr
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    result["client_maxseg"] = json.loads(client.stdout.strip().splitlines()[-1])["maxseg"]
    return result
