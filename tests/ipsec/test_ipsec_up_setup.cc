// From swanctl.conf to the driver's setup, and the ipsec-up command line: the OS-independent
// parts of tunnelsim-ipsec-up (no root needed).
#define BOOST_TEST_MODULE ipsec_up_setup
#include <boost/test/unit_test.hpp>

#include "ipsec/swanctl_config.h"
#include "realnet/ipsec_setup.h"
#include "realnet/ipsec_up_options.h"

using namespace tunnelsim;
using namespace tunnelsim::ipsec;
using namespace tunnelsim::realnet;

namespace {

std::string Conf(const std::string &connectionExtra, const std::string &childExtra,
                 const std::string &secrets = "secrets { ike-1 { id-a = gw-a\n id-b = gw-b\n "
                                              "secret = \"psk one\"\n } }\n") {
  return "connections {\n gw {\n  local_addrs = 192.0.2.1\n  remote_addrs = 192.0.2.2\n" +
         connectionExtra + "\n  local { auth = psk\n id = gw-a\n }\n" +
         "  remote { auth = psk\n id = gw-b\n }\n  children { net {\n" + childExtra +
         "\n } }\n }\n}\n" + secrets;
}

std::optional<IpsecSetup> Build(const std::string &text, std::string &error,
                                const std::string &connection = "") {
  return BuildIpsecSetup(ParseSwanctlConfig(text, "t.conf"), connection, error);
}

} // namespace

BOOST_AUTO_TEST_CASE(connection_becomes_ike_config) {
  std::string error;
  auto setup = Build(Conf("  proposals = chacha20poly1305-prfsha256-x25519\n  encap = yes\n"
                          "  dpd_delay = 30s",
                          "   local_ts = 10.1.0.0/16\n   remote_ts = 10.2.0.0/16\n"
                          "   esp_proposals = aes256gcm16-x25519-esn\n   replay_window = 128\n"
                          "   rekey_time = 100s\n   life_time = 150s\n   start_action = start"),
                     error);
  BOOST_REQUIRE_MESSAGE(setup, error);
  const IkeConfig &c = setup->ike;
  BOOST_TEST(setup->connection == "gw");
  BOOST_TEST(setup->child == "net");
  BOOST_TEST(setup->initiate);
  BOOST_TEST(c.initiator);
  BOOST_TEST((c.ikeCipher == EspCipher::ChaCha20Poly1305));
  BOOST_TEST((c.espCipher == EspCipher::Aes256Gcm16));
  BOOST_TEST(c.pfs);
  BOOST_TEST(c.esn);
  BOOST_TEST(c.forceEncapsulation);
  BOOST_TEST(c.replayWindow == 128u);
  BOOST_TEST(c.localAddress.ToString() == "192.0.2.1");
  BOOST_TEST(c.remoteAddress.ToString() == "192.0.2.2");
  BOOST_TEST(c.localTrafficSelector.ToString() == "10.1.0.0/16");
  BOOST_TEST(c.remoteTrafficSelector.ToString() == "10.2.0.0/16");
  BOOST_REQUIRE_EQUAL(setup->routes.size(), 1u);
  BOOST_TEST(setup->routes[0].ToString() == "10.2.0.0/16");
  BOOST_TEST((c.localId == IkeIdPayload::Fqdn("gw-a")));
  BOOST_TEST((c.remoteId == IkeIdPayload::Fqdn("gw-b")));
  BOOST_TEST((c.psk == crypto::Bytes{'p', 's', 'k', ' ', 'o', 'n', 'e'}));
  BOOST_TEST(ToSeconds(c.lifetime.softTime) == 100.0);
  BOOST_TEST(ToSeconds(c.lifetime.hardTime) == 150.0);
  BOOST_TEST(c.lifetime.jitter == 0.5); // rand_time = life - rekey = 50 s of 100 s
  BOOST_TEST(ToSeconds(c.rekeyedInboundLinger) == 5.0);
  BOOST_TEST(ToSeconds(c.dpdDelay) == 30.0);
  BOOST_TEST(ToSeconds(setup->dpdDelay) == 30.0);
}

BOOST_AUTO_TEST_CASE(strongswan_defaults_apply) {
  std::string error;
  auto setup = Build(Conf("", ""), error);
  BOOST_REQUIRE_MESSAGE(setup, error);
  BOOST_TEST(!setup->initiate);
  BOOST_TEST(!setup->ike.initiator);
  BOOST_TEST(setup->ike.localTrafficSelector.ToString() == "192.0.2.1/32");
  BOOST_TEST(setup->routes.at(0).ToString() == "192.0.2.2/32");
  BOOST_TEST(setup->ike.replayWindow == 32u);
  BOOST_TEST(!setup->ike.pfs);
  BOOST_TEST(!setup->ike.forceEncapsulation);
  BOOST_TEST(setup->ike.dpdDelay.count() == 0);
}

