"""Dead peer detection from charon, and a restarted charon recovered by tunnelsim-ipsec-up."""

import shutil
import time

import ipsecnet as net

IKE = "aes256gcm16-prfsha256-x25519"
ESP = "aes256gcm16"


def test_charon_dpd_requests_are_answered(topo):
    """charon sends an empty INFORMATIONAL after dpd_delay without traffic from us; we answer
    and the IKE SA stays up."""
    topo.start_ours(0, net.swanctl_conf(0, IKE, ESP, start=False))
    topo.start_charon(1, net.swanctl_conf(1, IKE, ESP, start=True,
                                          extra_connection="    dpd_delay = 1s"))
    topo.wait_event("ours-a", "child_sa_up")
    before = topo.stats("ours-a")["ike"]["messages_received"]
    time.sleep(3.5)
    after = topo.stats("ours-a")["ike"]
    assert after["messages_received"] - before >= 2, after  # at least two DPD requests
    assert after["drop_unexpected"] == 0 and after["drop_integrity"] == 0
    log = topo.log("charon-b")
    assert log.count("sending DPD request") >= 2
    assert "ESTABLISHED" in topo.swanctl(1, "--list-sas")
    assert "3 received" in topo.ping(0, 3).stdout


def test_restarted_charon_is_accepted_as_a_new_ike_sa(topo):
    """charon (initiator) is killed and started again: its new IKE_SA_INIT replaces our old
    IKE SA and its Child SAs, and traffic flows again."""
    conf = net.swanctl_conf(1, IKE, ESP, start=True)
    topo.start_ours(0, net.swanctl_conf(0, IKE, ESP, start=False))
    topo.start_charon(1, conf)
    first = topo.wait_event("ours-a", "ike_sa_up")
    assert "3 received" in topo.ping(0, 3).stdout
    # SIGKILL: no Delete reaches us, as after a crash.
    topo.procs["charon-b"].kill()
    topo.stop("charon-b")
    shutil.rmtree(topo.workdir / "charon-b")
    topo.start_charon(1, conf)
    replaced = topo.wait_event("ours-a", "ike_sa_replaced")
    assert replaced["old_spi_i"] == first["spi_i"]
    second = topo.wait_event("ours-a", "ike_sa_up", count=2)
    assert second["spi_i"] != first["spi_i"]
    topo.wait_event("ours-a", "child_sa_up", count=2)
    topo.wait_charon_child(1)
    assert "3 received" in topo.ping(0, 3).stdout
    assert "3 received" in topo.ping(1, 3).stdout
    assert topo.stats("ours-a")["driver"]["ike_restarts"] == 1


def test_our_dpd_requests_are_answered_by_charon(topo):
    topo.start_charon(1, net.swanctl_conf(1, IKE, ESP, start=False))
    topo.start_ours(0, net.swanctl_conf(0, IKE, ESP, start=True,
                                        extra_connection="    dpd_delay = 1s"))
    topo.wait_event("ours-a", "child_sa_up")
    time.sleep(3.5)
    ike = topo.stats("ours-a")["ike"]
    assert ike["liveness_checks_sent"] >= 2 and ike["retransmissions"] == 0, ike
    log = topo.log("charon-b")
    assert log.count("parsed INFORMATIONAL request") >= 2
    assert "ESTABLISHED" in topo.swanctl(1, "--list-sas")


def test_dead_charon_detected_and_tunnel_restarted(topo):
    """We initiate with dpd_delay = 1s and dpd_action = restart; charon is killed: the liveness
    check goes unanswered, the IKE SA times out, we re-initiate until a new charon answers."""
    conf = net.swanctl_conf(1, IKE, ESP, start=False)
    topo.start_charon(1, conf)
    topo.start_ours(0, net.swanctl_conf(0, IKE, ESP, start=True,
                                        extra_connection="    dpd_delay = 1s",
                                        extra_child="        dpd_action = restart"),
                    "--retransmit-timeout", "0.5", "--retransmit-base", "2",
                    "--retransmit-tries", "2")
    first = topo.wait_event("ours-a", "ike_sa_up")
    topo.procs["charon-b"].kill()
    topo.stop("charon-b")
    shutil.rmtree(topo.workdir / "charon-b")
    # 1 s quiet + 0.5 + 1 + 2 s of retransmissions.
    timeout = topo.wait_event("ours-a", "ike_sa_timeout", timeout=10)
    assert "no answer" in timeout["reason"]
    deleted = topo.wait_event("ours-a", "child_sa_deleted")
    assert deleted["reason"] == "IKE SA failed"
    topo.start_charon(1, conf)
    topo.wait_event("ours-a", "ike_sa_restart")
    second = topo.wait_event("ours-a", "ike_sa_up", count=2, timeout=20)
    assert second["spi_i"] != first["spi_i"]
    topo.wait_event("ours-a", "child_sa_up", count=2)
    topo.wait_charon_child(1)
    assert "3 received" in topo.ping(0, 3).stdout


def test_nat_keepalives_sent_while_encapsulated(topo):
    """We keep the (faked) NAT mapping alive on port 4500 with 0xFF datagrams (--nat-keepalive
    1); charon discards them and the SAs stay up. charon itself sends none: its faked NAT
    detection makes us see a NAT, it does not consider itself behind one."""
    topo.start_charon(1, net.swanctl_conf(1, IKE, ESP, start=False))
    topo.start_ours(0, net.swanctl_conf(0, IKE, ESP, start=True), "--nat-keepalive", "1")
    assert topo.wait_event("ours-a", "child_sa_up")["udp_encapsulation"]
    time.sleep(2.6)
    d = topo.stats("ours-a")["driver"]
    assert d["nat_keepalives_sent"] >= 2, d
    assert d["udp_send_errors"] == 0 and d["unknown_source"] == 0, d
    assert "INSTALLED" in topo.swanctl(1, "--list-sas")
    assert "3 received" in topo.ping(0, 3).stdout
