"""The pybind11-bound building blocks: WireGuard's replay counter, allowed IPs and keys; the
ESP replay window and SA (RFC 7634 Appendix A known answer)."""

import base64
import random
import shutil
import subprocess

import pytest

from tunnelsim import ipsec, wireguard

WINDOW = 8128  # Linux: 8192 ring bits minus one 64-bit word being recycled


# --- WireGuard anti-replay --------------------------------------------------------------------

class IdealWireGuardWindow:
    """What the kernel's counter promises: each counter once, none at/after the limit, and
    none more than WINDOW behind the greatest accepted one."""

    def __init__(self, reject_after):
        self.reject_after, self.seen, self.greatest = reject_after, set(), None

    def validate(self, counter):
        if counter >= self.reject_after or counter in self.seen:
            return False
        if self.greatest is not None and counter + WINDOW < self.greatest:
            return False
        self.seen.add(counter)
        self.greatest = counter if self.greatest is None else max(self.greatest, counter)
        return True


def test_replay_counter_window_is_the_kernels():
    assert wireguard.WINDOW_SIZE == WINDOW
    counter = wireguard.ReplayCounter()
    assert counter.next == 0
    assert counter.validate(0) and not counter.validate(0)
    assert counter.validate(10_000)
    assert counter.next == 10_001
    assert not counter.validate(10_000 - WINDOW - 1)  # one too far behind
    assert counter.validate(10_000 - WINDOW)  # the oldest one still tracked
    assert not counter.validate(10_000 - WINDOW)
    assert counter.validate(9_999) and counter.validate(10_001)


def test_replay_counter_in_order_stream_then_replays():
    counter = wireguard.ReplayCounter()
    for c in range(20_000):
        assert counter.validate(c)
    for c in range(20_000 - 1 - WINDOW, 20_000):
        assert not counter.validate(c), c  # every replay inside the window is caught
    assert not counter.validate(20_000 - 2 - WINDOW)  # outside: refused as too old


def test_replay_counter_far_jump_clears_the_ring():
    counter = wireguard.ReplayCounter()
    for c in range(100):
        assert counter.validate(c)
    assert counter.validate(1_000_000)
    assert counter.validate(1_000_000 - 64)  # bits of the old ring must not leak into new words
    assert counter.validate(1_000_000 - 8000)
    assert not counter.validate(50)


def test_replay_counter_reject_after_messages():
    counter = wireguard.ReplayCounter(reject_after_messages=1000)
    assert counter.validate(998) and counter.validate(999)
    assert not counter.validate(1000) and not counter.validate(2 ** 64 - 1)
    default = wireguard.ReplayCounter()
    assert not default.validate(wireguard.REJECT_AFTER_MESSAGES)
    assert wireguard.REJECT_AFTER_MESSAGES == 2 ** 64 - 2 ** 13 - 1
    default.reset()
    assert default.next == 0


def test_replay_counter_window_size_is_configurable():
    assert wireguard.ReplayCounter().window_size == 8128
    small = wireguard.ReplayCounter(window_size=64)
    assert small.window_size == 64
    assert small.validate(1000)
    assert small.validate(1000 - 64)
    assert not small.validate(1000 - 65)
    with pytest.raises(ValueError):
        wireguard.ReplayCounter(window_size=100)


def test_replay_counter_matches_the_ideal_window_on_random_traffic():
    rng = random.Random(42)
    counter, ideal = wireguard.ReplayCounter(1 << 20), IdealWireGuardWindow(1 << 20)
    base = 0
    for _ in range(30_000):
        roll = rng.random()
        if roll < 0.6:
            base += rng.randint(0, 3)
            value = base
        elif roll < 0.9:
            value = max(0, base - rng.randint(0, 9000))  # late, around the window edge
        elif roll < 0.99:
            value = max(0, base - rng.randint(8100, 8200))
        else:
            base += rng.randint(100, 20_000)
            value = base
        assert counter.validate(value) == ideal.validate(value), value


# --- AllowedIPs ---------------------------------------------------------------------------------

