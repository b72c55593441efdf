// Command line of `tunnelsim-wg-up` (also reached as `tunnelsim wg-up` and `wg-up`):
//   wg-up CONFIG [--interface NAME] [--stats-file PATH] [--no-ip-config] [--clamp-mss VALUE]
//         [--verbose]
#pragma once

#include "tunnel/spec.h"

#include <optional>
#include <string>
#include <vector>

namespace tunnelsim::realnet {

struct WgUpOptions {
  std::string configPath;
  // Defaults to the config file's name without ".conf", as wg-quick names interfaces.
  std::string interfaceName;
  std::string statsFile; // empty: no stats file
  // Assign the config's Address= entries and route its peers' AllowedIPs to the interface.
  bool configureIp = true;
  // --clamp-mss off|pmtu|N: TCP MSS clamping of SYNs in both directions through the interface
  // (iptables -j TCPMSS; "pmtu" is the interface MTU less 40). Off by default.
  // --pmtu-discovery sets gateway.pmtuDiscovery (wg_pmtu.h).
  tunnel::GatewaySpec gateway;
  bool verbose = false;
  bool help = false;
};

// Parses the arguments after the program name; a leading "wg-up" word is skipped, so the
// project CLI can pass its own argv through. Empty with `error` set on bad usage.
std::optional<WgUpOptions> ParseWgUpOptions(const std::vector<std::string> &args,
                                            std::string &error);

// The interface name wg-quick would derive from a config path ("/etc/wg/wg0.conf" -> "wg0").
std::string InterfaceNameFromConfigPath(const std::string &path);

// Linux interface names: 1-15 characters, no '/', ':' or whitespace, not "." or "..".
bool IsValidInterfaceName(const std::string &name);

extern const char kWgUpUsage[];

} // namespace tunnelsim::realnet
