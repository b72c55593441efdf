#define BOOST_TEST_MODULE swanctl_config
#include <boost/test/unit_test.hpp>

#include "ipsec/swanctl_config.h"

using namespace tunnelsim;
using namespace tunnelsim::ipsec;

namespace {

// A gateway's file as a strongSwan user writes it (comments, quoting, blank lines, lists).
const char *kFullConfig = R"(# gateway A
connections {
  site-to-site {
    local_addrs = 192.0.2.1
    remote_addrs = "192.0.2.2"   # quoted values are fine
    version = 2
    proposals = aes256gcm16-prfsha256-x25519, chacha20poly1305-prfsha256-curve25519
    dpd_delay = 30s
    encap = yes
    local {
      auth = psk
      id = gw-a.example
    }
    remote {
      auth = psk
      id = @gw-b.example
    }
    children {
      net {
        local_ts = 10.1.0.0/16, fd00:1::/64
        remote_ts = 10.2.0.0/16
        esp_proposals = chacha20poly1305-esn, aes256gcm16-x25519-noesn
        mode = tunnel
        replay_window = 128
        rekey_time = 10m
        life_time = 1h
        start_action = start
        dpd_action = restart
      }
      host { remote_ts = 10.3.0.1/32
      }
    }
  }
}
secrets {
  ike-ab {
    id-a = gw-a.example
    id-b = @gw-b.example
    secret = "a \"quoted\" secret"
  }
  ike-any {
    secret = 0x00ff10
  }
}
)";

// The SwanctlError thrown by parsing `text`, which must fail.
SwanctlError ParseError(const std::string &text) {
  try {
    ParseSwanctlConfig(text, "gw.conf");
  } catch (const SwanctlError &e) {
    return e;
  }
  BOOST_FAIL("no error for:\n" + text);
  throw std::logic_error("unreachable");
}

// A minimal valid connection with `extra` lines inserted in the connection section (line 5)
// or the child section (line 9).
std::string Minimal(const std::string &connectionExtra, const std::string &childExtra = "") {
  return "connections {\n c {\n  local_addrs = 192.0.2.1\n  remote_addrs = 192.0.2.2\n" +
         connectionExtra + "\n  local { auth = psk\n  }\n  remote { auth = psk\n  }\n" +
         "  children { x {\n" + childExtra + "\n  } }\n }\n}\n";
}

} // namespace

BOOST_AUTO_TEST_CASE(full_configuration_is_read) {
  SwanctlConfig config = ParseSwanctlConfig(kFullConfig, "gw.conf");
  BOOST_REQUIRE_EQUAL(config.connections.size(), 1u);
  const SwanctlConnection &c = config.connections[0];
  BOOST_TEST(c.name == "site-to-site");
  BOOST_TEST(c.line == 3);
  BOOST_TEST(c.localAddrs.at(0).ToString() == "192.0.2.1");
  BOOST_TEST(c.remoteAddrs.at(0).ToString() == "192.0.2.2");
  BOOST_REQUIRE_EQUAL(c.proposals.size(), 2u);
  BOOST_TEST((c.proposals[0].cipher == EspCipher::Aes256Gcm16));
  BOOST_TEST((c.proposals[1].cipher == EspCipher::ChaCha20Poly1305));
  BOOST_TEST(c.proposals[1].x25519);
  BOOST_TEST(ToSeconds(c.dpdDelay) == 30.0);
  BOOST_TEST(c.encap);
  BOOST_TEST(c.local.id == "gw-a.example");
  BOOST_TEST(c.remote.id == "@gw-b.example");
  BOOST_REQUIRE_EQUAL(c.children.size(), 2u);
  const SwanctlChild &net = c.children[0];
  BOOST_TEST(net.name == "net");
  BOOST_REQUIRE_EQUAL(net.localTs.size(), 2u);
  BOOST_TEST(net.localTs[0].ToString() == "10.1.0.0/16");
  BOOST_TEST(net.localTs[1].ToString() == "fd00:1::/64");
  BOOST_TEST(net.remoteTs.at(0).ToString() == "10.2.0.0/16");
  BOOST_REQUIRE_EQUAL(net.espProposals.size(), 2u);
  BOOST_TEST((net.espProposals[0].cipher == EspCipher::ChaCha20Poly1305));
  BOOST_TEST(net.espProposals[0].esn);
  BOOST_TEST(!net.espProposals[0].x25519);
  BOOST_TEST(net.espProposals[1].x25519);
  BOOST_TEST(!net.espProposals[1].esn);
  BOOST_TEST(net.replayWindow == 128u);
  BOOST_TEST(ToSeconds(net.rekeyTime) == 600.0);
  BOOST_TEST(ToSeconds(net.EffectiveLifeTime()) == 3600.0);
  BOOST_TEST((net.startAction == SwanctlStartAction::Start));
  BOOST_TEST((net.dpdAction == SwanctlDpdAction::Restart));
  // Defaults are strongSwan's.
  const SwanctlChild &host = c.children[1];
  BOOST_TEST(host.replayWindow == 32u);
  BOOST_TEST(ToSeconds(host.EffectiveLifeTime()) == 3960.0);
  BOOST_TEST((host.startAction == SwanctlStartAction::None));
  BOOST_TEST((host.mode == EspMode::Tunnel));
  BOOST_TEST(host.localTs.empty());
  BOOST_TEST((host.espProposals.at(0).cipher == EspCipher::Aes256Gcm16));

  BOOST_REQUIRE_EQUAL(config.secrets.size(), 2u);
  std::string quoted = "a \"quoted\" secret";
  BOOST_TEST((config.secrets[0].secret == crypto::Bytes(quoted.begin(), quoted.end())));
  BOOST_TEST((config.secrets[1].secret == crypto::Bytes{0x00, 0xff, 0x10}));
  BOOST_TEST(config.FindConnection("site-to-site") == &c);
  BOOST_TEST(config.FindConnection("nope") == nullptr);
}

