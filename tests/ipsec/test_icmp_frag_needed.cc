// ICMP "fragmentation needed" (type 3 code 4) for DF packets too big for a tunnel
// (common/icmp_frag_needed.h): which packets get one, and the message itself, checked field by
// field (addresses, MTU, quoted header and data) and by recomputing both checksums.
#include <boost/test/unit_test.hpp>

#include "common/icmp_frag_needed.h"
#include "common/ip_packet.h"
#include "esp_test_util.h"

using namespace tunnelsim;
using crypto::Bytes;
using ipsec::test::Ipv4Packet;

namespace {

Bytes DfPacket(size_t payload, uint8_t protocol = 6) {
  Bytes p = Ipv4Packet(payload, protocol);
  p[6] = 0x40; // DF
  p[4] = 0x12;
  p[5] = 0x34; // identification
  return p;
}

uint16_t Get16(const Bytes &b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }

} // namespace

BOOST_AUTO_TEST_SUITE(icmp_frag_needed)

BOOST_AUTO_TEST_CASE(only_df_ipv4_packets_over_the_mtu_are_answered) {
  const Bytes big = DfPacket(1380); // 1400 bytes
  BOOST_TEST(NeedsFragmentationNeeded(big.data(), big.size(), 1399));
  BOOST_TEST(!NeedsFragmentationNeeded(big.data(), big.size(), 1400)); // fits exactly
  Bytes noDf = big;
  noDf[6] = 0;
  BOOST_TEST(!NeedsFragmentationNeeded(noDf.data(), noDf.size(), 1000)); // may be fragmented
  Bytes laterFragment = big;
  laterFragment[7] = 0x10; // offset 16 (x8): only the first fragment is answered
  BOOST_TEST(!NeedsFragmentationNeeded(laterFragment.data(), laterFragment.size(), 1000));
  Bytes icmpError = DfPacket(1380, kIpProtoIcmp);
  icmpError[20] = 3; // an ICMP error is never answered with another
  BOOST_TEST(!NeedsFragmentationNeeded(icmpError.data(), icmpError.size(), 1000));
  Bytes echo = DfPacket(1380, kIpProtoIcmp);
  echo[20] = 8; // an echo request (ping -M do) is
  BOOST_TEST(NeedsFragmentationNeeded(echo.data(), echo.size(), 1000));
  const Bytes v6 = ipsec::test::Ipv6Packet(1400);
  BOOST_TEST(!NeedsFragmentationNeeded(v6.data(), v6.size(), 1000));
  const Bytes truncated(big.begin(), big.begin() + 30); // total length beyond the buffer
  BOOST_TEST(!NeedsFragmentationNeeded(truncated.data(), truncated.size(), 10));
}

BOOST_AUTO_TEST_CASE(message_quotes_the_packet_and_carries_the_mtu_with_valid_checksums) {
  Bytes big = DfPacket(1380);
  for (size_t i = 20; i < big.size(); ++i)
    big[i] = uint8_t(i * 13);
  const IpAddress gateway = *IpAddress::Parse("10.2.0.1");
  auto icmp = BuildFragmentationNeeded(big.data(), big.size(), 1346, gateway);
  BOOST_REQUIRE(icmp);
  const Bytes &m = *icmp;
  BOOST_TEST(m.size() == kIcmpErrorMaxSize); // quotes as much as fits in 576 bytes
  auto info = ParseIpPacket(m.data(), m.size());
  BOOST_REQUIRE(info);
  BOOST_TEST(info->version == 4);
  BOOST_TEST(info->protocol == kIpProtoIcmp);
  BOOST_TEST(info->totalLength == m.size());
  BOOST_TEST(info->source.ToString() == "10.2.0.1");
  BOOST_TEST(info->destination.ToString() == "10.1.0.1"); // back to the sender
  BOOST_TEST(m[8] == 64);                                 // TTL
  BOOST_TEST(Get16(m, 6) == 0);                           // not DF, not a fragment
  // Checksums: a header or message with a correct checksum sums to zero.
  BOOST_TEST(InternetChecksum(m.data(), 20) == 0);
  BOOST_TEST(InternetChecksum(m.data() + 20, m.size() - 20) == 0);
  BOOST_TEST(m[20] == 3); // destination unreachable
  BOOST_TEST(m[21] == 4); // fragmentation needed and DF set
  BOOST_TEST(Get16(m, 24) == 0);
  BOOST_TEST(Get16(m, 26) == 1346); // next-hop MTU (RFC 1191)
  // The quoted packet starts with its unchanged header: length 1400, DF, its identification.
  const Bytes quoted(m.begin() + 28, m.end());
  BOOST_TEST((Bytes(quoted.begin(), quoted.begin() + 20) == Bytes(big.begin(), big.begin() + 20)));
  BOOST_TEST((quoted == Bytes(big.begin(), big.begin() + long(quoted.size()))));
  BOOST_TEST(Get16(quoted, 2) == 1400);

  // A small packet is quoted whole; an odd length still checksums.
  Bytes small = DfPacket(31);
  auto shortIcmp = BuildFragmentationNeeded(small.data(), small.size(), 576, gateway);
  BOOST_REQUIRE(shortIcmp);
  BOOST_TEST(shortIcmp->size() == 20u + 8u + 51u);
  BOOST_TEST(InternetChecksum(shortIcmp->data() + 20, shortIcmp->size() - 20) == 0);
  BOOST_TEST((Bytes(shortIcmp->begin() + 28, shortIcmp->end()) == small));

  // Known answer of the checksum (RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2).
  const Bytes words{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  BOOST_TEST(InternetChecksum(words.data(), words.size()) == uint16_t(~0xddf2));

  // Neither an IPv6 packet nor an IPv6 source gives one.
  const Bytes v6 = ipsec::test::Ipv6Packet(1400);
  BOOST_TEST(!BuildFragmentationNeeded(v6.data(), v6.size(), 1280, gateway));
  BOOST_TEST(!BuildFragmentationNeeded(big.data(), big.size(), 1280, *IpAddress::Parse("::1")));
}

BOOST_AUTO_TEST_SUITE_END()
