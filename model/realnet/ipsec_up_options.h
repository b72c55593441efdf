// Command line of `tunnelsim-ipsec-up` (also reached as `tunnelsim ipsec-up`):
//   ipsec-up SWANCTL.CONF [--connection NAME] [--interface NAME] [--stats-file PATH]
//            [--key-dir DIR] [--verbose]
#pragma once

#include "tunnel/spec.h"

#include <optional>
#include <string>
#include <vector>

namespace tunnelsim::realnet {

struct IpsecUpOptions {
  std::string configPath;
  std::string connection;               // empty: the file's only connection
  std::string interfaceName = "ipsec0"; // as strongSwan's kernel-libipsec names it
  std::string statsFile;                // empty: no stats file
  // Wireshark key files (esp_sa, ikev2_decryption_table) are written here when set.
  std::string keyDir;
  // IKE retransmissions, as strongswan.conf's charon.retransmit_timeout / _base / _tries
  // (strongSwan's defaults: 4 s, 1.8, 5).
  double retransmitTimeout = 4.0;
  double retransmitBase = 1.8;
  unsigned retransmitTries = 5;
  // NAT keepalive interval while UDP-encapsulated (strongswan.conf's charon.keep_alive).
  double natKeepalive = 20.0;
  // --clamp-mss off|pmtu|N: TCP MSS clamping of SYNs in both directions through the TUN
  // (iptables -j TCPMSS, which swanctl.conf has no key for; "pmtu": the TUN's MTU less 40).
  // --pmtu-discovery: gateway.pmtuDiscovery (ipsec_pmtu.h).
  tunnel::GatewaySpec gateway;
  // Test hooks for the interop suite: the IKE datagrams (1-based, counting every datagram
  // sent, resp. received, keepalives excluded) to drop as if the network lost them.
  std::vector<unsigned> testDropIkeSent, testDropIkeReceived;
  bool verbose = false;
  bool help = false;
};

// Parses the arguments after the program name; a leading "ipsec-up" word is skipped. Empty
// with `error` set on bad usage.
std::optional<IpsecUpOptions> ParseIpsecUpOptions(const std::vector<std::string> &args,
                                                  std::string &error);

extern const char kIpsecUpUsage[];

} // namespace tunnelsim::realnet