BOOST_AUTO_TEST_CASE(psk_is_chosen_by_identity_as_strongswan_does) {
  SwanctlConfig config = ParseSwanctlConfig(kFullConfig, "gw.conf");
  auto both = config.FindPsk("gw-a.example", "@gw-b.example");
  BOOST_REQUIRE(both);
  BOOST_TEST(both->size() == std::string("a \"quoted\" secret").size());
  // Identities no listed secret names fall back to the secret without identities.
  auto fallback = config.FindPsk("x", "y");
  BOOST_REQUIRE(fallback);
  BOOST_TEST(fallback->size() == 3u);
  SwanctlConfig onlyNamed = ParseSwanctlConfig(
      "secrets { ike-1 { id = a\n secret = s1\n }\n ike-2 { id = b\n id-2 = c\n secret = s2\n } }",
      "f");
  BOOST_TEST(!onlyNamed.FindPsk("x", "y"));
  BOOST_TEST((*onlyNamed.FindPsk("b", "c") == crypto::Bytes{'s', '2'}));
  BOOST_TEST((*onlyNamed.FindPsk("z", "a") == crypto::Bytes{'s', '1'}));
}

BOOST_AUTO_TEST_CASE(identities_map_to_ike_id_types) {
  BOOST_TEST(IkeIdFromSwanctl("192.0.2.1")->type == kIdIpv4Addr);
  BOOST_TEST(IkeIdFromSwanctl("192.0.2.1")->data.size() == 4u);
  BOOST_TEST(IkeIdFromSwanctl("2001:db8::1")->type == kIdIpv6Addr);
  auto fqdn = IkeIdFromSwanctl("@gw.example");
  BOOST_TEST(fqdn->type == kIdFqdn);
  BOOST_TEST(std::string(fqdn->data.begin(), fqdn->data.end()) == "gw.example");
  BOOST_TEST(IkeIdFromSwanctl("gw.example")->type == kIdFqdn);
  BOOST_TEST(IkeIdFromSwanctl("user@gw.example")->type == kIdRfc822Addr);
  BOOST_TEST(!IkeIdFromSwanctl(""));
}

