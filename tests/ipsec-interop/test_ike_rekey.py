"""IKE_SA rekeying started by charon (the core answers IKE SA rekeys but never starts one),
with tunnelsim-ipsec-up in either IKE role: new SPIs and keys on both ends, the old IKE SA's
Delete answered, the Child SA and traffic unaffected."""

import subprocess
import time

import pytest

import ipsecnet as net

IKE = "aes256gcm16-prfsha256-x25519"
# charon: rekey after 2 s; a long over_time, since with its default (10 % of rekey_time) the
# IKE SA also expires at about 2 s and charon moves that pending delete to the new IKE SA.
ESP = "aes256gcm16"


@pytest.mark.parametrize("ours_role", ["initiator", "responder"])
def test_charon_rekeys_the_ike_sa(topo, ours_role):
    ours_start = ours_role == "initiator"
    charon_conf = net.swanctl_conf(
        1, IKE, ESP, start=not ours_start,
        extra_connection="    rekey_time = 2s\n    over_time = 30s\n    rand_time = 0s")
    ours_conf = net.swanctl_conf(0, IKE, ESP, start=ours_start)
    if ours_start:
        topo.start_charon(1, charon_conf)
        topo.start_ours(0, ours_conf)
    else:
        topo.start_ours(0, ours_conf)
        topo.start_charon(1, charon_conf)
    first = topo.wait_event("ours-a", "ike_sa_up")
    child = topo.wait_event("ours-a", "child_sa_up")
    rekeyed = topo.wait_event("ours-a", "ike_sa_rekeyed", timeout=10)
    assert (rekeyed["spi_i"], rekeyed["spi_r"]) != (first["spi_i"], first["spi_r"])
    time.sleep(0.5)  # charon's Delete of the old IKE SA
    sas = topo.swanctl(1, "--list-sas")
    assert f"{rekeyed['spi_i']}_i" in sas and f"{rekeyed['spi_r']}_r" in sas, sas
    assert first["spi_i"] not in sas, sas
    assert child["spi_in"] in sas, sas  # the Child SA moved to the new IKE SA
    assert "5 received" in topo.ping(0, 5).stdout
    assert "5 received" in topo.ping(1, 5).stdout
    stats = topo.stats("ours-a")
    ike = stats["ike"]
    assert ike["ike_sas_rekeyed"] >= 1
    assert ike["drop_integrity"] == 0 and ike["drop_malformed"] == 0, ike
    assert stats["ike_state"] == "established"
    assert "IKE_SA rekeying failed" not in topo.log("charon-b")


FLOOD = 400  # pings at 10 ms: about 4 s, across our IKE SA rekey


def flood(topo, side):
    return subprocess.Popen(
        ["ip", "netns", "exec", topo.ns[side], "ping", "-n", "-q", "-c", str(FLOOD), "-i", "0.01",
         "-W", "5", "-I", net.INNER[side], net.INNER[1 - side]],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def settled_rekeys(topo, side):
    """Our ike_sa_rekeyed events and charon's SA listing, taken with no rekey in between."""
    for _ in range(20):
        before = [e for e in topo.events("ours-a") if e["event"] == "ike_sa_rekeyed"]
        sas = topo.swanctl(side, "--list-sas")
        after = [e for e in topo.events("ours-a") if e["event"] == "ike_sa_rekeyed"]
        if before == after:
            return after, sas
        time.sleep(0.2)
    raise AssertionError("IKE SA rekeys never settled")


@pytest.mark.parametrize("ours_role", ["initiator", "responder"])
def test_we_rekey_the_ike_sa_under_traffic(topo, ours_role):
    """Our connection's rekey_time = 2s (IKE): we send CREATE_CHILD_SA with an IKE proposal,
    move the Child SA to the new IKE SA and delete the old one, while a ping flood runs; charon
    must list the new IKE SA only, keep the Child SA, and no ping may be lost."""
    ours_start = ours_role == "initiator"
    charon_conf = net.swanctl_conf(1, IKE, ESP, start=not ours_start)
    ours_conf = net.swanctl_conf(0, IKE, ESP, start=ours_start,
                                 extra_connection="    rekey_time = 2s")
    if ours_start:
        topo.start_charon(1, charon_conf)
        topo.start_ours(0, ours_conf)
    else:
        topo.start_ours(0, ours_conf)
        topo.start_charon(1, charon_conf)
    first = topo.wait_event("ours-a", "ike_sa_up")
    child = topo.wait_event("ours-a", "child_sa_up")
    topo.wait_charon_child(1)
    pings = flood(topo, 0)
    out, _ = pings.communicate(timeout=30)
    rekeys, sas = settled_rekeys(topo, 1)
    assert rekeys and all(e["reason"] == "by us" for e in rekeys), rekeys
    newest = rekeys[-1]
    assert (newest["spi_i"], newest["spi_r"]) != (first["spi_i"], first["spi_r"])
    # We started the rekey, so we are the new IKE SA's initiator and charon (which marks its
    # own SPI with *) its responder, whichever role each had in the first IKE SA.
    assert f"{newest['spi_i']}_i {newest['spi_r']}_r*" in sas, sas
    assert first["spi_i"] not in sas and first["spi_r"] not in sas, sas
    assert sas.count("ESTABLISHED") == 1, sas  # the old IKE SA was deleted
    assert child["spi_in"] in sas and child["spi_out"] in sas, sas  # the Child SA moved
    stats = topo.stats("ours-a")
    assert f"{FLOOD} packets transmitted, {FLOOD} received" in out, out + str(stats)
    ike = stats["ike"]
    assert ike["ike_sa_rekeys_started"] == len(rekeys) and ike["ike_sas_rekeyed"] == len(rekeys)
    assert ike["drop_integrity"] == 0 and ike["drop_malformed"] == 0, ike
    assert ike["drop_unexpected"] == 0, ike
    assert stats["esp_in"]["drops_total"] == 0, stats["esp_in"]
    assert stats["ike_state"] == "established"
    log = topo.log("charon-b")
    assert "IKE_SA rekeying failed" not in log and "deleting IKE_SA" in log, log[-3000:]
    assert "5 received" in topo.ping(1, 5).stdout
