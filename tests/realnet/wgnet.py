"""Network-namespace harness for WireGuard interoperability tests.

Two namespaces joined by a veth pair; on each side a WireGuard implementation (Debian's
wireguard-go configured with wg(8), or our tunnelsim-wg-up daemon) owns a TUN interface.
Every name carries PREFIX and this process's PID, so parallel runs do not collide and leftovers
of crashed runs can be found and removed (`cleanup_leftovers`).
"""

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

PREFIX = "tsrn"
HERE = Path(__file__).resolve().parent
TCP_CHECKSUM = HERE / "tcp_checksum.py"
PYTHON = "/usr/bin/python3"
WIREGUARD_GO = "/usr/bin/wireguard-go"
WG = "/usr/bin/wg"
WG_SOCKET_DIR = Path("/var/run/wireguard")

# The outer (underlay) network on the veth pair and the inner (tunnel) network.
UNDERLAY4 = ("10.250.0.1", "10.250.0.2")
UNDERLAY6 = ("fd00:250::1", "fd00:250::2")
INNER4 = ("10.251.0.1", "10.251.0.2")
INNER6 = ("fd00:251::1", "fd00:251::2")
INNER4_PREFIX = 24
INNER6_PREFIX = 64


def run(cmd, check=True, timeout=60, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"command failed ({result.returncode}): {' '.join(map(str, cmd))}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}")
    return result


def missing_requirements() -> List[str]:
    """Why these tests cannot run here (empty when they can)."""
    reasons = []
    if os.geteuid() != 0:
        reasons.append("not running as root")
    if not os.path.exists("/dev/net/tun"):
        reasons.append("/dev/net/tun is missing")
    if shutil.which("ip") is None:
        reasons.append("ip(8) is missing")
    for tool in (WIREGUARD_GO, WG):
        if not os.access(tool, os.X_OK):
            reasons.append(f"{tool} is missing")
    if not reasons:
        probe = f"{PREFIX}-probe-{os.getpid()}"
        r = run(["ip", "netns", "add", probe], check=False)
        if r.returncode != 0:
            reasons.append(f"cannot create network namespaces: {r.stderr.strip()}")
        else:
            r = run(["ip", "netns", "exec", probe, "ip", "link", "add", "va", "type", "veth",
                     "peer", "name", "vb"], check=False)
            if r.returncode != 0:
                reasons.append(f"cannot create veth pairs: {r.stderr.strip()}")
            run(["ip", "netns", "del", probe], check=False)
    return reasons


# --- keys ------------------------------------------------------------------------------------

def private_key(label: str) -> str:
    """A deterministic X25519 private key (base64) derived from `label`."""
    raw = bytearray(hashlib.sha256(b"tunnelsim realnet test key " + label.encode()).digest())
    raw[0] &= 248
    raw[31] = (raw[31] & 127) | 64
    return base64.b64encode(bytes(raw)).decode()


def public_key(private: str) -> str:
    return run([WG, "pubkey"], input=private + "\n").stdout.strip()


def preshared_key(label: str) -> str:
    return base64.b64encode(
        hashlib.sha256(b"tunnelsim realnet test psk " + label.encode()).digest()).decode()


# --- namespaces ------------------------------------------------------------------------------

class Namespace:
    def __init__(self, name: str):
        self.name = name

    def exec_args(self, cmd) -> List[str]:
        return ["ip", "netns", "exec", self.name] + [str(c) for c in cmd]

    def run(self, cmd, check=True, timeout=60, **kwargs):
        return run(self.exec_args(cmd), check=check, timeout=timeout, **kwargs)

    def popen(self, cmd, env=None, **kwargs) -> subprocess.Popen:
        full_env = dict(os.environ)
        full_env.update(env or {})
        return subprocess.Popen(self.exec_args(cmd), env=full_env, **kwargs)

    def pids(self) -> List[int]:
        r = run(["ip", "netns", "pids", self.name], check=False)
        return [int(p) for p in r.stdout.split()]

    def link_stats(self, ifname: str) -> dict:
        """Kernel counters of an interface. On a TUN device, rx counts packets the daemon
        delivered into the kernel and tx counts packets the kernel handed to the daemon."""
        r = self.run(["ip", "-j", "-s", "link", "show", "dev", ifname])
        info = json.loads(r.stdout)[0]["stats64"]
        return {"rx_packets": info["rx"]["packets"], "tx_packets": info["tx"]["packets"],
                "rx_bytes": info["rx"]["bytes"], "tx_bytes": info["tx"]["bytes"]}

    def has_link(self, ifname: str) -> bool:
        return self.run(["ip", "link", "show", "dev", ifname], check=False).returncode == 0


