// ipsec-up's IKE SA rekey setting (the connection's rekey_time) and its loss test hooks on the
// command line (no root needed).
#include <boost/test/unit_test.hpp>

#include "ipsec/swanctl_config.h"
#include "realnet/ipsec_setup.h"
#include "realnet/ipsec_up_options.h"

using namespace tunnelsim;
using namespace tunnelsim::ipsec;
using namespace tunnelsim::realnet;

namespace {

std::string Conf(const std::string &connectionExtra) {
  return "connections {\n gw {\n  local_addrs = 192.0.2.1\n  remote_addrs = 192.0.2.2\n" +
         connectionExtra +
         "\n  local { auth = psk\n id = gw-a\n }\n  remote { auth = psk\n id = gw-b\n }\n"
         "  children { net {\n   rekey_time = 100s\n } }\n }\n}\n"
         "secrets { ike-1 { id-a = gw-a\n id-b = gw-b\n secret = \"psk one\"\n } }\n";
}

} // namespace

BOOST_AUTO_TEST_SUITE(ipsec_up_ike_rekey)

BOOST_AUTO_TEST_CASE(connection_rekey_time_is_the_ike_sa_rekey) {
  std::string error;
  auto setup = BuildIpsecSetup(ParseSwanctlConfig(Conf("  rekey_time = 90m"), "t.conf"), "", error);
  BOOST_REQUIRE_MESSAGE(setup, error);
  BOOST_TEST(setup->ike.ikeRekeyTime.count() == Seconds(5400).count());
  BOOST_TEST(setup->ike.ikeRekeyJitter == 0.1); // strongSwan's rand_time default: 10 %
  // The child's rekey_time stays the Child SA's.
  BOOST_TEST(setup->ike.lifetime.softTime.count() == Seconds(100).count());

  // strongSwan's default IKE rekey_time: 4 h.
  setup = BuildIpsecSetup(ParseSwanctlConfig(Conf(""), "t.conf"), "", error);
  BOOST_REQUIRE_MESSAGE(setup, error);
  BOOST_TEST(setup->ike.ikeRekeyTime.count() == Seconds(4 * 3600).count());

  try {
    ParseSwanctlConfig(Conf("  rekey_time = soon"), "t.conf");
    BOOST_FAIL("a bad rekey_time was accepted");
  } catch (const SwanctlError &e) {
    BOOST_TEST(e.key() == "connections.gw.rekey_time");
    BOOST_TEST(e.line() == 5);
  }
}

BOOST_AUTO_TEST_CASE(test_hooks_take_datagram_numbers) {
  std::string error;
  auto options = ParseIpsecUpOptions(
      {"gw.conf", "--test-drop-ike-sent", "1,3", "--test-drop-ike-received", "2"}, error);
  BOOST_REQUIRE_MESSAGE(options, error);
  BOOST_TEST(options->testDropIkeSent == (std::vector<unsigned>{1, 3}));
  BOOST_TEST(options->testDropIkeReceived == (std::vector<unsigned>{2}));
  options = ParseIpsecUpOptions({"gw.conf"}, error);
  BOOST_REQUIRE(options);
  BOOST_TEST(options->testDropIkeSent.empty());
  BOOST_TEST(options->testDropIkeReceived.empty());
  for (const char *bad : {"0", "1,", ",1", "a", "1,,2", "-1", ""}) {
    BOOST_TEST_CONTEXT("value '" << bad << "'") {
      error.clear();
      BOOST_TEST(!ParseIpsecUpOptions({"gw.conf", "--test-drop-ike-sent", bad}, error));
      BOOST_TEST(error.find("--test-drop-ike-sent") != std::string::npos);
    }
  }
  BOOST_TEST(!ParseIpsecUpOptions({"gw.conf", "--test-drop-ike-received"}, error));
}

BOOST_AUTO_TEST_SUITE_END()
