"""Secret hygiene of the tools' outputs (issue 10): no private key, pre-shared key or session
key appears in any file or log the tunnelsim CLI or tunnelsim-wg-up writes, in raw, hex or
base64 form. The only exception is the key log written on request (output.key_log), which must
not exist unless requested.

Secrets come from the runs themselves: the same scenario and seed give the same keys, so the
key files of a run with output.key_log = true name every secret of the run without it.
"""
import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "realnet"))
import wgnet  # noqa: E402

TUNNELSIM = os.environ.get("TUNNELSIM")
WG_UP = os.environ.get("TUNNELSIM_WG_UP")


def require_binary(path, variable):
    """ctest passes the built binaries' paths; running without them is a setup error, not a
    reason to skip."""
    if not path:
        pytest.fail(f"set {variable} to the built binary (ctest does: ctest -R hygiene)")
KEY_FILES = {"wireguard": {"wireguard-home.keylog", "wireguard-work.keylog"},
             "gre-over-ipsec": {"esp_sa", "ikev2_decryption_table"}}
SCENARIO = """name = "hygiene"
duration = "3s"
seed = 5
[tunnel]
type = "{type}"
[output]
pcap = true
key_log = {key_log}
[[traffic.ping]]
interval = "200ms"
[[traffic.udp]]
rate = "200kbps"
"""


def forms(secret: bytes):
    """The encodings a secret could leak in."""
    b64 = base64.b64encode(secret)
    return [secret, secret.hex().encode(), secret.hex().upper().encode(), b64,
            b64.rstrip(b"="), base64.urlsafe_b64encode(secret).rstrip(b"=")]


def leaks(data: bytes, secrets) -> list:
    return [secret.hex() for secret in secrets if any(f in data for f in forms(secret))]