def test_allowed_ips_longest_prefix_match_v4_and_v6():
    table = wireguard.AllowedIPs()
    table.insert("10.0.0.0/8", "alice")
    table.insert("10.1.0.0/16", "bob")
    table.insert("10.1.2.3/32", "carol")
    table.insert("fd00::/64", "bob")
    table.insert("0.0.0.0/0", "default")
    assert table.lookup("10.1.2.3") == "carol"
    assert table.lookup("10.1.2.4") == "bob"
    assert table.lookup("10.200.0.1") == "alice"
    assert table.lookup("192.0.2.1") == "default"
    assert table.lookup("fd00::1234") == "bob"
    assert table.lookup("fd01::1") is None  # no IPv6 default route
    assert len(table) == 5
    assert sorted(table.prefixes("bob")) == ["10.1.0.0/16", "fd00::/64"]


def test_allowed_ips_remove_and_take_over():
    table = wireguard.AllowedIPs()
    table.insert("192.168.0.0/24", "alice")
    table.insert("192.168.0.128/25", "bob")
    assert table.remove("192.168.0.128/25")
    assert not table.remove("192.168.0.128/25")
    assert table.lookup("192.168.0.200") == "alice"
    table.insert("192.168.0.0/24", "bob")  # wg set: the prefix moves to the new peer
    assert table.lookup("192.168.0.1") == "bob"
    assert table.prefixes("alice") == []
    table.insert("172.16.0.0/12", "bob")
    table.remove_peer("bob")
    assert len(table) == 0 and table.lookup("172.16.1.1") is None
    table.insert("10.0.0.7/8", "x")  # host bits are cleared, as wg does
    assert table.prefixes("x") == ["10.0.0.0/8"]


def test_allowed_ips_bad_input_raises_value_error():
    table = wireguard.AllowedIPs()
    for bad in ["10.0.0.0/33", "not-an-ip", "10.0.0/8", "fd00::/129", ""]:
        with pytest.raises(ValueError):
            table.insert(bad, "peer")
    with pytest.raises(ValueError):
        table.lookup("300.1.1.1")
    with pytest.raises(ValueError):
        table.insert("10.0.0.0/8", None)


# --- keys ---------------------------------------------------------------------------------------

def test_public_key_rfc7748_vector():
    # RFC 7748 section 6.1: Alice's private and public keys.
    private = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    public = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    assert wireguard.public_key(base64.b64encode(private).decode()) == \
        base64.b64encode(public).decode()


def test_generated_keys_are_clamped_base64_and_seedable():
    key = wireguard.generate_private_key()
    raw = base64.b64decode(key)
    assert len(key) == 44 and len(raw) == 32
    assert raw[0] & 7 == 0 and raw[31] & 0x80 == 0 and raw[31] & 0x40
    assert wireguard.generate_private_key(seed=5) == wireguard.generate_private_key(seed=5)
    assert wireguard.generate_private_key(seed=5) != wireguard.generate_private_key(seed=6)
    assert wireguard.generate_private_key() != wireguard.generate_private_key()
    with pytest.raises(ValueError):
        wireguard.public_key("not base64!")
    with pytest.raises(ValueError):
        wireguard.public_key(base64.b64encode(b"short").decode())


@pytest.mark.skipif(shutil.which("wg") is None, reason="wireguard-tools not installed")
def test_public_key_agrees_with_wg_pubkey():
    for seed in range(3):
        private = wireguard.generate_private_key(seed=seed)
        expected = subprocess.run(["wg", "pubkey"], input=private + "\n", text=True,
                                  capture_output=True, check=True).stdout.strip()
        assert wireguard.public_key(private) == expected


# --- ESP replay window --------------------------------------------------------------------------

class IdealEspWindow:
    def __init__(self, size):
        self.size, self.seen, self.highest = size, set(), 0

    def check(self, seq):
        if seq == 0 or seq in self.seen:
            return False
        if seq <= self.highest and self.highest - seq >= self.size:
            return False
        self.seen.add(seq)
        self.highest = max(self.highest, seq)
        return True


def test_esp_window_edges():
    window = ipsec.ReplayWindow(64)
    assert window.size == 64 and window.highest == 0
    assert not window.check(0)  # sequence numbers start at 1
    assert window.check(1) and not window.check(1)
    assert window.check(100)
    assert window.status(37) == "ok" and window.status(36) == "outside-window"
    assert not window.check(36)  # 100 - 36 = 64: left of the window
    assert window.check(37)  # the window's left edge
    assert window.status(37) == "replay" and not window.check(37)
    assert window.check(99) and window.check(2 ** 32 - 1)
    assert window.highest == 2 ** 32 - 1
    assert not window.check(100)
    with pytest.raises(ValueError):
        window.check(2 ** 32)  # no ESN: 32-bit only