def _kill_pids(pids: List[int]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = []
        for pid in pids:
            try:
                os.kill(pid, sig)
                alive.append(pid)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 3
        while alive and time.monotonic() < deadline:
            alive = [p for p in alive if Path(f"/proc/{p}").exists()
                     and not _is_zombie(p)]
            time.sleep(0.05)
        if not alive:
            return
        pids = alive


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True


def delete_namespace(name: str) -> None:
    ns = Namespace(name)
    _kill_pids(ns.pids())
    run(["ip", "netns", "del", name], check=False)


def cleanup_leftovers(only_dead_owners: bool = True) -> List[str]:
    """Removes namespaces, wireguard-go sockets and processes left by earlier runs that
    crashed. Names embed the owning PID; those whose owner is still alive are left alone."""
    removed = []
    r = run(["ip", "netns", "list"], check=False)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.match(rf"^{PREFIX}-(?:probe-)?(\d+)", name)
        if not m:
            continue
        owner = int(m.group(1))
        if only_dead_owners and owner != os.getpid() and Path(f"/proc/{owner}").exists():
            continue
        delete_namespace(name)
        removed.append(name)
    if WG_SOCKET_DIR.is_dir():
        for sock in WG_SOCKET_DIR.glob(f"{PREFIX}*.sock"):
            m = re.match(rf"^{PREFIX}(\d+)", sock.name)
            if m and only_dead_owners and Path(f"/proc/{m.group(1)}").exists() \
                    and int(m.group(1)) != os.getpid():
                continue
            try:
                sock.unlink()
                removed.append(str(sock))
            except OSError:
                pass
    return removed


class Topology:
    """Namespaces A and B joined by a veth pair carrying the underlay addresses."""

    counter = 0

    def __init__(self):
        Topology.counter += 1
        self.tag = f"{os.getpid()}{chr(ord('a') + (Topology.counter - 1) % 26)}"
        self.ns = [Namespace(f"{PREFIX}-{self.tag}-A"), Namespace(f"{PREFIX}-{self.tag}-B")]
        self.veth = [f"{PREFIX}{self.tag}va", f"{PREFIX}{self.tag}vb"]
        self.processes: List[subprocess.Popen] = []
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}-{self.tag}-"))

    def ifname(self, side: int, generation: int = 0) -> str:
        """The tunnel interface name of a side; also names wireguard-go's control socket."""
        suffix = "w" + "AB"[side] + (str(generation) if generation else "")
        return f"{PREFIX}{self.tag}{suffix}"

    def create(self) -> "Topology":
        for ns in self.ns:
            run(["ip", "netns", "add", ns.name])
            ns.run(["ip", "link", "set", "lo", "up"])
        a, b = self.ns
        a.run(["ip", "link", "add", self.veth[0], "type", "veth", "peer", "name", self.veth[1]])
        a.run(["ip", "link", "set", self.veth[1], "netns", b.name])
        for i, ns in enumerate(self.ns):
            ns.run(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0"], check=False)
            ns.run(["ip", "addr", "add", f"{UNDERLAY4[i]}/24", "dev", self.veth[i]])
            ns.run(["ip", "-6", "addr", "add", f"{UNDERLAY6[i]}/64", "dev", self.veth[i],
                    "nodad"])
            ns.run(["ip", "link", "set", self.veth[i], "up"])
        return self

    def destroy(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        for ns in self.ns:
            delete_namespace(ns.name)
        for side in (0, 1):
            for generation in range(4):
                sock = WG_SOCKET_DIR / f"{self.ifname(side, generation)}.sock"
                if sock.exists():
                    sock.unlink()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.create()
        except BaseException:
            self.destroy()
            raise

    def __exit__(self, *exc):
        self.destroy()


# --- WireGuard endpoints -----------------------------------------------------------------------

@dataclass
class PeerConfig:
    public_key: str
    allowed_ips: List[str]
    endpoint: Optional[str] = None
    preshared_key: Optional[str] = None
    persistent_keepalive: int = 0


@dataclass
class WgSide:
    """What one side of the tunnel is configured with."""
    private_key: str
    listen_port: int
    addresses: List[str]
    peers: List[PeerConfig] = field(default_factory=list)
    mtu: int = 1420

    def wg_quick_ini(self) -> str:
        lines = ["[Interface]", f"PrivateKey = {self.private_key}",
                 f"ListenPort = {self.listen_port}", f"MTU = {self.mtu}"]
        if self.addresses:
            lines.append("Address = " + ", ".join(self.addresses))
        for peer in self.peers:
            lines += ["", "[Peer]", f"PublicKey = {peer.public_key}"]
            if peer.preshared_key:
                lines.append(f"PresharedKey = {peer.preshared_key}")
            lines.append("AllowedIPs = " + ", ".join(peer.allowed_ips))
            if peer.endpoint:
                lines.append(f"Endpoint = {peer.endpoint}")
            if peer.persistent_keepalive:
                lines.append(f"PersistentKeepalive = {peer.persistent_keepalive}")
        return "\n".join(lines) + "\n"


def _wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class WireguardGo:
    """Debian's wireguard-go in the foreground in a namespace, configured with wg set."""

    kind = "wireguard-go"

    def __init__(self, topo: Topology, side: int, config: WgSide, generation: int = 0):
        self.topo, self.side, self.config = topo, side, config
        self.ns = topo.ns[side]
        self.ifname = topo.ifname(side, generation)
        self.log_path = topo.workdir / f"{self.ifname}.log"
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> "WireguardGo":
        log = open(self.log_path, "w")
        self.process = self.ns.popen(
            [WIREGUARD_GO, "-f", self.ifname], stdout=log, stderr=subprocess.STDOUT,
            env={"WG_PROCESS_FOREGROUND": "1", "LOG_LEVEL": "verbose",
                 "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD": "1"})
        self.topo.processes.append(self.process)
        sock = WG_SOCKET_DIR / f"{self.ifname}.sock"
        _wait_for(lambda: sock.exists() or self.process.poll() is not None, 10,
                  f"{sock} to appear")
        if self.process.poll() is not None:
            raise RuntimeError(f"wireguard-go exited: {self.log_path.read_text()}")
        keyfile = self.topo.workdir / f"{self.ifname}.key"
        keyfile.write_text(self.config.private_key + "\n")
        cmd = [WG, "set", self.ifname, "private-key", keyfile,
               "listen-port", self.config.listen_port]
        for i, peer in enumerate(self.config.peers):
            cmd += ["peer", peer.public_key]
            if peer.preshared_key:
                pskfile = self.topo.workdir / f"{self.ifname}.psk{i}"
                pskfile.write_text(peer.preshared_key + "\n")
                cmd += ["preshared-key", pskfile]
            if peer.endpoint:
                cmd += ["endpoint", peer.endpoint]
            if peer.persistent_keepalive:
                cmd += ["persistent-keepalive", peer.persistent_keepalive]
            cmd += ["allowed-ips", ",".join(peer.allowed_ips)]
        self.ns.run(cmd)
        self.ns.run(["ip", "link", "set", "dev", self.ifname, "mtu", self.config.mtu])
        for address in self.config.addresses:
            self.ns.run(["ip", "addr", "add", address, "dev", self.ifname] +
                        (["nodad"] if ":" in address else []))
        self.ns.run(["ip", "link", "set", "dev", self.ifname, "up"])
        return self

    def latest_handshakes(self) -> dict:
        r = self.ns.run([WG, "show", self.ifname, "latest-handshakes"])
        out = {}
        for line in r.stdout.splitlines():
            key, stamp = line.split()
            out[key] = int(stamp)
        return out

    def transfer(self) -> dict:
        r = self.ns.run([WG, "show", self.ifname, "transfer"])
        out = {}
        for line in r.stdout.splitlines():
            key, rx, tx = line.split()
            out[key] = (int(rx), int(tx))
        return out

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


class WgUpDaemon:
    """Our tunnelsim-wg-up daemon in a namespace, configured with a wg-quick INI file.
    It creates the interface, assigns the config's Address= entries and brings it up."""

    kind = "tunnelsim"

    def __init__(self, topo: Topology, side: int, config: WgSide, daemon: str,
                 generation: int = 0, extra_args: Optional[List[str]] = None):
        self.topo, self.side, self.config, self.daemon = topo, side, config, daemon
        self.ns = topo.ns[side]
        self.ifname = topo.ifname(side, generation)
        self.config_path = topo.workdir / f"{self.ifname}.conf"
        self.stats_path = topo.workdir / f"{self.ifname}.stats.json"
        self.log_path = topo.workdir / f"{self.ifname}.log"
        self.extra_args = extra_args or []
        self.process: Optional[subprocess.Popen] = None
        self.returncode: Optional[int] = None

    def start(self, wait: bool = True) -> "WgUpDaemon":
        self.config_path.write_text(self.config.wg_quick_ini())
        os.chmod(self.config_path, 0o600)
        log = open(self.log_path, "w")
        self.process = self.ns.popen(
            [self.daemon, self.config_path, "--interface", self.ifname,
             "--stats-file", self.stats_path] + self.extra_args,
            stdout=log, stderr=subprocess.STDOUT)
        self.topo.processes.append(self.process)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 10) -> None:
        def ready():
            if self.process.poll() is not None:
                return True
            return "ready" in self.log()
        _wait_for(ready, timeout, f"{self.ifname} to come up")
        if self.process.poll() is not None:
            raise RuntimeError(f"tunnelsim-wg-up exited with {self.process.returncode}:\n"
                               f"{self.log()}")

    def send_signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.returncode = self.process.returncode
        return self.returncode

    def stats(self) -> dict:
        return json.loads(self.stats_path.read_text())

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


# --- traffic -----------------------------------------------------------------------------------

def ping(ns: Namespace, address: str, count: int = 3, timeout: float = 10,
         interval: float = 0.2) -> bool:
    deadline = max(1, int(timeout))
    r = ns.run(["ping", "-6" if ":" in address else "-4", "-c", count, "-i", interval,
                "-w", deadline, "-q", address], check=False, timeout=timeout + 10)
    return r.returncode == 0


def ping_until_reply(ns: Namespace, address: str, timeout: float = 15) -> bool:
    """Waits for the first echo reply: the first ping usually triggers the handshake."""
    r = ns.run(["ping", "-6" if ":" in address else "-4", "-c", 1, "-i", 0.2,
                "-w", int(timeout), "-q", address], check=False, timeout=timeout + 10)
    return r.returncode == 0


def tcp_transfer(server_ns: Namespace, client_ns: Namespace, server_address: str,
                 nbytes: int, seed: int, port: int = 45001, timeout: float = 120) -> dict:
    """Sends `nbytes` of seeded pseudo-random data from client_ns to server_address over TCP;
    the receiver hashes what arrived and the sender compares it with what it sent."""
    server = server_ns.popen([PYTHON, TCP_CHECKSUM, "serve", server_address, port],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if line.strip() != "listening":
            raise RuntimeError(f"tcp_checksum server failed: {line} {server.stderr.read()}")
        r = client_ns.run([PYTHON, TCP_CHECKSUM, "send", server_address, port, nbytes, seed],
                          check=False, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError(f"TCP transfer failed: {r.stdout} {r.stderr}")
        result = json.loads(r.stdout)
        server.wait(timeout=10)
        return result
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


# --- a two-sided tunnel ------------------------------------------------------------------------

PORTS = (51820, 51821)


def side_configs(label: str, psk: Optional[str] = None, wrong_key_for: Optional[int] = None,
                 wrong_psk: bool = False, underlay_v6: bool = False) -> List[WgSide]:
    """Configurations for sides 0 and 1 that point at each other.

    wrong_key_for=i: side i is given a peer public key that does not match the other side's
    private key. wrong_psk: both sides have a PresharedKey, but different ones."""
    privs = [private_key(f"{label}-{i}") for i in (0, 1)]
    pubs = [public_key(p) for p in privs]
    psks = [psk, psk]
    if wrong_psk:
        psks = [preshared_key(f"{label}-psk-0"), preshared_key(f"{label}-psk-1")]
    configs = []
    for i in (0, 1):
        other = 1 - i
        peer_key = pubs[other]
        if wrong_key_for == i:
            peer_key = public_key(private_key(f"{label}-impostor"))
        endpoint = (f"[{UNDERLAY6[other]}]:{PORTS[other]}" if underlay_v6
                    else f"{UNDERLAY4[other]}:{PORTS[other]}")
        configs.append(WgSide(
            private_key=privs[i], listen_port=PORTS[i],
            addresses=[f"{INNER4[i]}/{INNER4_PREFIX}", f"{INNER6[i]}/{INNER6_PREFIX}"],
            peers=[PeerConfig(public_key=peer_key,
                              allowed_ips=[f"{INNER4[other]}/32", f"{INNER6[other]}/128"],
                              endpoint=endpoint, preshared_key=psks[i])]))
    return configs