def secrets_in_key_files(paths) -> set:
    """Every key in Wireshark key logs (base64) and ESP/IKEv2 tables (hex)."""
    found = set()
    for path in paths:
        text = path.read_text()
        for token in re.findall(r"[A-Za-z0-9+/]{43}=", text):
            found.add(base64.b64decode(token))
        for token in re.findall(r"(?:0x)?([0-9a-fA-F]{32,})", text):
            found.add(bytes.fromhex(token[: len(token) // 2 * 2]))
    return {s for s in found if any(s)}  # an all-zero PSK is no secret


def run_cli(tmp_path: Path, tunnel: str, key_log: bool) -> tuple:
    out = tmp_path / f"{tunnel}-{'keys' if key_log else 'plain'}"
    scenario = tmp_path / f"{tunnel}-{key_log}.toml"
    scenario.write_text(SCENARIO.format(type=tunnel, key_log=str(key_log).lower()))
    r = subprocess.run([TUNNELSIM, "run", str(scenario), "--out", str(out)],
                       capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    return out, (r.stdout + r.stderr)


@pytest.mark.parametrize("tunnel", sorted(KEY_FILES))
def test_cli_outputs_hold_no_secrets_and_key_log_only_on_request(tmp_path, tunnel):
    require_binary(TUNNELSIM, "TUNNELSIM")
    plain, plain_log = run_cli(tmp_path, tunnel, key_log=False)
    keyed, keyed_log = run_cli(tmp_path, tunnel, key_log=True)
    key_files = KEY_FILES[tunnel]
    plain_files = [p for p in plain.rglob("*") if p.is_file()]
    keyed_files = [p for p in keyed.rglob("*") if p.is_file()]
    # Not written unless requested; written when requested.
    assert not key_files & {p.name for p in plain_files}
    assert key_files <= {p.name for p in keyed_files}
    secrets = secrets_in_key_files([p for p in keyed_files if p.name in key_files])
    # Static and ephemeral private keys (WireGuard) or ESP and IKE keys: several per run.
    assert len(secrets) >= 4, secrets
    assert any(p.suffix == ".pcap" for p in plain_files)
    scanned = 0
    for path in plain_files + [p for p in keyed_files if p.name not in key_files]:
        assert leaks(path.read_bytes(), secrets) == [], path
        scanned += 1
    assert leaks(plain_log, secrets) == [] and leaks(keyed_log, secrets) == []
    assert scanned >= 6
    print(f"{tunnel}: {len(secrets)} secrets, {scanned} files and 2 logs scanned")


def sample_keys():
    private = wgnet.private_key("hygiene-a")
    psk = wgnet.preshared_key("hygiene-psk")
    return private, psk, [base64.b64decode(private), base64.b64decode(psk)]


@pytest.mark.parametrize("broken", [
    "AllowedIPs = 10.0.0.0/99", "Endpoint = nowhere:xx", "Bogus = 1",
    "PresharedKey = {psk}x", "PrivateKey = {private}x"])
def test_wg_up_config_errors_do_not_echo_keys(tmp_path, broken):
    require_binary(WG_UP, "TUNNELSIM_WG_UP")
    private, psk, secrets = sample_keys()
    peer = wgnet.public_key(wgnet.private_key("hygiene-b"))
    lines = ["[Interface]", f"PrivateKey = {private}", "ListenPort = 51999", "", "[Peer]",
             f"PublicKey = {peer}", f"PresharedKey = {psk}", "AllowedIPs = 10.9.0.2/32",
             broken.format(private=private, psk=psk)]
    config = tmp_path / "wgh0.conf"
    config.write_text("\n".join(lines) + "\n")
    stats = tmp_path / "stats.json"
    # In a network namespace of its own when root, so even a config that unexpectedly parses
    # cannot touch the host's interfaces.
    isolate = ["unshare", "--net"] if os.geteuid() == 0 else []
    r = subprocess.run(isolate + [WG_UP, str(config), "--verbose", "--stats-file", str(stats)],
                       capture_output=True, timeout=30)
    assert r.returncode != 0
    assert r.stderr, "a config error must be reported"
    assert leaks(r.stdout + r.stderr, secrets) == [], r.stderr.decode()
    if stats.exists():
        assert leaks(stats.read_bytes(), secrets) == []


# Skipped only where the machine lacks root, ip netns or /dev/net/tun (the reason names which).
@pytest.mark.skipif(wgnet.missing_requirements() != [],
                    reason="needs: " + ", ".join(wgnet.missing_requirements()))
def test_wg_up_logs_and_stats_of_a_running_tunnel_hold_no_secrets():
    require_binary(WG_UP, "TUNNELSIM_WG_UP")
    keys = [wgnet.private_key("hygiene-run-a"), wgnet.private_key("hygiene-run-b")]
    psk = wgnet.preshared_key("hygiene-run-psk")
    secrets = [base64.b64decode(k) for k in keys] + [base64.b64decode(psk)]
    with wgnet.Topology() as topo:
        daemons = []
        for side in (0, 1):
            other = 1 - side
            config = wgnet.WgSide(
                private_key=keys[side], listen_port=51820 + side,
                addresses=[f"{wgnet.INNER4[side]}/{wgnet.INNER4_PREFIX}"],
                peers=[wgnet.PeerConfig(
                    public_key=wgnet.public_key(keys[other]),
                    allowed_ips=[f"{wgnet.INNER4[other]}/32"],
                    endpoint=f"{wgnet.UNDERLAY4[other]}:{51820 + other}",
                    preshared_key=psk)])
            daemons.append(wgnet.WgUpDaemon(topo, side, config, WG_UP,
                                            extra_args=["--verbose"]).start())
        assert wgnet.ping_until_reply(topo.ns[0], wgnet.INNER4[1])
        for daemon in daemons:
            daemon.stop()
        for daemon in daemons:
            log = daemon.log_path.read_bytes()
            assert b"handshake" in log.lower() or len(log) > 0
            assert leaks(log, secrets) == [], log.decode()
            assert leaks(daemon.stats_path.read_bytes(), secrets) == []