BOOST_AUTO_TEST_CASE(addresses_are_default_identities) {
  std::string error;
  const std::string text =
      "connections { gw {\n local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.2\n"
      " local { auth = psk\n }\n remote { auth = psk\n }\n children { net {\n }\n }\n }\n}\n"
      "secrets { ike { id = 192.0.2.2\n secret = x\n }\n}\n";
  auto setup = Build(text, error);
  BOOST_REQUIRE_MESSAGE(setup, error);
  BOOST_TEST((setup->ike.localId == IkeIdPayload::Address(*IpAddress::Parse("192.0.2.1"))));
  BOOST_TEST((setup->ike.remoteId == IkeIdPayload::Address(*IpAddress::Parse("192.0.2.2"))));
}

BOOST_AUTO_TEST_CASE(unsupported_setups_are_errors) {
  struct Case {
    std::string text, connection, errorPart;
  };
  const std::string two = Conf("", "") + "connections { other {\n local_addrs = 192.0.2.1\n "
                                         "remote_addrs = 192.0.2.3\n local { auth = psk\n }\n "
                                         "remote { auth = psk\n }\n children { c {\n } }\n } }\n";
  std::vector<Case> cases = {
      {Conf("", "   start_action = trap"), "", "trap"},
      {Conf("", "   remote_ts = 10.2.0.0/16, 10.3.0.0/16"), "", "one local_ts"},
      {Conf("  local_addrs = 192.0.2.9", ""), "", "twice"},
      {Conf("", "", "secrets { ike-1 { id = someone-else\n secret = x\n } }\n"), "",
       "no ike secret"},
      {Conf("", ""), "missing", "no connection 'missing'"},
  };
  for (const Case &c : cases) {
    BOOST_TEST_CONTEXT(c.text) {
      std::string error;
      try {
        auto setup = Build(c.text, error, c.connection);
        BOOST_TEST(!setup);
      } catch (const SwanctlError &e) {
        error = e.what();
      }
      BOOST_TEST(error.find(c.errorPart) != std::string::npos, error);
      BOOST_TEST(error.find("psk one") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(command_line) {
  std::string error;
  auto o = ParseIpsecUpOptions({"ipsec-up", "gw.conf", "--connection", "gw", "-i", "tun7", "-s",
                                "s.json", "--key-dir", "/tmp/k", "-v"},
                               error);
  BOOST_REQUIRE_MESSAGE(o, error);
  BOOST_TEST(o->configPath == "gw.conf");
  BOOST_TEST(o->connection == "gw");
  BOOST_TEST(o->interfaceName == "tun7");
  BOOST_TEST(o->statsFile == "s.json");
  BOOST_TEST(o->keyDir == "/tmp/k");
  BOOST_TEST(o->verbose);
  BOOST_TEST(ParseIpsecUpOptions({"gw.conf"}, error)->interfaceName == "ipsec0");
  BOOST_TEST(!ParseIpsecUpOptions({}, error));
  BOOST_TEST(error.find("no swanctl.conf") != std::string::npos);
  BOOST_TEST(!ParseIpsecUpOptions({"a.conf", "b.conf"}, error));
  BOOST_TEST(!ParseIpsecUpOptions({"a.conf", "--bogus"}, error));
  BOOST_TEST(!ParseIpsecUpOptions({"a.conf", "--connection"}, error));
  BOOST_TEST(!ParseIpsecUpOptions({"a.conf", "-i", "much-too-long-interface-name"}, error));
  BOOST_TEST(ParseIpsecUpOptions({"--help"}, error)->help);
  auto r = ParseIpsecUpOptions({"a.conf", "--retransmit-timeout", "0.5", "--retransmit-base", "2",
                                "--retransmit-tries", "3"},
                               error);
  BOOST_REQUIRE_MESSAGE(r, error);
  BOOST_TEST(r->retransmitTimeout == 0.5);
  BOOST_TEST(r->retransmitBase == 2.0);
  BOOST_TEST(r->retransmitTries == 3u);
  BOOST_TEST(ParseIpsecUpOptions({"a.conf"}, error)->retransmitTries == 5u);
  for (const char *bad : {"0", "-1", "x", "1.5"}) {
    BOOST_TEST(!ParseIpsecUpOptions({"a.conf", "--retransmit-tries", bad}, error));
  }
  BOOST_TEST(!ParseIpsecUpOptions({"a.conf", "--retransmit-base", "0.5"}, error));
  BOOST_TEST(ParseIpsecUpOptions({"a.conf"}, error)->natKeepalive == 20.0);
  BOOST_TEST(ParseIpsecUpOptions({"a.conf", "--nat-keepalive", "1.5"}, error)->natKeepalive == 1.5);
  BOOST_TEST(!ParseIpsecUpOptions({"a.conf", "--nat-keepalive", "0"}, error));
}
