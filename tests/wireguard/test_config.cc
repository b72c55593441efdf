#include "wireguard/config.h"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

using namespace tunnelsim;
using namespace tunnelsim::wireguard;

namespace {
const std::string kPriv = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const std::string kPub1 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const std::string kPub2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";
const std::string kPsk = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=";

std::string Valid() {
  return "# a comment\n"
         "[Interface]\n"
         "PrivateKey = " +
         kPriv +
         "\n"
         "ListenPort = 51820\n"
         "MTU = 1380\n"
         "Address = 10.0.0.1/24, fd00::1/64\n"
         "DNS = 10.0.0.53\n"
         "Table = off\n"
         "PostUp = iptables -A FORWARD -i %i -j ACCEPT # host-side, ignored\n"
         "\n"
         "[Peer]\n"
         "PublicKey = " +
         kPub1 +
         "\n"
         "PresharedKey = " +
         kPsk +
         "\n"
         "AllowedIPs = 10.0.0.2/32, 192.168.0.0/16\n"
         "allowedips = fd00::2/128\n"
         "Endpoint = 192.0.2.2:51820\n"
         "PersistentKeepalive = 25\n"
         "[peer]\n"
         "PublicKey=" +
         kPub2 +
         "\n"
         "Endpoint = [2001:db8::2]:4500\n"
         "PersistentKeepalive = off\n";
}

// Parses `text` expecting a ConfigError at `line` naming `key`.
void ExpectError(const std::string &text, size_t line, const std::string &key) {
  try {
    ParseWgQuickConfig(text, "wg0.conf");
    BOOST_ERROR("no error for:\n" << text);
  } catch (const ConfigError &e) {
    BOOST_CHECK_EQUAL(e.line(), line);
    BOOST_CHECK_EQUAL(e.key(), key);
    BOOST_CHECK_EQUAL(e.file(), "wg0.conf");
    const std::string prefix = "wg0.conf:" + std::to_string(line) + ": " + key + ": ";
    BOOST_CHECK_MESSAGE(std::string(e.what()).rfind(prefix, 0) == 0, e.what());
  }
}

std::string Iface() { return "[Interface]\nPrivateKey = " + kPriv + "\n"; }
} // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(valid_file) {
  DeviceConfig c = ParseWgQuickConfig(Valid(), "wg0.conf");
  BOOST_CHECK_EQUAL(crypto::ToBase64(c.privateKey), kPriv);
  BOOST_CHECK_EQUAL(c.listenPort, 51820);
  BOOST_CHECK_EQUAL(c.mtu, 1380u);
  BOOST_REQUIRE_EQUAL(c.addresses.size(), 2u);
  BOOST_CHECK_EQUAL(c.addresses[0].address.ToString(), "10.0.0.1");
  BOOST_CHECK_EQUAL(c.addresses[0].length, 24u);
  BOOST_REQUIRE_EQUAL(c.dns.size(), 1u);
  BOOST_CHECK_EQUAL(c.ignoredKeys.size(), 2u);
  BOOST_REQUIRE_EQUAL(c.peers.size(), 2u);
  const PeerConfig &p = c.peers[0];
  BOOST_CHECK_EQUAL(crypto::ToBase64(p.publicKey), kPub1);
  BOOST_REQUIRE(p.presharedKey);
  BOOST_CHECK_EQUAL(crypto::ToBase64(*p.presharedKey), kPsk);
  BOOST_REQUIRE_EQUAL(p.allowedIps.size(), 3u);
  BOOST_CHECK_EQUAL(p.allowedIps[1].ToString(), "192.168.0.0/16");
  BOOST_CHECK_EQUAL(p.allowedIps[2].ToString(), "fd00::2/128");
  BOOST_REQUIRE(p.endpoint);
  BOOST_CHECK_EQUAL(p.endpoint->ToString(), "192.0.2.2:51820");
  BOOST_CHECK(p.persistentKeepalive == Seconds(25));
  const PeerConfig &q = c.peers[1];
  BOOST_CHECK(!q.presharedKey);
  BOOST_REQUIRE(q.endpoint);
  BOOST_CHECK_EQUAL(q.endpoint->address.ToString(), "2001:db8::2");
  BOOST_CHECK_EQUAL(q.endpoint->port, 4500);
  BOOST_CHECK(q.persistentKeepalive == Duration(0));
}

