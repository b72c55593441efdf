"""tunnelsim-wg-up as a program: usage, configuration errors, interface set-up and tear-down,
the stats file (on exit and on SIGUSR1) and robustness against garbage datagrams."""

import json
import os
import signal
import subprocess
import time

import wgnet


def run_daemon(daemon, *args, timeout=10):
    return subprocess.run([daemon, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_help_and_usage_errors(daemon, tmp_path):
    r = run_daemon(daemon, "--help")
    assert r.returncode == 0 and "usage: tunnelsim-wg-up CONFIG" in r.stdout
    r = run_daemon(daemon, "wg-up", "--help")  # as dispatched by `tunnelsim wg-up`
    assert r.returncode == 0 and "--stats-file" in r.stdout
    r = run_daemon(daemon)
    assert r.returncode == 2 and "missing CONFIG" in r.stderr
    r = run_daemon(daemon, "a.conf", "--bogus")
    assert r.returncode == 2 and "unknown option --bogus" in r.stderr
    r = run_daemon(daemon, "a.conf", "--interface", "a-name-that-is-far-too-long")
    assert r.returncode == 2 and "invalid interface name" in r.stderr
    r = run_daemon(daemon, "a.conf", "--interface")
    assert r.returncode == 2 and "--interface needs a value" in r.stderr


def test_configuration_errors_are_reported_without_secrets(daemon, tmp_path):
    secret = wgnet.private_key("cli-secret")
    bad = tmp_path / "bad.conf"
    bad.write_text(f"[Interface]\nPrivateKey = {secret}\nListenPort = 99999\n")
    r = run_daemon(daemon, bad)
    assert r.returncode == 1
    assert "bad.conf:3" in r.stderr and "ListenPort" in r.stderr
    assert secret not in r.stderr
    r = run_daemon(daemon, tmp_path / "missing.conf")
    assert r.returncode == 1 and "missing.conf" in r.stderr
    noKey = tmp_path / "nokey.conf"
    noKey.write_text("[Interface]\nListenPort = 51820\n")
    r = run_daemon(daemon, noKey)
    assert r.returncode == 1 and "PrivateKey" in r.stderr


def test_interface_lifecycle_and_stats(topo, daemon):
    configs = wgnet.side_configs("cli-lifecycle")
    ns = topo.ns[0]
    ours = wgnet.WgUpDaemon(topo, 0, configs[0], daemon)
    ours.start()
    # Address= and routes for AllowedIPs were applied; MTU and link state too.
    addresses = ns.run(["ip", "-j", "addr", "show", "dev", ours.ifname]).stdout
    info = json.loads(addresses)[0]
    assert info["mtu"] == 1420 and "UP" in info["flags"]
    local = {(a["local"], a["prefixlen"]) for a in info["addr_info"]}
    assert (wgnet.INNER4[0], 24) in local and (wgnet.INNER6[0], 64) in local
    routes = ns.run(["ip", "route", "show", "dev", ours.ifname]).stdout
    assert wgnet.INNER4[1] in routes

    # SIGUSR1 writes the stats file and the daemon keeps running.
    assert not ours.stats_path.exists()
    ours.send_signal(signal.SIGUSR1)
    wgnet._wait_for(ours.stats_path.exists, 5, "stats file after SIGUSR1")
    snapshot = ours.stats()
    assert snapshot["interface"] == ours.ifname
    assert snapshot["listen_port"] == wgnet.PORTS[0]
    assert snapshot["peers"][0]["allowed_ips"] == [f"{wgnet.INNER4[1]}/32",
                                                   f"{wgnet.INNER6[1]}/128"]
    assert ours.process.poll() is None

    # A ping with nobody answering: the core tries a handshake, the driver sends it.
    assert not wgnet.ping(ns, wgnet.INNER4[1], count=1, timeout=1)
    assert ours.stop() == 0
    final = ours.stats()
    assert final["device"]["handshake_initiations_sent"] == 1
    assert final["driver"]["udp_datagrams_sent"] >= 1
    assert final["driver"]["tun_packets_read"] >= 1
    assert final["peers"][0]["staged_packets"] >= 1
    assert not ns.has_link(ours.ifname)
    log = ours.log()
    assert "ready: interface " + ours.ifname in log and "received SIGTERM" in log
    assert configs[0].private_key not in log


def test_no_ip_config_leaves_addresses_to_the_caller(topo, daemon):
    configs = wgnet.side_configs("cli-noip")
    ns = topo.ns[0]
    ours = wgnet.WgUpDaemon(topo, 0, configs[0], daemon, extra_args=["--no-ip-config"])
    ours.start()
    info = json.loads(ns.run(["ip", "-j", "addr", "show", "dev", ours.ifname]).stdout)[0]
    assert [a for a in info["addr_info"] if a["family"] == "inet"] == []
    assert "UP" in info["flags"]
    assert ours.stop() == 0


def test_garbage_datagrams_are_counted_drops(topo, daemon):
    """Malformed input from the network is dropped and counted; the daemon keeps running."""
    configs = wgnet.side_configs("cli-garbage")
    ours = wgnet.WgUpDaemon(topo, 0, configs[0], daemon).start()
    sender = """
import random, socket, struct
rng = random.Random(7)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
target = ("%s", %d)
for size in [0, 1, 3, 4, 31, 32, 92, 147, 148, 149, 1500]:
    s.sendto(bytes(rng.getrandbits(8) for _ in range(size)), target)
for mtype in (1, 2, 3, 4):
    for size in (16, 32, 64, 92, 148, 200):
        s.sendto(struct.pack("<I", mtype) + bytes(rng.getrandbits(8) for _ in range(size)), target)
""" % (wgnet.UNDERLAY4[0], wgnet.PORTS[0])
    topo.ns[1].run([wgnet.PYTHON, "-c", sender])
    time.sleep(0.5)
    assert ours.process.poll() is None
    assert ours.stop() == 0
    stats = ours.stats()
    assert stats["driver"]["udp_datagrams_received"] == 11 + 24
    drops = stats["device"]["drops"]
    # Every datagram is one drop; the kernel's own IPv6 multicast (router solicitations, MLD)
    # sent into the interface is dropped too, as no_peer_for_destination.
    assert stats["device"]["drops_total"] - drops["no_peer_for_destination"] == 11 + 24
    assert drops["malformed"] > 0
    assert stats["device"]["handshakes_completed"] == 0
    assert stats["driver"]["tun_packets_written"] == 0


def test_default_route_allowed_ips_are_not_routed(topo, daemon):
    """AllowedIPs = 0.0.0.0/0 would need wg-quick's policy routing; the daemon says so and
    leaves the namespace's routes to the underlay alone."""
    configs = wgnet.side_configs("cli-default-route")
    configs[0].peers[0].allowed_ips = ["0.0.0.0/0", "::/0"]
    ns = topo.ns[0]
    before = ns.run(["ip", "route", "get", wgnet.UNDERLAY4[1]]).stdout
    ours = wgnet.WgUpDaemon(topo, 0, configs[0], daemon).start()
    assert ns.run(["ip", "route", "get", wgnet.UNDERLAY4[1]]).stdout == before
    assert ns.run(["ip", "route", "show", "default"]).stdout.strip() == ""
    assert ours.stop() == 0
    log = ours.log()
    assert "not routing 0.0.0.0/0" in log and "not routing ::/0" in log
