"""IKE exchange corner cases against charon: our retransmission of an unanswered IKE_SA_INIT,
and charon's retry after our INVALID_KE_PAYLOAD."""

import time

import ipsecnet as net

ESP = "aes256gcm16"


def test_unanswered_ike_sa_init_is_retransmitted_until_charon_answers(topo):
    topo.start_ours(0, net.swanctl_conf(0, "aes256gcm16-prfsha256-x25519", ESP, start=True),
                    "--retransmit-timeout", "0.5", "--retransmit-base", "1",
                    "--retransmit-tries", "20")
    time.sleep(1.2)  # nobody listens on 192.0.2.2:500 yet: at least two sends go unanswered
    topo.start_charon(1, net.swanctl_conf(1, "aes256gcm16-prfsha256-x25519", ESP, start=False))
    topo.wait_event("ours-a", "child_sa_up")
    ike = topo.stats("ours-a")["ike"]
    assert ike["retransmissions"] >= 2, ike
    assert "3 received" in topo.ping(0, 3).stdout


def test_charon_retries_with_our_group_after_invalid_ke_payload(topo):
    """charon offers ECP-256 first and sends its key share for it; we answer
    INVALID_KE_PAYLOAD naming X25519 and charon starts over with an X25519 share."""
    topo.start_ours(0, net.swanctl_conf(0, "aes256gcm16-prfsha256-x25519", ESP, start=False))
    topo.start_charon(1, net.swanctl_conf(1, "aes256gcm16-prfsha256-ecp256-x25519", ESP,
                                          start=True))
    topo.wait_event("ours-a", "child_sa_up")
    log = topo.log("charon-b")
    assert "IKE_SA_INIT response 0 [ N(INVAL_KE) ]" in log  # charon abbreviates the notify
    assert "selected proposal: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519" in log
    assert "3 received" in topo.ping(1, 3).stdout