BOOST_AUTO_TEST_CASE(load_from_file) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "tunnelsim_wireguard_test.conf").string();
  {
    std::ofstream out(path);
    out << Valid();
  }
  BOOST_CHECK_EQUAL(LoadWgQuickConfig(path).peers.size(), 2u);
  std::filesystem::remove(path);
  ExpectError("", 0, "[Interface]");
  try {
    LoadWgQuickConfig("/nonexistent/wg0.conf");
    BOOST_ERROR("missing file accepted");
  } catch (const ConfigError &e) {
    BOOST_CHECK_EQUAL(e.line(), 0u);
  }
}

BOOST_AUTO_TEST_CASE(every_error_names_line_and_key) {
  ExpectError("PrivateKey = " + kPriv + "\n", 1, "PrivateKey");    // outside a section
  ExpectError("[Interface\n", 1, "[Interface");                    // unterminated
  ExpectError("[Wat]\n", 1, "[Wat]");                              // unknown section
  ExpectError(Iface() + "[Interface]\n", 3, "[Interface]");        // duplicate
  ExpectError("[Interface]\nListenPort = 1\n", 1, "PrivateKey");   // missing private key
  ExpectError("[Interface]\nPrivateKey = abc\n", 2, "PrivateKey"); // bad key
  ExpectError("[Interface]\nPrivateKey = " + kPriv.substr(0, 40) + "!!!=\n", 2, "PrivateKey");
  ExpectError("[Interface]\nPrivateKey = " + kPriv.substr(0, 40) + "=\n", 2, "PrivateKey");
  ExpectError(Iface() + "ListenPort = 65536\n", 3, "ListenPort");
  ExpectError(Iface() + "ListenPort = port\n", 3, "ListenPort");
  ExpectError(Iface() + "MTU = 100\n", 3, "MTU");
  ExpectError(Iface() + "FwMark = nope\n", 3, "FwMark");
  ExpectError(Iface() + "Address = 10.0.0.300/24\n", 3, "Address");
  ExpectError(Iface() + "Address = 10.0.0.1/33\n", 3, "Address");
  ExpectError(Iface() + "Bogus = 1\n", 3, "Bogus");
  ExpectError(Iface() + "just words\n", 3, "just words");
  ExpectError(Iface() + "[Peer]\nAllowedIPs = 10.0.0.0/8\n", 3, "PublicKey"); // no public key
  ExpectError(Iface() + "[Peer]\nPublicKey = nope\n", 4, "PublicKey");
  ExpectError(Iface() + "[Peer]\nPublicKey = " + kPub1 + "\nPresharedKey = x\n", 5, "PresharedKey");
  ExpectError(Iface() + "[Peer]\nPublicKey = " + kPub1 + "\nAllowedIPs = 10.0.0.0/40\n", 5,
              "AllowedIPs");
  ExpectError(Iface() + "[Peer]\nPublicKey = " + kPub1 + "\nEndpoint = vpn.example.com:51820\n", 5,
              "Endpoint");
  ExpectError(Iface() + "[Peer]\nPublicKey = " + kPub1 + "\nEndpoint = 192.0.2.1\n", 5, "Endpoint");
  ExpectError(Iface() + "[Peer]\nPublicKey = " + kPub1 + "\nEndpoint = 2001:db8::1:51820\n", 5,
              "Endpoint");
  ExpectError(Iface() + "[Peer]\nPublicKey = " + kPub1 + "\nEndpoint = [2001:db8::1]:99999\n", 5,
              "Endpoint");
  ExpectError(Iface() + "[Peer]\nPublicKey = " + kPub1 + "\nPersistentKeepalive = 70000\n", 5,
              "PersistentKeepalive");
  ExpectError(Iface() + "[Peer]\nPublicKey = " + kPub1 + "\nPersistentKeepalive = -1\n", 5,
              "PersistentKeepalive");
  ExpectError(Iface() + "[Peer]\nPublicKey = " + kPub1 + "\nColour = blue\n", 5, "Colour");
  ExpectError(Iface() + "[Peer]\nPublicKey = " + kPub1 + "\n[Peer]\nPublicKey = " + kPub1 + "\n", 5,
              "PublicKey"); // duplicate peer
  ExpectError(Iface() + " = value\n", 3, "(empty)");
}

BOOST_AUTO_TEST_SUITE_END()