def test_esp_defaults_are_the_scenarios(tunnelsim_cli):
    """The bindings' defaults come from the one tunnel spec: what `tunnelsim keys` reports."""
    defaults = {}
    for line in subprocess.run([str(tunnelsim_cli), "keys"], check=True, capture_output=True,
                               text=True).stdout.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[0].startswith("tunnel.ipsec."):
            defaults[fields[0]] = fields[2]
    window = ipsec.ReplayWindow()
    assert window.size == int(defaults["tunnel.ipsec.replay_window"])
    assert str(window.esn).lower() == defaults["tunnel.ipsec.esn"]
    key = bytes(range(36))
    assert f'"{ipsec.EspSa(1, key).algorithm}"' == defaults["tunnel.ipsec.encryption"]
    # The SA's default window is the scenario's: a packet window.size + 1 behind is refused.
    sender = ipsec.EspSa(1, key, ALGORITHMS[0], initial_sequence=0)
    receiver = ipsec.EspSa(1, key, ALGORITHMS[0])
    assert receiver.esn == window.esn
    oldest = sender.seal(_ipv4_packet(10))
    for _ in range(window.size):
        sender.seal(_ipv4_packet(10))
    receiver.decrypt(sender.seal(_ipv4_packet(10)))  # sequence window.size + 2
    with pytest.raises(ipsec.EspError, match="outside"):  # sequence 1: outside the window
        receiver.decrypt(oldest)


def test_esp_window_sizes():
    off = ipsec.ReplayWindow(0)  # anti-replay disabled
    assert off.check(5) and off.check(5) and off.check(1)
    one = ipsec.ReplayWindow(1)
    assert one.check(10) and not one.check(9) and one.check(11)
    big = ipsec.ReplayWindow(4096)
    assert big.check(5000) and big.check(5000 - 4095) and not big.check(5000 - 4096)
    with pytest.raises(ValueError):
        ipsec.ReplayWindow(ipsec.ReplayWindow.MAX_SIZE + 1)


def test_esp_window_matches_the_ideal_window_on_random_traffic():
    rng = random.Random(7)
    for size in (32, 64, 100, 1024):
        window, ideal = ipsec.ReplayWindow(size), IdealEspWindow(size)
        top = 1
        for _ in range(20_000):
            roll = rng.random()
            if roll < 0.5:
                top += rng.randint(0, 2)
                seq = top
            elif roll < 0.98:
                seq = max(0, top - rng.randint(0, 2 * size))
            else:
                top += rng.randint(size, 10 * size)
                seq = top
            assert window.check(seq) == ideal.check(seq), (size, seq)


def test_esp_window_esn_crosses_the_32_bit_boundary():
    window = ipsec.ReplayWindow(64, esn=True)
    for low in range(2 ** 32 - 40, 2 ** 32):
        assert window.check(low)
    assert window.check(0)  # the wire wraps: sequence 2^32, inferred as the next subspace
    assert window.highest == 2 ** 32
    assert window.check(5) and window.highest == 2 ** 32 + 5
    assert not window.check(2 ** 32 - 1)  # the same packet again, in the old subspace
    assert window.check(2 ** 32 - 50)  # still inside the window, not seen yet
    assert window.infer_esn(2 ** 32 - 50) == 2 ** 32 - 50
    assert window.infer_esn(7) == 2 ** 32 + 7
    with pytest.raises(ValueError):
        window.check(2 ** 32)  # the wire carries 32 bits


# --- ESP SA ---------------------------------------------------------------------------------

RFC7634_KEYMAT = bytes.fromhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                               "a0a1a2a3")
RFC7634_INNER = bytes.fromhex(
    "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec1000073627"
    "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f3031323334353637")
RFC7634_PACKET = bytes.fromhex(
    "01020304000000051011121314151617"
    "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6"
    "14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3"
    "cbec163fac469b502773f6fb94e664da9165b82829f641e0"
    "76aaa8266b7fb0f7b11b369907e1ad43")


