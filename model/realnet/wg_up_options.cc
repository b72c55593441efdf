#include "wg_up_options.h"

namespace tunnelsim::realnet {

const char kWgUpUsage[] =
    "usage: tunnelsim-wg-up CONFIG [--interface NAME] [--stats-file PATH] [--no-ip-config]\n"
    "                       [--clamp-mss off|pmtu|N] [--pmtu-discovery] [--verbose]\n"
    "       (also: tunnelsim wg-up ..., wg-up ...)\n"
    "\n"
    "Runs a WireGuard interface in user space: creates the TUN interface NAME (default: the\n"
    "config file name without .conf), listens on the config's ListenPort and runs until\n"
    "SIGINT or SIGTERM. CONFIG is a wg-quick style file ([Interface] PrivateKey, ListenPort,\n"
    "MTU, FwMark, Address; [Peer] PublicKey, PresharedKey, AllowedIPs, Endpoint,\n"
    "PersistentKeepalive).\n"
    "\n"
    "  -i, --interface NAME   interface name (at most 15 characters)\n"
    "  -s, --stats-file PATH  write counters as JSON on exit and on SIGUSR1\n"
    "      --no-ip-config     do not assign Address= nor add routes for AllowedIPs\n"
    "      --clamp-mss VALUE  lower the MSS option of TCP SYNs through the interface, both\n"
    "                         ways, as iptables -j TCPMSS: pmtu (the MTU less 40), a number\n"
    "                         (88-65535) or off (the default)\n"
    "      --pmtu-discovery   answer IPv4 packets with DF set that WireGuard would make larger\n"
    "                         than the underlay path to their peer with ICMP fragmentation\n"
    "                         needed (type 3 code 4) into the interface\n"
    "  -v, --verbose          also log every handshake message and dropped packet\n"
    "  -h, --help             show this help\n";

std::string InterfaceNameFromConfigPath(const std::string &path) {
  auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string suffix = ".conf";
  if (base.size() > suffix.size() &&
      base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0)
    base.resize(base.size() - suffix.size());
  return base;
}

bool IsValidInterfaceName(const std::string &name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name)
    if (c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\0') return false;
  return true;
}

std::optional<WgUpOptions> ParseWgUpOptions(const std::vector<std::string> &args,
                                            std::string &error) {
  WgUpOptions options;
  size_t i = 0;
  if (!args.empty() && args[0] == "wg-up") i = 1;
  auto valueOf = [&](const std::string &flag) -> std::optional<std::string> {
    if (i + 1 >= args.size()) {
      error = flag + " needs a value";
      return std::nullopt;
    }
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg == "-h" || arg == "--help") {
      options.help = true;
      return options;
    } else if (arg == "-i" || arg == "--interface") {
      auto value = valueOf(arg);
      if (!value) return std::nullopt;
      options.interfaceName = *value;
    } else if (arg.rfind("--interface=", 0) == 0) {
      options.interfaceName = arg.substr(12);
    } else if (arg == "-s" || arg == "--stats-file") {
      auto value = valueOf(arg);
      if (!value) return std::nullopt;
      options.statsFile = *value;
    } else if (arg.rfind("--stats-file=", 0) == 0) {
      options.statsFile = arg.substr(13);
    } else if (arg == "--clamp-mss" || arg.rfind("--clamp-mss=", 0) == 0) {
      std::optional<std::string> value;
      if (arg == "--clamp-mss")
        value = valueOf(arg);
      else
        value = arg.substr(12);
      if (!value) return std::nullopt;
      if (!options.gateway.ParseClampMss(*value)) {
        error = "--clamp-mss: expected off, pmtu or an MSS from 88 to 65535, got '" + *value + "'";
        return std::nullopt;
      }
    } else if (arg == "--pmtu-discovery") {
      options.gateway.pmtuDiscovery = true;
    } else if (arg == "--no-ip-config") {
      options.configureIp = false;
    } else if (arg == "-v" || arg == "--verbose") {
      options.verbose = true;
    } else if (!arg.empty() && arg[0] == '-') {
      error = "unknown option " + arg;
      return std::nullopt;
    } else if (options.configPath.empty()) {
      options.configPath = arg;
    } else {
      error = "unexpected argument " + arg + " (only one CONFIG)";
      return std::nullopt;
    }
  }
  if (options.configPath.empty()) {
    error = "missing CONFIG";
    return std::nullopt;
  }
  if (options.interfaceName.empty())
    options.interfaceName = InterfaceNameFromConfigPath(options.configPath);
  if (!IsValidInterfaceName(options.interfaceName)) {
    error = "invalid interface name '" + options.interfaceName +
            "' (1-15 characters, no '/', ':' or spaces); choose one with --interface";
    return std::nullopt;
  }
  return options;
}

} // namespace tunnelsim::realnet
