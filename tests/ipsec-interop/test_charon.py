"""tunnelsim-ipsec-up against strongSwan's charon (kernel-libipsec: userspace ESP, always in
UDP on port 4500) in network namespaces, both roles; and two instances of our driver with
plain ESP (IP protocol 50)."""

import pytest

import ipsecnet as net

IKE = {
    "aes256gcm16": "aes256gcm16-prfsha256-x25519",
    "chacha20poly1305": "chacha20poly1305-prfsha256-x25519",
}


def assert_ping_both_ways(topo, count=5):
    for side in (0, 1):
        r = topo.ping(side, count)
        assert f"{count} received" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("cipher", ["aes256gcm16", "chacha20poly1305"])
def test_we_initiate_charon_responds(topo, cipher):
    topo.start_charon(1, net.swanctl_conf(1, IKE[cipher], cipher, start=False))
    topo.start_ours(0, net.swanctl_conf(0, IKE[cipher], cipher, start=True))
    ike = topo.wait_event("ours-a", "ike_sa_up")
    child = topo.wait_event("ours-a", "child_sa_up")
    assert ike["role"] == "initiator"
    # charon with kernel-libipsec fakes its NAT detection hash: both ends float to 4500.
    assert ike["udp_encapsulation"] and child["udp_encapsulation"]
    sas = topo.wait_charon_child(1)
    assert "ESTABLISHED" in sas and "TUNNEL-in-UDP" in sas
    assert f"{ike['spi_i']}_i" in sas and f"{ike['spi_r']}_r*" in sas
    assert child["spi_in"] in sas and child["spi_out"] in sas
    assert_ping_both_ways(topo)
    stats = topo.stats("ours-a")
    assert stats["esp_in"]["packets"] == 10 and stats["esp_out"]["packets"] == 10
    assert stats["esp_in"]["drops_total"] == 0
    assert stats["driver"]["esp_udp_sent"] == 10 and stats["driver"]["esp_raw_sent"] == 0


@pytest.mark.parametrize("cipher", ["aes256gcm16", "chacha20poly1305"])
def test_charon_initiates_we_respond(topo, cipher):
    topo.start_ours(0, net.swanctl_conf(0, IKE[cipher], cipher, start=False))
    topo.start_charon(1, net.swanctl_conf(1, IKE[cipher], cipher, start=True))
    ike = topo.wait_event("ours-a", "ike_sa_up")
    child = topo.wait_event("ours-a", "child_sa_up")
    assert ike["role"] == "responder" and child["udp_encapsulation"]
    sas = topo.wait_charon_child(1)
    assert f"{ike['spi_i']}_i*" in sas and f"{ike['spi_r']}_r" in sas
    assert_ping_both_ways(topo)
    stats = topo.stats("ours-a")
    assert stats["esp_in"]["packets"] == 10 and stats["esp_in"]["drops_total"] == 0


def test_two_drivers_plain_esp(topo):
    """Without a NAT and without encap = yes, ESP goes as IP protocol 50."""
    cipher = "aes256gcm16"
    topo.start_ours(1, net.swanctl_conf(1, IKE[cipher], cipher, start=False))
    topo.start_ours(0, net.swanctl_conf(0, IKE[cipher], cipher, start=True))
    for name in ("ours-a", "ours-b"):
        child = topo.wait_event(name, "child_sa_up")
        assert not child["udp_encapsulation"]
    assert_ping_both_ways(topo)
    for name in ("ours-a", "ours-b"):
        d = topo.stats(name)["driver"]
        assert d["esp_raw_sent"] == 10 and d["esp_raw_received"] == 10
        assert d["esp_udp_sent"] == 0


def test_two_drivers_forced_encapsulation(topo):
    """encap = yes on one side: both use UDP 4500, as with charon's forced encapsulation."""
    cipher = "chacha20poly1305"
    topo.start_ours(1, net.swanctl_conf(1, IKE[cipher], cipher, start=False))
    topo.start_ours(0, net.swanctl_conf(0, IKE[cipher], cipher, start=True, encap=True))
    for name in ("ours-a", "ours-b"):
        assert topo.wait_event(name, "child_sa_up")["udp_encapsulation"]
    assert_ping_both_ways(topo)
    assert topo.stats("ours-b")["driver"]["esp_udp_received"] == 10
