"""Lost IKE messages against charon (RFC 7296 2.1), the loss made with tunnelsim-ipsec-up's
test hooks (--test-drop-ike-received / --test-drop-ike-sent drop the Nth IKE datagram as the
network would): our requests are retransmitted until charon's lost answers arrive, and
charon's retransmitted requests are answered from our response cache with the same bytes."""

import os
import re
import time

import pytest

import ipsecnet as net

IKE = "aes256gcm16-prfsha256-x25519"
ESP = "aes256gcm16"
FAST_OURS = ("--retransmit-timeout", "0.5", "--retransmit-base", "1", "--retransmit-tries", "10")
FAST_CHARON = "  retransmit_timeout = 0.5\n  retransmit_base = 1.0"


def test_our_requests_are_retransmitted_when_charons_answers_are_lost(topo):
    """charon's IKE_SA_INIT and IKE_AUTH responses are lost (IKE datagrams 1 and 3 we receive:
    2 is the answer to our retransmitted IKE_SA_INIT): we retransmit each request and charon
    answers from its own response cache."""
    topo.start_charon(1, net.swanctl_conf(1, IKE, ESP, start=False))
    topo.start_ours(0, net.swanctl_conf(0, IKE, ESP, start=True), *FAST_OURS,
                    "--test-drop-ike-received", "1,3")
    topo.wait_event("ours-a", "child_sa_up")
    stats = topo.stats("ours-a")
    assert stats["driver"]["test_ike_dropped"] == 2, stats["driver"]
    assert stats["ike"]["retransmissions"] == 2, stats["ike"]
    log = topo.log("charon-b")
    for mid in (0, 1):
        assert f"received retransmit of request with ID {mid}, retransmitting response" in log
    assert stats["ike_state"] == "established"
    for side in (0, 1):
        assert "3 received" in topo.ping(side, 3).stdout


def test_charons_retransmissions_are_answered_from_our_response_cache(topo):
    """Our IKE_SA_INIT and IKE_AUTH responses are lost (IKE datagrams 1 and 3 we send: 2 is
    the resent IKE_SA_INIT response): charon retransmits each request, we answer with the
    cached bytes, the SA comes up."""
    if not os.access(net.TSHARK, os.X_OK):
        pytest.skip(f"{net.TSHARK} is missing")
    pcap = topo.workdir / "veth-a.pcapng"
    topo.capture(0, pcap)
    topo.start_ours(0, net.swanctl_conf(0, IKE, ESP, start=False), *FAST_OURS,
                    "--test-drop-ike-sent", "1,3")
    topo.start_charon(1, net.swanctl_conf(1, IKE, ESP, start=True), FAST_CHARON)
    topo.wait_event("ours-a", "child_sa_up")
    topo.wait_charon_child(1)
    stats = topo.stats("ours-a")
    assert stats["driver"]["test_ike_dropped"] == 2, stats["driver"]
    assert stats["ike"]["responses_resent"] == 2, stats["ike"]
    log = topo.log("charon-b")
    for mid in (0, 1):
        assert re.search(rf"retransmit 1 of request with message ID {mid}\b", log), log[-3000:]
    for side in (0, 1):
        assert "3 received" in topo.ping(side, 3).stdout
    topo.stop("tshark-0")

    # The resent responses are byte for byte the ones that were lost (RFC 7296 2.1).
    dropped = re.findall(r"IKE datagram sent #\d+ dropped: ([0-9a-f]+)", topo.log("ours-a"))
    assert len(dropped) == 2, topo.log("ours-a")
    rows = net.run([net.TSHARK, "-n", "-r", str(pcap), "-Y",
                    f"ip.src == {net.UNDERLAY[0]} && udp && !esp", "-T", "fields",
                    "-e", "udp.srcport", "-e", "udp.payload"]).stdout.split()
    sent = [payload.replace(":", "") for payload in rows[1::2]]
    # On port 4500 an IKE message follows the four-byte non-ESP marker.
    sent = [p[8:] if p.startswith("00000000") else p for p in sent]
    for lost in dropped:
        assert sent.count(lost) == 1, (lost, sent)
    assert len(set(sent)) == len(sent)  # and each response went out once more, not twice


