"""The harness itself, checked with wireguard-go on both sides: if these fail, the interop
tests against our daemon would prove nothing."""

import os

import wgnet

MB = 1_000_000
TRANSFER_BYTES = int(os.environ.get("TUNNELSIM_REALNET_TRANSFER_BYTES", 20 * MB))


def test_wireguard_go_to_wireguard_go(topo):
    configs = wgnet.side_configs("harness", psk=wgnet.preshared_key("harness"))
    a = wgnet.WireguardGo(topo, 0, configs[0]).start()
    b = wgnet.WireguardGo(topo, 1, configs[1]).start()
    ns_a, ns_b = topo.ns

    assert wgnet.ping_until_reply(ns_a, wgnet.INNER4[1])
    assert wgnet.ping(ns_b, wgnet.INNER4[0])
    assert wgnet.ping(ns_a, wgnet.INNER6[1])
    assert wgnet.ping(ns_b, wgnet.INNER6[0])
    assert a.latest_handshakes()[configs[0].peers[0].public_key] > 0

    there = wgnet.tcp_transfer(ns_b, ns_a, wgnet.INNER4[1], TRANSFER_BYTES, seed=1)
    back = wgnet.tcp_transfer(ns_a, ns_b, wgnet.INNER6[0], TRANSFER_BYTES, seed=2)
    assert there["match"] and back["match"]
    print(f"wireguard-go <-> wireguard-go: {there['mbit_per_s']:.0f} / "
          f"{back['mbit_per_s']:.0f} Mbit/s")


def test_wrong_public_key_blocks_wireguard_go(topo):
    """The negative checks the interop tests use: a wrong peer key means no handshake and no
    inner packet delivered."""
    configs = wgnet.side_configs("harness-wrong", wrong_key_for=0)
    a = wgnet.WireguardGo(topo, 0, configs[0]).start()
    b = wgnet.WireguardGo(topo, 1, configs[1]).start()
    ns_a, ns_b = topo.ns
    assert not wgnet.ping(ns_a, wgnet.INNER4[1], count=2, timeout=2)
    assert not wgnet.ping(ns_b, wgnet.INNER4[0], count=2, timeout=2)
    assert all(t == 0 for t in a.latest_handshakes().values())
    assert all(t == 0 for t in b.latest_handshakes().values())
    assert ns_a.link_stats(a.ifname)["rx_packets"] == 0
    assert ns_b.link_stats(b.ifname)["rx_packets"] == 0


def test_cleanup_removes_leftovers_of_crashed_runs(realnet_env):
    """A run killed mid-test leaves namespaces with processes in them; the next run's
    cleanup removes them (names carry the dead owner's PID) and leaves live owners alone."""
    dead_owner = 4194303 + 1  # above pid_max: no such process can exist
    leftover = wgnet.Namespace(f"{wgnet.PREFIX}-{dead_owner}x-A")
    live = wgnet.Namespace(f"{wgnet.PREFIX}-{os.getppid()}x-A")
    try:
        wgnet.run(["ip", "netns", "add", leftover.name])
        wgnet.run(["ip", "netns", "add", live.name])
        sleeper = leftover.popen(["sleep", "600"])
        wgnet._wait_for(lambda: sleeper.pid and leftover.pids(), 5, "sleeper in namespace")
        sock = wgnet.WG_SOCKET_DIR / f"{wgnet.PREFIX}{dead_owner}xwA.sock"
        wgnet.WG_SOCKET_DIR.mkdir(parents=True, exist_ok=True)
        sock.write_text("")
        removed = wgnet.cleanup_leftovers()
        assert leftover.name in removed and str(sock) in removed
        assert live.name not in removed
        assert sleeper.wait(timeout=5) != 0
        names = wgnet.run(["ip", "netns", "list"]).stdout
        assert leftover.name not in names and live.name in names
        assert not sock.exists()
    finally:
        wgnet.delete_namespace(leftover.name)
        wgnet.delete_namespace(live.name)
