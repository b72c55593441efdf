#!/usr/bin/python3
"""A TCP bulk transfer whose integrity is checked end to end.

  tcp_checksum.py serve ADDRESS PORT          accept one connection, read to EOF, reply with
                                              "<byte count> <sha256 hex>\\n"
  tcp_checksum.py send ADDRESS PORT NBYTES SEED
                                              send NBYTES of data seeded by SEED, then compare
                                              the receiver's count and digest with our own;
                                              prints a JSON summary, exit status 1 on mismatch
"""

import hashlib
import json
import random
import socket
import sys
import time

CHUNK = 256 * 1024


def family_of(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def serve(address: str, port: int) -> int:
    listener = socket.socket(family_of(address), socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(1)
    listener.settimeout(60)
    print("listening", flush=True)
    conn, _ = listener.accept()
    conn.settimeout(120)
    digest = hashlib.sha256()
    count = 0
    while True:
        data = conn.recv(CHUNK)
        if not data:
            break
        digest.update(data)
        count += len(data)
    conn.sendall(f"{count} {digest.hexdigest()}\n".encode())
    conn.close()
    return 0


def send(address: str, port: int, nbytes: int, seed: int) -> int:
    rng = random.Random(seed)
    digest = hashlib.sha256()
    conn = socket.create_connection((address, port), timeout=30)
    conn.settimeout(120)
    start = time.monotonic()
    remaining = nbytes
    while remaining > 0:
        chunk = rng.randbytes(min(CHUNK, remaining))
        digest.update(chunk)
        conn.sendall(chunk)
        remaining -= len(chunk)
    conn.shutdown(socket.SHUT_WR)
    reply = b""
    while not reply.endswith(b"\n"):
        data = conn.recv(256)
        if not data:
            break
        reply += data
    elapsed = time.monotonic() - start
    conn.close()
    fields = reply.decode().split()
    received = int(fields[0]) if len(fields) == 2 else -1
    remote_digest = fields[1] if len(fields) == 2 else ""
    match = received == nbytes and remote_digest == digest.hexdigest()
    print(json.dumps({"bytes": nbytes, "received": received, "sha256": digest.hexdigest(),
                      "remote_sha256": remote_digest, "match": match, "seconds": elapsed,
                      "mbit_per_s": nbytes * 8 / elapsed / 1e6}))
    return 0 if match else 1


def main(argv) -> int:
    if len(argv) == 4 and argv[1] == "serve":
        return serve(argv[2], int(argv[3]))
    if len(argv) == 6 and argv[1] == "send":
        return send(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