BOOST_AUTO_TEST_CASE(errors_name_file_line_and_key) {
  struct Case {
    std::string text;
    int line;
    std::string key;
    std::string reasonPart;
  };
  std::vector<Case> cases = {
      {"connections {\n}\nfoo = 1\n", 3, "foo", "unknown key"},
      {"pools { p { addrs = 10.0.0.0/24\n} }", 1, "pools", "unsupported"},
      {Minimal("  mobike = no"), 5, "connections.c.mobike", "unsupported key"},
      {Minimal("  colour = blue"), 5, "connections.c.colour", "unknown key"},
      {Minimal("", "   hostaccess = yes"), 11, "connections.c.children.x.hostaccess",
       "unsupported key"},
      {Minimal("", "   bogus = 1"), 11, "connections.c.children.x.bogus", "unknown key"},
      {Minimal("  proposals = aes128-sha256-modp2048"), 5, "connections.c.proposals", "aes128"},
      {Minimal("  proposals = aes256gcm16-x25519"), 5, "connections.c.proposals", "prfsha256"},
      {Minimal("", "   esp_proposals = aes256gcm16-esn-noesn"), 11,
       "connections.c.children.x.esp_proposals", "esn"},
      {Minimal("  version = 1"), 5, "connections.c.version", "IKEv2"},
      {Minimal("  dpd_delay = 30x"), 5, "connections.c.dpd_delay", "not a time"},
      {Minimal("  encap = maybe"), 5, "connections.c.encap", "yes or no"},
      {Minimal("", "   replay_window = -1"), 11, "connections.c.children.x.replay_window",
       "integer"},
      {Minimal("", "   replay_window = 2000000"), 11, "connections.c.children.x.replay_window",
       "larger"},
      {Minimal("", "   remote_ts = 10.0.0.0/33"), 11, "connections.c.children.x.remote_ts",
       "subnet"},
      {Minimal("", "   remote_ts = 10.0.0.0/8[tcp/80]"), 11, "connections.c.children.x.remote_ts",
       "unsupported"},
      {Minimal("", "   mode = beet"), 11, "connections.c.children.x.mode", "unsupported"},
      {Minimal("", "   start_action = later"), 11, "connections.c.children.x.start_action",
       "none, trap or start"},
      {Minimal("", "   rekey_time = 1h\n   life_time = 30m"), 12,
       "connections.c.children.x.life_time", "longer"},
      {Minimal("  local_addrs = 192.0.2.9"), 5, "connections.c.local_addrs", "twice"},
      {"connections {\n c {\n  remote_addrs = %any\n }\n}\n", 3, "connections.c.remote_addrs",
       "unsupported"},
      {"connections {\n c {\n  local_addrs = gw.example\n }\n}\n", 3, "connections.c.local_addrs",
       "not an IPv4/IPv6 address"},
      {"connections {\n c {\n  local_addrs = 192.0.2.1\n", 4, "connections.c", "not closed"},
      {"}\n", 1, "", "without an open section"},
      {"connections {\n c {\n  remote_addrs = \"192.0.2.2\n }\n}\n", 3,
       "connections.c.remote_addrs", "unterminated"},
      {"include /etc/swanctl/conf.d/*.conf\n", 1, "include", "unsupported"},
      {"connections {\n c : other {\n }\n}\n", 2, "connections.c", "references"},
      {"connections {\n c {\n  remote_addrs = 192.0.2.2\n local { auth = psk\n }\n remote { "
       "auth = psk\n }\n children { x {\n } }\n }\n}\n",
       2, "connections.c.local_addrs", "required"},
      {"connections {\n c {\n  local_addrs = 192.0.2.1\n  remote_addrs = 192.0.2.2\n local { "
       "auth = pubkey\n }\n }\n}\n",
       5, "connections.c.local.auth", "only psk"},
      {"secrets {\n rsa-1 {\n  file = k.pem\n }\n}\n", 2, "secrets.rsa-1", "unsupported"},
      {"secrets {\n ike-1 {\n  id = a\n }\n}\n", 2, "secrets.ike-1.secret", "required"},
      {"secrets {\n ike-1 {\n  secret = x\n  colour = red\n }\n}\n", 4, "secrets.ike-1.colour",
       "unknown key"},
  };
  for (const Case &c : cases) {
    BOOST_TEST_CONTEXT(c.text) {
      SwanctlError e = ParseError(c.text);
      BOOST_TEST(e.file() == "gw.conf");
      BOOST_TEST(e.line() == c.line);
      BOOST_TEST(e.key() == c.key);
      std::string what = e.what();
      BOOST_TEST(what.find("gw.conf:" + std::to_string(c.line) + ":") == 0u);
      BOOST_TEST(what.find(c.reasonPart) != std::string::npos, what);
    }
  }
}

BOOST_AUTO_TEST_CASE(secrets_never_appear_in_errors) {
  const std::string secret = "hunter2-very-secret";
  std::vector<std::string> texts = {
      "secrets {\n ike-1 {\n  secret = 0x" + secret + "\n }\n}\n",
      "secrets {\n ike-1 {\n  secret = 0s" + secret + "\n }\n}\n",
      "secrets {\n ike-1 {\n  secret = \"" + secret + "\n }\n}\n",
      "secrets {\n ike-1 {\n  secret = " + secret + "\n  secret = " + secret + "\n }\n}\n",
  };
  for (const std::string &text : texts) {
    SwanctlError e = ParseError(text);
    BOOST_TEST(std::string(e.what()).find("hunter2") == std::string::npos, e.what());
    BOOST_TEST(e.key().find("secrets.ike-1") == 0u);
  }
}
