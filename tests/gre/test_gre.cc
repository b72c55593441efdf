#define BOOST_TEST_MODULE gre
#include <boost/test/unit_test.hpp>

#include "../common/test_packets.h"

#include "gre/gre_tunnel.h"

#include <cstring>

using namespace tunnelsim;
using namespace tunnelsim::gre;
using crypto::Bytes;

namespace {

using test_packets::Ipv4Packet;
using test_packets::Ipv6Packet;

GreConfig Symmetric(std::optional<uint32_t> key, bool seq, bool csum,
                    GreSequenceMode mode = GreSequenceMode::Accept) {
  GreConfig c;
  c.outputKey = key;
  c.inputKey = key;
  c.outputSequence = seq;
  c.inputSequence = mode;
  c.outputChecksum = csum;
  c.inputChecksum = csum;
  return c;
}

Bytes WithSequence(uint32_t seq, const Bytes &inner) {
  GreHeader h;
  h.protocolType = kGreProtocolIpv4;
  h.sequencePresent = true;
  h.sequence = seq;
  Bytes out(h.Size() + inner.size());
  size_t n = WriteGreHeader(h, out.data());
  std::copy(inner.begin(), inner.end(), out.begin() + n);
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(round_trip_every_option_combination) {
  for (int mask = 0; mask < 8; ++mask) {
    std::optional<uint32_t> key;
    if (mask & 1) key = 0xDEADBEEF;
    bool seq = mask & 2, csum = mask & 4;
    GreTunnel a(Symmetric(key, seq, csum)), b(Symmetric(key, seq, csum));
    for (const Bytes &inner : {Ipv4Packet(0), Ipv4Packet(33), Ipv6Packet(100)}) {
      auto encapsulated = a.Encapsulate(inner);
      BOOST_REQUIRE(encapsulated);
      size_t expectedHeader = 4 + (key ? 4 : 0) + (seq ? 4 : 0) + (csum ? 4 : 0);
      BOOST_TEST(encapsulated->size() == expectedHeader + inner.size());
      uint16_t proto = uint16_t((*encapsulated)[2] << 8 | (*encapsulated)[3]);
      BOOST_TEST(proto == (inner[0] >> 4 == 4 ? 0x0800 : 0x86DD));
      auto decapsulated = b.Decapsulate(*encapsulated);
      BOOST_REQUIRE(decapsulated);
      BOOST_TEST(decapsulated->innerPacket == inner);
      BOOST_TEST(decapsulated->header.keyPresent == key.has_value());
      if (key) BOOST_TEST(decapsulated->header.key == *key);
    }
    BOOST_TEST(b.counters().decapsulated == 3u);
    BOOST_TEST(b.counters().TotalDrops() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(header_wire_format_matches_rfc_layout) {
  GreConfig c = Symmetric(0x01020304u, true, true);
  c.initialSequence = 7;
  GreTunnel t(c);
  Bytes inner = Ipv4Packet(4);
  Bytes out = *t.Encapsulate(inner);
  // C, K and S bits: 0xB000; protocol 0x0800; checksum; reserved1 0; key; sequence 7.
  BOOST_TEST(out[0] == 0xB0);
  BOOST_TEST(out[1] == 0x00);
  BOOST_TEST(out[6] == 0);
  BOOST_TEST(out[7] == 0);
  BOOST_TEST((Bytes(out.begin() + 8, out.begin() + 12)) == (Bytes{1, 2, 3, 4}));
  BOOST_TEST((Bytes(out.begin() + 12, out.begin() + 16)) == (Bytes{0, 0, 0, 7}));
  BOOST_TEST(InternetChecksum(out) == 0);
}

BOOST_AUTO_TEST_CASE(malformed_inputs_are_counted) {
  GreTunnel t(Symmetric(std::nullopt, false, false));
  Bytes good = *GreTunnel(Symmetric(std::nullopt, false, false)).Encapsulate(Ipv4Packet(8));

  BOOST_TEST(!t.Decapsulate(Bytes{0x00, 0x00, 0x08}));
  BOOST_TEST(t.counters().dropTruncated == 1u);

  Bytes badVersion = good;
  badVersion[1] |= 0x01;
  BOOST_TEST(!t.Decapsulate(badVersion));
  BOOST_TEST(t.counters().dropBadVersion == 1u);

  Bytes routing = good;
  routing[0] |= 0x40; // RFC 1701 routing-present bit
  BOOST_TEST(!t.Decapsulate(routing));
  BOOST_TEST(t.counters().dropReservedBits == 1u);

  Bytes keyFlagNoRoom = {0x20, 0x00, 0x08, 0x00, 0x00};
  BOOST_TEST(!t.Decapsulate(keyFlagNoRoom));
  BOOST_TEST(t.counters().dropTruncated == 2u);

  Bytes unknownProto = good;
  unknownProto[2] = 0x88;
  unknownProto[3] = 0x47; // MPLS
  BOOST_TEST(!t.Decapsulate(unknownProto));
  BOOST_TEST(t.counters().dropUnknownProtocol == 1u);

  Bytes wrongInner = good;
  wrongInner[2] = 0x86;
  wrongInner[3] = 0xDD; // claims IPv6, carries IPv4
  BOOST_TEST(!t.Decapsulate(wrongInner));
  Bytes truncatedInner(good.begin(), good.end() - 3);
  BOOST_TEST(!t.Decapsulate(truncatedInner));
  BOOST_TEST(t.counters().dropInvalidInner == 2u);

  Bytes garbage(3000);
  for (size_t i = 0; i < garbage.size(); ++i)
    garbage[i] = uint8_t(i * 131 + 7);
  for (size_t n = 0; n < 64; ++n)
    (void)t.Decapsulate(crypto::ByteView(garbage.data(), n));
  BOOST_TEST(t.counters().decapsulated == 0u);

  GreTunnel sender(Symmetric(std::nullopt, false, false));
  BOOST_TEST(!sender.Encapsulate(Bytes{0x45, 0, 0}));
  BOOST_TEST(sender.counters().txInvalidInner == 1u);
}

BOOST_AUTO_TEST_CASE(checksum_and_key_validation) {
  GreTunnel a(Symmetric(5u, false, true));
  Bytes out = *a.Encapsulate(Ipv4Packet(50));
  for (size_t i = 0; i < out.size(); ++i) {
    Bytes corrupted = out;
    corrupted[i] ^= 0x10;
    GreTunnel b(Symmetric(5u, false, true));
    BOOST_TEST(!b.Decapsulate(corrupted));
    // Flipping a flag bit changes the header layout; everything else must fail the checksum.
    if (i >= 4) BOOST_TEST(b.counters().dropBadChecksum == 1u);
  }
  GreTunnel noCsumSender(Symmetric(5u, false, false));
  GreTunnel requireCsum(Symmetric(5u, false, true));
  BOOST_TEST(!requireCsum.Decapsulate(*noCsumSender.Encapsulate(Ipv4Packet(4))));
  BOOST_TEST(requireCsum.counters().dropMissingChecksum == 1u);

  // Not requiring a checksum still validates one that is present (as Linux does).
  GreTunnel lenient(Symmetric(5u, false, false));
  BOOST_TEST(lenient.Decapsulate(out).has_value());
  Bytes bad = out;
  bad.back() ^= 1;
  BOOST_TEST(!lenient.Decapsulate(bad));
  BOOST_TEST(lenient.counters().dropBadChecksum == 1u);

  GreTunnel otherKey(Symmetric(6u, false, false));
  BOOST_TEST(!otherKey.Decapsulate(*noCsumSender.Encapsulate(Ipv4Packet(4))));
  GreTunnel noKey(Symmetric(std::nullopt, false, false));
  BOOST_TEST(!noKey.Decapsulate(*noCsumSender.Encapsulate(Ipv4Packet(4))));
  GreTunnel keyed(Symmetric(5u, false, false));
  BOOST_TEST(!keyed.Decapsulate(
      *GreTunnel(Symmetric(std::nullopt, false, false)).Encapsulate(Ipv4Packet(4))));
  BOOST_TEST(otherKey.counters().dropKeyMismatch == 1u);
  BOOST_TEST(noKey.counters().dropKeyMismatch == 1u);
  BOOST_TEST(keyed.counters().dropKeyMismatch == 1u);
}

BOOST_AUTO_TEST_CASE(iseq_drops_out_of_sequence_and_accept_mode_does_not) {
  const std::vector<uint32_t> arrivals = {1, 2, 4, 3, 4, 5, 10, 6, 11, 11, 12};
  const std::vector<bool> iseqAccepts = {true, true,  true, false, false, true,
                                         true, false, true, false, true};
  GreTunnel iseq(Symmetric(std::nullopt, false, false, GreSequenceMode::DropOutOfOrder));
  GreTunnel accept(Symmetric(std::nullopt, false, false, GreSequenceMode::Accept));
  Bytes inner = Ipv4Packet(10);
  for (size_t i = 0; i < arrivals.size(); ++i) {
    Bytes packet = WithSequence(arrivals[i], inner);
    BOOST_TEST(iseq.Decapsulate(packet).has_value() == iseqAccepts[i], "arrival " << i);
    BOOST_TEST(accept.Decapsulate(packet).has_value());
  }
  BOOST_TEST(iseq.counters().dropOutOfSequence == 4u);
  BOOST_TEST(accept.counters().decapsulated == arrivals.size());

  GreTunnel missing(Symmetric(std::nullopt, false, false, GreSequenceMode::DropOutOfOrder));
  BOOST_TEST(
      !missing.Decapsulate(*GreTunnel(Symmetric(std::nullopt, false, false)).Encapsulate(inner)));
  BOOST_TEST(missing.counters().dropMissingSequence == 1u);
}

BOOST_AUTO_TEST_CASE(sequence_wrap_uses_serial_arithmetic) {
  GreConfig c = Symmetric(std::nullopt, true, false, GreSequenceMode::DropOutOfOrder);
  c.initialSequence = 0xFFFFFFFD;
  GreTunnel tx(c);
  GreTunnel rx(c);
  Bytes inner = Ipv4Packet(10);
  std::vector<Bytes> sent;
  for (int i = 0; i < 6; ++i)
    sent.push_back(*tx.Encapsulate(inner));
  BOOST_TEST(tx.nextOutputSequence() == 3u); // FFFFFFFD, FE, FF, 0, 1, 2 sent
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(rx.Decapsulate(sent[i]).has_value());
  // After 0xFFFFFFFF Linux's i_seqno is 0, which accepts anything: even an old number.
  BOOST_TEST(rx.expectedInputSequence() == 0u);
  BOOST_TEST(rx.Decapsulate(sent[3]).has_value());  // 0 is newer than 0xFFFFFFFF
  BOOST_TEST(!rx.Decapsulate(sent[2]).has_value()); // 0xFFFFFFFF is older than 0
  BOOST_TEST(rx.Decapsulate(sent[5]).has_value());
  BOOST_TEST(!rx.Decapsulate(sent[4]).has_value());
  BOOST_TEST(rx.counters().dropOutOfSequence == 2u);

  // Half the number space ahead counts as newer; more than that counts as older.
  GreTunnel half(Symmetric(std::nullopt, false, false, GreSequenceMode::DropOutOfOrder));
  BOOST_TEST(half.Decapsulate(WithSequence(5, inner)).has_value());
  BOOST_TEST(half.Decapsulate(WithSequence(0x80000004u, inner)).has_value());
  // 5 is 2^31 + 1 after 0x80000004, so it is older: dropped.
  BOOST_TEST(!half.Decapsulate(WithSequence(5, inner)).has_value());
  // Exactly 2^31 after the last accepted counts as newer, because Linux compares with
  // last + 1: (s32)(4 - 0x80000005) = 0x7FFFFFFF >= 0.
  BOOST_TEST(half.Decapsulate(WithSequence(4, inner)).has_value());
  BOOST_TEST(half.counters().dropOutOfSequence == 1u);
}

// The allocation-free forms (encapsulate into a reused buffer, decapsulate to a view) give
// exactly what the copying forms give, and count the same.
BOOST_AUTO_TEST_CASE(reused_buffer_and_view_forms_match_the_copying_forms) {
  const GreConfig config = Symmetric(0x1234, true, true);
  GreTunnel copying(config), reusing(config), copyingRx(config), viewRx(config);
  Bytes out(5000, 0x77);
  for (const Bytes &inner : {Ipv4Packet(1380), Ipv4Packet(0), Ipv6Packet(100), Ipv4Packet(9)}) {
    auto expected = copying.Encapsulate(inner);
    BOOST_REQUIRE(expected);
    BOOST_REQUIRE(reusing.Encapsulate(inner, out));
    BOOST_TEST(out == *expected);
    auto copied = copyingRx.Decapsulate(*expected);
    auto viewed = viewRx.DecapsulateView(out);
    BOOST_REQUIRE(copied);
    BOOST_REQUIRE(viewed);
    BOOST_TEST(viewed->innerPacket.ToBytes() == copied->innerPacket);
    BOOST_TEST(viewed->header.sequence == copied->header.sequence);
  }
  BOOST_TEST(!reusing.Encapsulate(Bytes{0x45, 0, 0}, out));
  BOOST_TEST(reusing.counters().txInvalidInner == 1u);
  BOOST_TEST(reusing.counters().encapsulated == copying.counters().encapsulated);
  BOOST_TEST(viewRx.counters().decapsulated == 4u);
}
