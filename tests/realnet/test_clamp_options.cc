// --clamp-mss of wg-up and ipsec-up: parsed into the same GatewaySpec the scenario key uses,
// the limit the daemons give the shared sans-IO clamp (common/mss_clamp.h), bad values refused.
#define BOOST_TEST_MODULE realnet_clamp_options
#include <boost/test/unit_test.hpp>

#include "realnet/ipsec_up_options.h"
#include "realnet/wg_up_options.h"

#include <string>
#include <vector>

using namespace tunnelsim::realnet;

BOOST_AUTO_TEST_CASE(wg_up_takes_pmtu_a_number_or_off) {
  std::string error;
  const auto off = ParseWgUpOptions({"wg0.conf"}, error);
  BOOST_TEST_REQUIRE(off.has_value());
  BOOST_TEST(!off->gateway.ClampMssFor(1420).has_value());

  const auto pmtu = ParseWgUpOptions({"wg-up", "wg0.conf", "--clamp-mss", "pmtu"}, error);
  BOOST_TEST_REQUIRE(pmtu.has_value(), error);
  BOOST_TEST(*pmtu->gateway.ClampMssFor(1420) == 1380); // the interface MTU less 40
  BOOST_TEST(*pmtu->gateway.ClampMssFor(1280) == 1240);

  const auto fixed = ParseWgUpOptions({"wg0.conf", "--clamp-mss=1300"}, error);
  BOOST_TEST_REQUIRE(fixed.has_value(), error);
  BOOST_TEST(*fixed->gateway.ClampMssFor(1420) == 1300);

  const auto explicitOff = ParseWgUpOptions({"wg0.conf", "--clamp-mss", "off"}, error);
  BOOST_TEST_REQUIRE(explicitOff.has_value(), error);
  BOOST_TEST(!explicitOff->gateway.ClampMssFor(1420).has_value());
}

BOOST_AUTO_TEST_CASE(wg_up_refuses_a_bad_clamp_value) {
  for (const std::string bad : {"87", "65536", "1300x", "", "PMTU"}) {
    std::string error;
    BOOST_TEST(!ParseWgUpOptions({"wg0.conf", "--clamp-mss", bad}, error).has_value(), bad);
    BOOST_TEST(error.find("--clamp-mss") != std::string::npos, error);
  }
  std::string error;
  BOOST_TEST(!ParseWgUpOptions({"wg0.conf", "--clamp-mss"}, error).has_value());
  BOOST_TEST(std::string(kWgUpUsage).find("--clamp-mss") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ipsec_up_takes_the_same_values) {
  std::string error;
  const auto off = ParseIpsecUpOptions({"gw.conf"}, error);
  BOOST_TEST_REQUIRE(off.has_value(), error);
  BOOST_TEST(!off->gateway.ClampMssFor(1400).has_value());
  const auto pmtu = ParseIpsecUpOptions({"ipsec-up", "gw.conf", "--clamp-mss", "pmtu"}, error);
  BOOST_TEST_REQUIRE(pmtu.has_value(), error);
  BOOST_TEST(*pmtu->gateway.ClampMssFor(1400) == 1360);
  const auto fixed = ParseIpsecUpOptions({"gw.conf", "--clamp-mss", "1200"}, error);
  BOOST_TEST_REQUIRE(fixed.has_value(), error);
  BOOST_TEST(*fixed->gateway.ClampMssFor(1400) == 1200);
  BOOST_TEST(!ParseIpsecUpOptions({"gw.conf", "--clamp-mss", "abc"}, error).has_value());
  BOOST_TEST(error.find("--clamp-mss") != std::string::npos, error);
  BOOST_TEST(std::string(kIpsecUpUsage).find("--clamp-mss") != std::string::npos);
}
