"""tshark decodes every IKE and ESP packet between tunnelsim-ipsec-up and charon, and
decrypts them with the Wireshark key files the driver writes (--key-dir)."""

import os
import time

import pytest

import ipsecnet as net


def tshark_fields(pcap, options, *fields):
    cmd = [net.TSHARK, "-n", "-r", str(pcap), *options, "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    return net.run(cmd).stdout.splitlines()


def test_tshark_decodes_and_decrypts_ike_and_esp(topo):
    if not os.access(net.TSHARK, os.X_OK):
        pytest.skip(f"{net.TSHARK} is missing")
    cipher = "aes256gcm16"  # Wireshark 4.0 has no ChaCha20-Poly1305 in its ESP/IKEv2 tables
    pcap = topo.workdir / "veth-b.pcapng"
    capture = topo.capture(1, pcap)
    topo.start_charon(1, net.swanctl_conf(1, "aes256gcm16-prfsha256-x25519", cipher, False))
    topo.start_ours(0, net.swanctl_conf(0, "aes256gcm16-prfsha256-x25519", cipher, True))
    topo.wait_event("ours-a", "child_sa_up")
    for side in (0, 1):
        assert "4 received" in topo.ping(side, 4).stdout
    time.sleep(0.3)
    topo.stop("tshark-1")
    assert capture.returncode is not None

    keys = topo.workdir / "ours-a" / "keys"
    esp_lines = (keys / "esp_sa").read_text().splitlines()
    ike_lines = (keys / "ikev2_decryption_table").read_text().splitlines()
    assert len(esp_lines) == 2 and len(ike_lines) == 1
    options = ["-o", "esp.enable_encryption_decode:TRUE"]
    options += [a for line in esp_lines for a in ("-o", "uat:esp_sa:" + line)]
    options += ["-o", "uat:ikev2_decryption_table:" + ike_lines[0]]

    rows = [r.split("|") for r in tshark_fields(
        pcap, options, "frame.number", "udp.dstport", "isakmp.exchangetype", "isakmp.id.type",
        "esp.spi", "icmp.type", "ip.dst", "_ws.expert.message", "_ws.malformed")]
    ike = [r for r in rows if r[2]]
    esp = [r for r in rows if r[4]]
    # IKE_SA_INIT on 500, then IKE_AUTH on 4500 (the float); IKE_AUTH decrypted shows the IDs.
    assert [(r[1], r[2]) for r in ike] == [("500", "34"), ("500", "34"), ("4500", "35"),
                                           ("4500", "35")], rows
    assert all(set(r[3].split(",")) == {"2"} for r in ike[2:]), ike  # ID_FQDN, in SK
    # 4 pings each way = 16 ESP-in-UDP packets, every one decrypted to ICMP between inner hosts.
    assert len(esp) == 16, rows
    assert all(r[1] == "4500" and r[5] in ("0", "8") for r in esp), esp
    assert all(net.INNER[0] in r[6] or net.INNER[1] in r[6] for r in esp), esp
    assert not any(r[7] or r[8] for r in ike + esp), [r for r in rows if r[7] or r[8]]
