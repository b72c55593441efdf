// The relay's ESP anti-replay analysis on crafted outer packets: RFC 3948's classification of
// port-4500 payloads (keepalive, IKE behind the non-ESP marker, ESP), raw ESP, SPIs kept apart,
// and the window's edge exactly where kernel-libipsec puts it (a packet W-1 behind the newest
// passes, W behind is dropped), duplicates included.
#include "emulate/esp_replay_analysis.h"
#include "emulate/ipv4_header.h"

#include <boost/test/unit_test.hpp>

#include <stdexcept>

namespace tunnelsim::emulate {
namespace {

constexpr uint32_t kHomeWan = 0x64400001; // 100.64.0.1
constexpr uint32_t kWorkWan = 0xc6336402; // 198.51.100.2

Bytes EspBody(uint32_t spi, uint32_t sequence, size_t payload = 40) {
  Bytes body(8 + payload, 0xab);
  for (int i = 0; i < 4; ++i) {
    body[i] = static_cast<uint8_t>(spi >> (24 - 8 * i));
    body[4 + i] = static_cast<uint8_t>(sequence >> (24 - 8 * i));
  }
  return body;
}

Bytes EspInUdp(uint32_t spi, uint32_t sequence) {
  const Bytes body = EspBody(spi, sequence);
  return WrapUdp(kWorkWan, kHomeWan, kNatTraversalPort, kNatTraversalPort, body.data(),
                 body.size());
}

Bytes RawEsp(uint32_t spi, uint32_t sequence) {
  const Bytes body = EspBody(spi, sequence);
  return WrapIpv4(kWorkWan, kHomeWan, kProtocolEsp, body.data(), body.size());
}

void Feed(EspReplayAnalysis &analysis, const Bytes &packet) {
  analysis.Observe("home", packet.data(), packet.size());
}

} // namespace

BOOST_AUTO_TEST_SUITE(esp_replay_analysis)

BOOST_AUTO_TEST_CASE(classifies_port_4500_payloads_as_rfc3948_says) {
  const Bytes keepalive = [] {
    const uint8_t ff = 0xff;
    return WrapUdp(kHomeWan, kWorkWan, kNatTraversalPort, kNatTraversalPort, &ff, 1);
  }();
  BOOST_TEST(int(ClassifyOuterPacket(keepalive.data(), keepalive.size()).kind) ==
             int(OuterKind::kNatKeepalive));
  Bytes ike(60, 0x21);
  ike[0] = ike[1] = ike[2] = ike[3] = 0; // non-ESP marker
  const Bytes ikePacket =
      WrapUdp(kHomeWan, kWorkWan, kNatTraversalPort, kNatTraversalPort, ike.data(), ike.size());
  BOOST_TEST(int(ClassifyOuterPacket(ikePacket.data(), ikePacket.size()).kind) ==
             int(OuterKind::kIke));
  const Bytes esp = EspInUdp(0xc0ffee01, 77);
  const EspHeaderFields fields = ClassifyOuterPacket(esp.data(), esp.size());
  BOOST_TEST(int(fields.kind) == int(OuterKind::kEspInUdp));
  BOOST_TEST(fields.spi == 0xc0ffee01u);
  BOOST_TEST(fields.sequence == 77u);
  // Only one side on port 4500 is enough (a NAT may have changed the other).
  const Bytes body = EspBody(0x1234, 5);
  const Bytes natted =
      WrapUdp(kHomeWan, kWorkWan, 34567, kNatTraversalPort, body.data(), body.size());
  BOOST_TEST(int(ClassifyOuterPacket(natted.data(), natted.size()).kind) ==
             int(OuterKind::kEspInUdp));
  const Bytes raw = RawEsp(0x99, 3);
  BOOST_TEST(int(ClassifyOuterPacket(raw.data(), raw.size()).kind) == int(OuterKind::kEsp));
  BOOST_TEST(ClassifyOuterPacket(raw.data(), raw.size()).sequence == 3u);
  // Too short for an ESP header, another UDP port, not IPv4 at all.
  const uint8_t five[5] = {1, 2, 3, 4, 5};
  const Bytes shortEsp =
      WrapUdp(kHomeWan, kWorkWan, kNatTraversalPort, kNatTraversalPort, five, sizeof(five));
  BOOST_TEST(int(ClassifyOuterPacket(shortEsp.data(), shortEsp.size()).kind) ==
             int(OuterKind::kMalformedEsp));
  // IKE on port 500 (the relay's own IPsec gateways), whatever its first bytes.
  const Bytes ike500 = WrapUdp(kHomeWan, kWorkWan, kIkePort, kIkePort, body.data(), body.size());
  BOOST_TEST(int(ClassifyOuterPacket(ike500.data(), ike500.size()).kind) == int(OuterKind::kIke));
  const Bytes dns = WrapUdp(kHomeWan, kWorkWan, 5353, 53, body.data(), body.size());
  BOOST_TEST(int(ClassifyOuterPacket(dns.data(), dns.size()).kind) == int(OuterKind::kOther));
  const uint8_t garbage[3] = {0x45, 0, 0};
  BOOST_TEST(int(ClassifyOuterPacket(garbage, sizeof(garbage)).kind) == int(OuterKind::kOther));
  BOOST_TEST(int(ClassifyOuterPacket(nullptr, 0).kind) == int(OuterKind::kOther));
}

BOOST_AUTO_TEST_CASE(window_edge_is_kernel_libipsecs) {
  // 1..10, then 13..140: 11 and 12 are late. 11 arrives 129 behind the newest (140), 12 then
  // 128 behind: both outside a 128-window (libipsec accepts only window_size > last - seq).
  // 141..200, then 74 (126 behind 200) and 73 (127 behind) were never seen: inside, accepted.
  EspReplayAnalysis analysis({128, 256});
  const uint32_t spi = 0xcba85c96;
  for (uint32_t s = 1; s <= 140; ++s) {
    if (s == 11 || s == 12 || s == 73 || s == 74) continue;
    Feed(analysis, EspInUdp(spi, s));
  }
  Feed(analysis, EspInUdp(spi, 11));
  Feed(analysis, EspInUdp(spi, 12));
  BOOST_TEST(analysis.Drops(128) == 2u);
  BOOST_TEST(analysis.Drops(256) == 0u);
  for (uint32_t s = 141; s <= 200; ++s)
    Feed(analysis, EspInUdp(spi, s));
  Feed(analysis, EspInUdp(spi, 74));
  Feed(analysis, EspInUdp(spi, 73));
  BOOST_TEST(analysis.Drops(128) == 2u);
  // 72 is 128 behind: too old; 150 again: a duplicate inside the window.
  Feed(analysis, EspInUdp(spi, 72));
  Feed(analysis, EspInUdp(spi, 150));
  BOOST_TEST(analysis.Drops(128) == 4u);
  BOOST_TEST(analysis.Drops(256) == 2u); // 72 and 150: both duplicates inside 256
  const auto json = analysis.Json();
  BOOST_REQUIRE(json.at("per_spi").size() == 1u);
  const auto &entry = json.at("per_spi").at(0);
  BOOST_TEST(entry.at("spi").get<std::string>() == "0xcba85c96");
  const auto &home = json.at("per_receiver").at("home");
  BOOST_TEST(home.at("window_128").at("drops").get<uint64_t>() == 4u);
  BOOST_TEST(home.at("packets").get<uint64_t>() == 202u);
  BOOST_TEST(entry.at("window_128").at("outside_window").get<uint64_t>() == 3u);
  BOOST_TEST(entry.at("window_128").at("duplicates").get<uint64_t>() == 1u);
  BOOST_TEST(entry.at("highest_sequence").get<uint32_t>() == 200u);
  BOOST_TEST(entry.at("receiver").get<std::string>() == "home");
  BOOST_TEST(json.at("window_128_drops").get<uint64_t>() == 4u);
  BOOST_TEST(json.at("esp_packets").get<uint64_t>() == 202u);
  BOOST_TEST(analysis.Drops(64) == 0u); // not analysed
}

BOOST_AUTO_TEST_CASE(each_spi_has_its_own_window_and_non_esp_is_counted_apart) {
  EspReplayAnalysis analysis({32});
  for (uint32_t s = 1; s <= 100; ++s)
    Feed(analysis, EspInUdp(0xaaaa0001, s));
  // Another SA starting at 1 is new, not 99 behind the first one's newest.
  for (uint32_t s = 1; s <= 10; ++s)
    Feed(analysis, RawEsp(0xbbbb0002, s));
  BOOST_TEST(analysis.Drops(32) == 0u);
  Feed(analysis, RawEsp(0xbbbb0002, 0)); // sequence 0 is never valid (RFC 4303 3.3.3)
  BOOST_TEST(analysis.Drops(32) == 1u);
  const uint8_t ff = 0xff;
  const Bytes keepalive = WrapUdp(kHomeWan, kWorkWan, kNatTraversalPort, kNatTraversalPort, &ff, 1);
  Feed(analysis, keepalive);
  Bytes ike(40, 0);
  const Bytes ikePacket =
      WrapUdp(kHomeWan, kWorkWan, kNatTraversalPort, kNatTraversalPort, ike.data(), ike.size());
  Feed(analysis, ikePacket);
  const auto json = analysis.Json();
  BOOST_TEST(json.at("esp_packets").get<uint64_t>() == 111u);
  BOOST_TEST(json.at("nat_keepalives").get<uint64_t>() == 1u);
  BOOST_TEST(json.at("ike_packets").get<uint64_t>() == 1u);
  BOOST_TEST(json.at("per_spi").size() == 2u);
  // Both SAs reached the same gateway: its sums cover both.
  const auto &home = json.at("per_receiver").at("home");
  BOOST_TEST(home.at("spis").size() == 2u);
  BOOST_TEST(home.at("packets").get<uint64_t>() == 111u);
  BOOST_TEST(home.at("window_32").at("outside_window").get<uint64_t>() == 1u);
  BOOST_CHECK_THROW(EspReplayAnalysis({}), std::invalid_argument);
  BOOST_CHECK_THROW(EspReplayAnalysis({0}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace tunnelsim::emulate
