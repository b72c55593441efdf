// tunnelsim-wg-up --pmtu-discovery: the inner MTU it reports is exactly the largest inner
// packet whose transport message (the core's own padding rule) fits in the underlay MTU, over
// IPv4 and IPv6; and the option parses.
#include <boost/test/unit_test.hpp>

#include "crypto/aead.h"
#include "realnet/wg_pmtu.h"
#include "realnet/wg_up_options.h"
#include "wireguard/messages.h"

using namespace tunnelsim;

BOOST_AUTO_TEST_SUITE(wg_up_pmtu)

BOOST_AUTO_TEST_CASE(inner_mtu_is_the_largest_packet_a_transport_message_fits_in) {
  for (const bool v6 : {false, true}) {
    for (const uint32_t interfaceMtu : {1420u, 1280u}) {
      for (const uint32_t underlay : {1500u, 1480u, 1400u, 1399u, 1390u, 1300u, 1280u}) {
        BOOST_TEST_CONTEXT((v6 ? "IPv6" : "IPv4")
                           << " underlay " << underlay << " interface " << interfaceMtu) {
          const uint32_t inner = realnet::WireGuardInnerMtu(underlay, v6, interfaceMtu);
          auto outer = [&](uint32_t size) {
            return (v6 ? 40u : 20u) + 8u + uint32_t(wireguard::transport::kHeaderSize) +
                   uint32_t(wireguard::PaddedLength(size, interfaceMtu)) +
                   uint32_t(crypto::kAeadTagSize);
          };
          BOOST_TEST(inner <= interfaceMtu);
          BOOST_TEST(outer(inner) <= underlay);
          // One byte more either does not fit or is beyond the interface MTU.
          BOOST_TEST((inner == interfaceMtu || outer(inner + 1) > underlay));
        }
      }
    }
  }
  BOOST_TEST(realnet::WireGuardInnerMtu(1400, false, 1420) == 1328u);
  BOOST_TEST(realnet::WireGuardInnerMtu(1500, false, 1420) == 1420u);
}

BOOST_AUTO_TEST_CASE(pmtu_discovery_option_parses) {
  std::string error;
  auto off = realnet::ParseWgUpOptions({"wg0.conf"}, error);
  BOOST_REQUIRE(off);
  BOOST_TEST(!off->gateway.pmtuDiscovery);
  auto on = realnet::ParseWgUpOptions({"wg0.conf", "--pmtu-discovery"}, error);
  BOOST_REQUIRE(on);
  BOOST_TEST(on->gateway.pmtuDiscovery);
  BOOST_TEST(std::string(realnet::kWgUpUsage).find("--pmtu-discovery") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
