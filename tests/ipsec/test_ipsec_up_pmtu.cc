// tunnelsim-ipsec-up --pmtu-discovery: the inner MTU it reports must be exactly the largest
// inner packet whose ESP packet (sealed by the real ESP SA, both ciphers, with and without UDP
// encapsulation) fits in the underlay MTU; and the option parses.
#include <boost/test/unit_test.hpp>

#include "esp_test_util.h"
#include "ipsec/esp_sa.h"
#include "realnet/ipsec_pmtu.h"
#include "realnet/ipsec_up_options.h"

using namespace tunnelsim;
using namespace tunnelsim::ipsec;
using crypto::Bytes;

BOOST_AUTO_TEST_SUITE(ipsec_up_pmtu)

BOOST_AUTO_TEST_CASE(inner_mtu_is_the_largest_packet_esp_fits_in_the_underlay) {
  std::vector<EspCipher> ciphers{EspCipher::ChaCha20Poly1305};
  if (EspCipherAvailable(EspCipher::Aes256Gcm16)) ciphers.push_back(EspCipher::Aes256Gcm16);
  for (EspCipher cipher : ciphers) {
    EspSaConfig c;
    c.spi = 0x1000;
    c.cipher = cipher;
    c.keymat.assign(kEspKeymatSize, 0x42);
    c.mode = EspMode::Tunnel;
    c.source = *IpAddress::Parse("192.0.2.1");
    c.destination = *IpAddress::Parse("192.0.2.2");
    EspSa sa(c);
    for (const bool encap : {false, true}) {
      for (const uint32_t underlay : {1500u, 1400u, 1399u, 1398u, 1397u, 1280u}) {
        BOOST_TEST_CONTEXT("underlay " << underlay << (encap ? " udp" : " raw")) {
          const uint32_t inner = realnet::EspTunnelInnerMtu(underlay, encap);
          auto outer = [&](uint32_t innerSize) {
            const Bytes packet = test::Ipv4Packet(innerSize - 20);
            return 20u + (encap ? 8u : 0u) + uint32_t(sa.Seal(packet, 4).packet.size());
          };
          BOOST_TEST(outer(inner) <= underlay);
          BOOST_TEST(outer(inner + 1) > underlay);
        }
      }
    }
  }
  BOOST_TEST(realnet::EspTunnelInnerMtu(1400, false) == 1346u);
  BOOST_TEST(realnet::EspTunnelInnerMtu(100, false) == 68u); // never below IPv4's minimum
}

BOOST_AUTO_TEST_CASE(pmtu_discovery_option_parses) {
  std::string error;
  auto off = realnet::ParseIpsecUpOptions({"x.conf"}, error);
  BOOST_REQUIRE(off);
  BOOST_TEST(!off->gateway.pmtuDiscovery);
  auto on = realnet::ParseIpsecUpOptions({"x.conf", "--pmtu-discovery"}, error);
  BOOST_REQUIRE(on);
  BOOST_TEST(on->gateway.pmtuDiscovery);
  BOOST_TEST(std::string(realnet::kIpsecUpUsage).find("--pmtu-discovery") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
