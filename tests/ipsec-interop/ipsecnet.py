"""Network-namespace harness for the IPsec interoperability tests.

Two namespaces joined by a veth pair (the underlay, 192.0.2.1 and 192.0.2.2); each side has an
inner host address on its loopback (10.1.0.1 and 10.2.0.1) and runs an IKEv2/ESP
implementation: strongSwan's charon with its userspace ESP (kernel-libipsec, one charon per
namespace in its own mount namespace with a tmpfs on /run, its own strongswan.conf and vici
socket), or our tunnelsim-ipsec-up. Every name carries PREFIX and this process's PID, so
parallel runs do not collide and leftovers of crashed runs can be removed.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

PREFIX = "tsip"
CHARON = "/usr/lib/ipsec/charon"
SWANCTL = "/usr/sbin/swanctl"
TSHARK = "/usr/bin/tshark"
UNDERLAY = ("192.0.2.1", "192.0.2.2")
INNER = ("10.1.0.1", "10.2.0.1")
IDS = ("a.example", "b.example")
PSK = "tunnelsim interop test psk"
# The plugins charon needs for PSK, AES-GCM / ChaCha20-Poly1305, X25519 and userspace ESP; kdf
# is needed from strongSwan 5.9.8 on for prf+.
CHARON_PLUGINS = ("random nonce openssl gcm aes sha2 hmac kdf x25519 kernel-libipsec "
                  "kernel-netlink socket-default vici")


def run(cmd, check=True, timeout=30, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"command failed ({result.returncode}): {' '.join(map(str, cmd))}\n"
                           f"stdout: {result.stdout}\nstderr: {result.stderr}")
    return result


def missing_requirements(need_charon: bool = True) -> List[str]:
    """Why these tests cannot run here (empty when they can)."""
    reasons = []
    if os.geteuid() != 0:
        reasons.append("not running as root")
    if not os.path.exists("/dev/net/tun"):
        reasons.append("/dev/net/tun is missing")
    if shutil.which("ip") is None or shutil.which("unshare") is None:
        reasons.append("ip(8) or unshare(1) is missing")
    if need_charon:
        for tool in (CHARON, SWANCTL):
            if not os.access(tool, os.X_OK):
                reasons.append(f"{tool} is missing (scripts/install-deps installs strongSwan)")
    if not reasons:
        probe = f"{PREFIX}-probe-{os.getpid()}"
        r = run(["ip", "netns", "add", probe], check=False)
        if r.returncode != 0:
            reasons.append(f"cannot create network namespaces: {r.stderr.strip()}")
        else:
            run(["ip", "netns", "del", probe], check=False)
    return reasons


def cleanup_leftovers():
    """Removes namespaces of earlier runs of this harness whose process is gone."""
    for line in run(["ip", "netns", "list"], check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(rf"{PREFIX}-(\d+)-[ab]", name)
        if m and not Path(f"/proc/{m.group(1)}").exists():
            for pid in run(["ip", "netns", "pids", name], check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", name], check=False)


def swanctl_conf(side: int, ike_proposal: str, esp_proposal: str, start: bool,
                 encap: bool = False, connection: str = "interop", extra_child: str = "",
                 extra_connection: str = "") -> str:
    """A swanctl.conf for side 0 (A) or 1 (B): the same text for charon and for us."""
    other = 1 - side
    return f"""# side {'AB'[side]}