def test_esp_rfc7634_appendix_a():
    sa = ipsec.EspSa(0x01020304, RFC7634_KEYMAT, "chacha20-poly1305")
    packet = sa.encrypt(RFC7634_INNER, seq=5, iv=bytes.fromhex("1011121314151617"),
                        next_header=ipsec.NEXT_HEADER_IPV4)
    assert packet == RFC7634_PACKET
    opened = sa.decrypt(RFC7634_PACKET)
    assert opened == ipsec.EspPacket(RFC7634_INNER, 4, 5)
    with pytest.raises(ipsec.EspError) as error:
        sa.decrypt(RFC7634_PACKET)
    assert error.value.status == "replay"


def _ipv4_packet(size):
    body = bytes(range(256)) * (size // 256 + 1)
    total = 20 + size
    header = bytes([0x45, 0, total >> 8, total & 0xFF, 0, 0, 0, 0, 64, 17, 0, 0,
                    192, 0, 2, 1, 198, 51, 100, 1])
    return header + body[:size]


ALGORITHMS = [a for a in ("chacha20-poly1305", "aes-256-gcm") if ipsec.algorithm_available(a)]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("esn", [False, True])
def test_esp_round_trip_and_tamper(algorithm, esn):
    key = bytes(range(36))
    start = 2 ** 32 - 3 if esn else 0
    tx = ipsec.EspSa(0xC0FFEE, key, algorithm, esn=esn, initial_sequence=start)
    rx = ipsec.EspSa(0xC0FFEE, key, algorithm, esn=esn, replay_window=32,
                     initial_sequence=start)
    sent = []
    for size in (0, 1, 3, 100, 1400):
        payload = _ipv4_packet(size)
        packet = tx.seal(payload)
        assert packet[:4] == (0xC0FFEE).to_bytes(4, "big")
        assert (len(packet) - 8 - 8 - 16) % 4 == 0
        sent.append((payload, packet))
    for index, (payload, packet) in enumerate(sent):
        opened = rx.decrypt(packet)
        assert opened.payload == payload and opened.next_header == 4
        assert opened.sequence == start + index + 1  # crosses 2^32 with ESN
    payload, packet = sent[-1]
    for position in (4, 9, 20, len(packet) - 1):  # sequence, IV, ciphertext, ICV
        tampered = bytearray(packet)
        tampered[position] ^= 0x01
        with pytest.raises(ipsec.EspError) as error:
            rx.decrypt(bytes(tampered))
        assert error.value.status in ("icv-failure", "replay", "outside-window")
    ciphertext_flip = bytearray(sent[0][1])
    ciphertext_flip[20] ^= 0x80
    fresh = ipsec.EspSa(0xC0FFEE, key, algorithm, esn=esn, initial_sequence=start)
    with pytest.raises(ipsec.EspError) as error:
        fresh.decrypt(bytes(ciphertext_flip))
    assert error.value.status == "icv-failure"
    assert fresh.decrypt(sent[0][1]).payload == sent[0][0]  # the failure did not move the window
    assert rx.counters["drop_icv"] >= 1 and rx.counters["packets"] == len(sent)
    with pytest.raises(ipsec.EspError) as error:
        rx.decrypt(sent[0][1])
    assert error.value.status == "replay"
    with pytest.raises(ipsec.EspError) as error:
        rx.decrypt(b"\x00\xc0\xff\xee\x00")
    assert error.value.status == "malformed"


def test_esp_encrypt_then_decrypt_with_explicit_iv_and_bad_arguments():
    sa = ipsec.EspSa(7, bytes(36), "chacha20-poly1305", replay_window=64)
    payload = _ipv4_packet(50)
    one = sa.encrypt(payload, seq=1, iv=b"\x00" * 8)
    two = sa.encrypt(payload, seq=1, iv=b"\x00" * 7 + b"\x01")
    assert one != two and one[8:16] == b"\x00" * 8
    assert sa.decrypt(one).payload == payload
    with pytest.raises(ValueError):
        sa.encrypt(payload, seq=1, iv=b"short")
    with pytest.raises(ValueError):
        sa.encrypt(payload, seq=2 ** 32, iv=bytes(8))  # needs ESN
    with pytest.raises(ValueError):
        ipsec.EspSa(1, bytes(32))  # the salt is missing
    with pytest.raises(ValueError):
        ipsec.EspSa(1, bytes(36), "des")
    with pytest.raises(ValueError):
        ipsec.EspSa(1, bytes(36), mode="sideways")
