"""IKE_SA rekeying started by charon (the core answers IKE SA rekeys but never starts one),
with tunnelsim-ipsec-up in either IKE role: new SPIs and keys on both ends, the old IKE SA's
Delete answered, the Child SA and traffic unaffected."""

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
