"""CHILD_SA rekeying between tunnelsim-ipsec-up and charon, started by either side, with a
ping flood running across the rekey: no packet may be lost to it."""

import subprocess
import time

import pytest

import ipsecnet as net

IKE = "aes256gcm16-prfsha256-x25519"
ESP = "aes256gcm16"
# A rekey after 2 s. Ours rekeys between 1 and 2 s (rand_time = life_time - rekey_time); charon
# gets a long life_time and no rand_time, since with a 3 s life_time it sometimes lets a
# Child SA expire before rekeying it (then deletes and recreates it: not a rekey).
OURS_SHORT = "        rekey_time = 2s\n        life_time = 3s"
CHARON_SHORT = "        rekey_time = 2s\n        life_time = 20s\n        rand_time = 0s"
FLOOD = 400  # packets at 10 ms intervals: about 4 s, across the rekey


def flood(topo, side):
    return subprocess.Popen(
        ["ip", "netns", "exec", topo.ns[side], "ping", "-n", "-q", "-c", str(FLOOD), "-i", "0.01",
         "-W", "5", "-I", net.INNER[side], net.INNER[1 - side]],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("rekeying_side", ["charon", "ours"])
@pytest.mark.parametrize("ours_role", ["initiator", "responder"])
def test_child_sa_rekey_loses_no_packet(topo, rekeying_side, ours_role):
    ours_start = ours_role == "initiator"
    charon_extra = CHARON_SHORT if rekeying_side == "charon" else ""
    ours_extra = OURS_SHORT if rekeying_side == "ours" else ""
    if ours_start:
        topo.start_charon(1, net.swanctl_conf(1, IKE, ESP, False, extra_child=charon_extra))
        topo.start_ours(0, net.swanctl_conf(0, IKE, ESP, True, extra_child=ours_extra))
    else:
        topo.start_ours(0, net.swanctl_conf(0, IKE, ESP, False, extra_child=ours_extra))
        topo.start_charon(1, net.swanctl_conf(1, IKE, ESP, True, extra_child=charon_extra))
    first = topo.wait_event("ours-a", "child_sa_up")
    topo.wait_charon_child(1)
    pings = flood(topo, 0)
    out, _ = pings.communicate(timeout=30)
    rekeyed = topo.wait_event("ours-a", "child_sa_rekeyed", timeout=5)
    assert rekeyed["spi_in"] == first["spi_in"]
    second = topo.wait_event("ours-a", "child_sa_up", count=2)
    assert second["spi_in"] != first["spi_in"]
    stats = topo.stats("ours-a")
    assert f"{FLOOD} packets transmitted, {FLOOD} received" in out, (
        out + str(stats) + topo.swanctl(1, "--list-sas"))
    # The old SA is deleted once the rekey completed (make-before-break).
    deleted = topo.wait_event("ours-a", "child_sa_deleted", timeout=5)
    assert deleted["spi_in"] == first["spi_in"]
    stats = topo.stats("ours-a")
    assert stats["esp_in"]["drops_total"] == 0, stats["esp_in"]
    assert stats["ike"]["child_sas_rekeyed"] >= 1
    sas = topo.swanctl(1, "--list-sas")
    assert second["spi_in"] in sas and second["spi_out"] in sas, sas