def test_lost_messages_of_our_ike_sa_rekey_are_retransmitted(topo):
    """Our IKE SA rekey (rekey_time = 2s) with charon's CREATE_CHILD_SA answer lost (IKE
    datagram 3 we receive) and our Delete of the old IKE SA lost (datagram 5 we send: 3 and 4
    are the rekey request and its retransmission): both requests are retransmitted, charon
    answers the first from its cache, and ends with only the new IKE SA."""
    topo.start_charon(1, net.swanctl_conf(1, IKE, ESP, start=False))
    topo.start_ours(0, net.swanctl_conf(0, IKE, ESP, start=True,
                                        extra_connection="    rekey_time = 2s"),
                    *FAST_OURS, "--test-drop-ike-received", "3", "--test-drop-ike-sent", "5")
    first = topo.wait_event("ours-a", "ike_sa_up")
    child = topo.wait_event("ours-a", "child_sa_up")
    rekeyed = topo.wait_event("ours-a", "ike_sa_rekeyed", timeout=10)
    assert rekeyed["reason"] == "by us"
    # The Delete's retransmission goes 0.5 s after the lost one.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        sas = topo.swanctl(1, "--list-sas")
        if first["spi_i"] not in sas:
            break
        time.sleep(0.1)
    assert first["spi_i"] not in sas and f"{rekeyed['spi_i']}_i" in sas, sas
    assert child["spi_in"] in sas, sas
    stats = topo.stats("ours-a")
    assert stats["driver"]["test_ike_dropped"] == 2, stats["driver"]
    assert stats["ike"]["retransmissions"] == 2, stats["ike"]
    assert stats["ike"]["ike_sa_rekeys_started"] >= 1, stats["ike"]
    log = topo.log("charon-b")
    assert "received retransmit of request with ID 2, retransmitting response" in log
    assert log.count("received DELETE for IKE_SA") == 1, log[-3000:]
    for side in (0, 1):
        assert "3 received" in topo.ping(side, 3).stdout


def test_charons_ike_sa_rekey_is_answered_again_when_our_answer_is_lost(topo):
    """charon rekeys the IKE SA (rekey_time = 2s) and our answer is lost (IKE datagram 3 we
    send): charon retransmits the CREATE_CHILD_SA on the old IKE SA, which we answer from the
    old SA's response cache although we already moved to the new one."""
    topo.start_ours(0, net.swanctl_conf(0, IKE, ESP, start=False), *FAST_OURS,
                    "--test-drop-ike-sent", "3")
    topo.start_charon(1, net.swanctl_conf(
        1, IKE, ESP, start=True,
        extra_connection="    rekey_time = 2s\n    over_time = 30s\n    rand_time = 0s"),
        FAST_CHARON)
    first = topo.wait_event("ours-a", "ike_sa_up")
    rekeyed = topo.wait_event("ours-a", "ike_sa_rekeyed", timeout=10)
    assert rekeyed["reason"] == "by peer"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        sas = topo.swanctl(1, "--list-sas")
        if first["spi_i"] not in sas and f"{rekeyed['spi_i']}_i" in sas:
            break
        time.sleep(0.1)
    assert first["spi_i"] not in sas and f"{rekeyed['spi_i']}_i" in sas, sas
    stats = topo.stats("ours-a")
    assert stats["driver"]["test_ike_dropped"] == 1, stats["driver"]
    assert stats["ike"]["responses_resent"] == 1, stats["ike"]
    assert stats["ike"]["drop_integrity"] == 0 and stats["ike"]["drop_unexpected"] == 0
    assert re.search(r"retransmit 1 of request with message ID 2\b", topo.log("charon-b"))
    assert "IKE_SA rekeying failed" not in topo.log("charon-b")
    for side in (0, 1):
        assert "3 received" in topo.ping(side, 3).stdout