connections {{
  {connection} {{
    local_addrs = {UNDERLAY[side]}
    remote_addrs = {UNDERLAY[other]}
    version = 2
    proposals = {ike_proposal}
    encap = {'yes' if encap else 'no'}
{extra_connection}
    local {{
      auth = psk
      id = {IDS[side]}
    }}
    remote {{
      auth = psk
      id = {IDS[other]}
    }}
    children {{
      net {{
        local_ts = {INNER[side]}/32
        remote_ts = {INNER[other]}/32
        esp_proposals = {esp_proposal}
        start_action = {'start' if start else 'none'}
{extra_child}
      }}
    }}
  }}
}}
secrets {{
  ike-interop {{
    id-a = {IDS[0]}
    id-b = {IDS[1]}
    secret = "{PSK}"
  }}
}}
"""


class Topology:
    def __init__(self, daemon: str):
        self.daemon = daemon
        pid = os.getpid()
        self.ns = (f"{PREFIX}-{pid}-a", f"{PREFIX}-{pid}-b")
        self.veth = (f"{PREFIX}{pid % 100000}a", f"{PREFIX}{pid % 100000}b")
        self.workdir = Path(tempfile.mkdtemp(prefix="tsip-"))
        self.procs: Dict[str, subprocess.Popen] = {}
        self.kinds: Dict[int, str] = {}

    # --- set-up and tear-down ---------------------------------------------------------------

    def __enter__(self):
        try:
            for ns in self.ns:
                run(["ip", "netns", "add", ns])
                run(["ip", "-n", ns, "link", "set", "lo", "up"])
            run(["ip", "link", "add", self.veth[0], "netns", self.ns[0], "type", "veth", "peer",
                 "name", self.veth[1], "netns", self.ns[1]])
            for side in (0, 1):
                ns = self.ns[side]
                run(["ip", "-n", ns, "addr", "add", f"{UNDERLAY[side]}/24", "dev",
                     self.veth[side]])
                run(["ip", "-n", ns, "link", "set", self.veth[side], "up"])
                run(["ip", "-n", ns, "addr", "add", f"{INNER[side]}/32", "dev", "lo"])
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for name, proc in list(self.procs.items()):
            self.stop(name)
        for ns in self.ns:
            for pid in run(["ip", "netns", "pids", ns], check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", ns], check=False)
        if os.environ.get("TSIP_KEEP_WORKDIR") is None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def stop(self, name: str, timeout: float = 5.0) -> Optional[int]:
        proc = self.procs.pop(name, None)
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    # --- implementations --------------------------------------------------------------------

    def start_charon(self, side: int, conf: str, charon_options: str = "") -> str:
        name = f"charon-{'ab'[side]}"
        d = self.workdir / name
        d.mkdir()
        vici = d / "charon.vici"
        (d / "strongswan.conf").write_text(f"""charon {{
  load_modular = no
  load = {CHARON_PLUGINS}
{charon_options}
  plugins {{
    vici {{
      socket = unix://{vici}
    }}
  }}
  filelog {{
    log {{
      path = {d}/charon.log
      flush_line = yes
      default = 1
      ike = 2
      knl = 1
    }}
  }}
}}
""")
        (d / "swanctl.conf").write_text(conf)
        script = (f"mount -t tmpfs tmpfs /run && exec env STRONGSWAN_CONF={d}/strongswan.conf "
                  f"{CHARON}")
        log = open(d / "stdout.log", "w")
        self.procs[name] = subprocess.Popen(
            ["ip", "netns", "exec", self.ns[side], "unshare", "-m", "sh", "-c", script],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not vici.exists():
            if time.monotonic() > deadline or self.procs[name].poll() is not None:
                raise RuntimeError(f"charon did not start:\n{(d / 'stdout.log').read_text()}")
            time.sleep(0.05)
        self.swanctl(side, "--load-all", "--file", str(d / "swanctl.conf"))
        return name

    def swanctl(self, side: int, *args: str) -> str:
        vici = self.workdir / f"charon-{'ab'[side]}" / "charon.vici"
        return run([SWANCTL, *args, "--uri", f"unix://{vici}"]).stdout

    def start_ours(self, side: int, conf: str, *args: str) -> str:
        name = f"ours-{'ab'[side]}"
        d = self.workdir / name
        d.mkdir()
        (d / "swanctl.conf").write_text(conf)
        (d / "keys").mkdir()
        self.procs[name] = subprocess.Popen(
            ["ip", "netns", "exec", self.ns[side], self.daemon, str(d / "swanctl.conf"),
             "--stats-file", str(d / "stats.json"), "--key-dir", str(d / "keys"), *args],
            stdout=open(d / "events.jsonl", "w"), stderr=open(d / "daemon.log", "w"))
        return name

    def events(self, name: str) -> List[dict]:
        path = self.workdir / name / "events.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def wait_event(self, name: str, event: str, count: int = 1, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events(name) if e["event"] == event]
            if len(found) >= count:
                return found[count - 1]
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{name}: no {event} event (#{count}); events: {self.events(name)}"
                             f"\nlog:\n{self.log(name)}")

    def wait_charon_child(self, side: int, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        out = ""
        while time.monotonic() < deadline:
            out = self.swanctl(side, "--list-sas")
            if "INSTALLED" in out:
                return out
            time.sleep(0.1)
        raise AssertionError(f"charon on side {side}: no installed CHILD_SA:\n{out}\n"
                             f"{self.log(f'charon-{chr(97 + side)}')[-4000:]}")

    def stats(self, name: str) -> dict:
        """Asks the daemon for its counters (SIGUSR1) and reads them."""
        path = self.workdir / name / "stats.json"
        # Removed first: two writes within one timestamp tick would look like none.
        path.unlink(missing_ok=True)
        self.procs[name].send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if path.exists():
                try:
                    return json.loads(path.read_text())
                except json.JSONDecodeError:
                    pass
            time.sleep(0.02)
        raise AssertionError(f"{name}: no stats file after SIGUSR1")

    def log(self, name: str) -> str:
        d = self.workdir / name
        text = ""
        for f in ("daemon.log", "charon.log", "stdout.log"):
            if (d / f).exists():
                text += (d / f).read_text(errors="replace")
        return text

    # --- traffic ----------------------------------------------------------------------------

    def ping(self, side: int, count: int = 3, size: int = 56) -> subprocess.CompletedProcess:
        return run(["ip", "netns", "exec", self.ns[side], "ping", "-n", "-q", "-c", str(count),
                    "-i", "0.05", "-W", "5", "-s", str(size), "-I", INNER[side],
                    INNER[1 - side]], check=False)

    def capture(self, side: int, path: Path) -> subprocess.Popen:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns[side], TSHARK, "-q", "-i", self.veth[side], "-w",
             str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.procs[f"tshark-{side}"] = proc
        # tshark says "Capturing on ..." once the capture is live.
        deadline = time.monotonic() + 10
        line = ""
        while time.monotonic() < deadline and "Capturing" not in line:
            line = proc.stderr.readline()
        return proc
