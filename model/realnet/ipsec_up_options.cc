#include "ipsec_up_options.h"

#include "wg_up_options.h"

#include <cstdlib>

namespace tunnelsim::realnet {

const char kIpsecUpUsage[] =
    "usage: tunnelsim-ipsec-up SWANCTL.CONF [--connection NAME] [--interface NAME]\n"
    "                          [--stats-file PATH] [--key-dir DIR] [--retransmit-timeout S]\n"
    "                          [--retransmit-base B] [--retransmit-tries N]\n"
    "                          [--nat-keepalive S] [--clamp-mss off|pmtu|N] [--pmtu-discovery] "
    "[--verbose]\n"
    "                          [--test-drop-ike-sent N,..] [--test-drop-ike-received N,..]\n"
    "       (also: tunnelsim ipsec-up ...)\n"
    "\n"
    "Runs one IPsec tunnel in user space with tunnelsim's IKEv2 and ESP cores, configured by a\n"
    "strongSwan swanctl.conf (the subset in docs/gre-ipsec.md): creates the TUN interface NAME,\n"
    "routes each remote_ts through it, listens on UDP 500 and 4500 (and raw ESP), initiates\n"
    "when the child's start_action is start and responds otherwise. Prints one JSON line per\n"
    "SA event on stdout; runs until SIGINT or SIGTERM.\n"
    "\n"
    "  -c, --connection NAME  the connection to run (default: the file's only one)\n"
    "  -i, --interface NAME   TUN interface name (default ipsec0, at most 15 characters)\n"
    "  -s, --stats-file PATH  write counters as JSON on exit and on SIGUSR1\n"
    "  -k, --key-dir DIR      write Wireshark esp_sa and ikev2_decryption_table files there\n"
    "      --retransmit-timeout S, --retransmit-base B, --retransmit-tries N\n"
    "                         IKE retransmission: first after S seconds, then B times longer,\n"
    "                         giving up after N (strongswan.conf's charon.retransmit_*;\n"
    "                         default 4, 1.8, 5)\n"
    "      --nat-keepalive S  NAT keepalive interval while UDP-encapsulated (default 20;\n"
    "                         strongswan.conf's charon.keep_alive)\n"
    "      --test-drop-ike-sent N,.., --test-drop-ike-received N,..\n"
    "                         test hooks: lose the Nth IKE datagram sent / received (from 1)\n"
    "      --clamp-mss VALUE  lower the MSS option of TCP SYNs through the TUN, both ways,\n"
    "                         as iptables -j TCPMSS: pmtu (the MTU less 40), a number\n"
    "                         (88-65535) or off (the default)\n"
    "      --pmtu-discovery   answer IPv4 packets with DF set that ESP would make larger than\n"
    "                         the underlay path to the peer with ICMP fragmentation needed\n"
    "                         (type 3 code 4) into the TUN, as a Linux IPsec gateway does\n"
    "  -v, --verbose          log every IKE message and dropped packet\n"
    "  -h, --help             show this help\n";

std::optional<IpsecUpOptions> ParseIpsecUpOptions(const std::vector<std::string> &args,
                                                  std::string &error) {
  IpsecUpOptions options;
  size_t i = 0;
  if (!args.empty() && args[0] == "ipsec-up") i = 1;
  bool haveConfig = false;
  for (; i < args.size(); ++i) {
    const std::string &a = args[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= args.size()) {
        error = a + " needs a value";
        return false;
      }
      out = args[++i];
      return true;
    };
    if (a == "-h" || a == "--help") {
      options.help = true;
    } else if (a == "-v" || a == "--verbose") {
      options.verbose = true;
    } else if (a == "--clamp-mss") {
      std::string text;
      if (!value(text)) return std::nullopt;
      if (!options.gateway.ParseClampMss(text)) {
        error = "--clamp-mss: expected off, pmtu or an MSS from 88 to 65535, got '" + text + "'";
        return std::nullopt;
      }
    } else if (a == "--pmtu-discovery") {
      options.gateway.pmtuDiscovery = true;
    } else if (a == "-c" || a == "--connection") {
      if (!value(options.connection)) return std::nullopt;
    } else if (a == "-i" || a == "--interface") {
      if (!value(options.interfaceName)) return std::nullopt;
      if (!IsValidInterfaceName(options.interfaceName)) {
        error = "invalid interface name '" + options.interfaceName + "'";
        return std::nullopt;
      }
    } else if (a == "-s" || a == "--stats-file") {
      if (!value(options.statsFile)) return std::nullopt;
    } else if (a == "-k" || a == "--key-dir") {
      if (!value(options.keyDir)) return std::nullopt;
    } else if (a == "--retransmit-timeout" || a == "--retransmit-base" ||
               a == "--retransmit-tries" || a == "--nat-keepalive") {
      std::string text;
      if (!value(text)) return std::nullopt;
      char *end = nullptr;
      const double number = std::strtod(text.c_str(), &end);
      const bool tries = a == "--retransmit-tries";
      if (text.empty() || *end != '\0' || !(number > 0) || number > 3600 ||
          (tries && number != static_cast<unsigned>(number)) ||
          (a == "--retransmit-base" && number < 1)) {
        error = a + " needs a positive number" + (tries ? " (an integer)" : "") +
                (a == "--retransmit-base" ? " of at least 1" : "") + ", not '" + text + "'";
        return std::nullopt;
      }
      if (a == "--nat-keepalive")
        options.natKeepalive = number;
      else if (tries)
        options.retransmitTries = static_cast<unsigned>(number);
      else if (a == "--retransmit-base")
        options.retransmitBase = number;
      else
        options.retransmitTimeout = number;
    } else if (a == "--test-drop-ike-sent" || a == "--test-drop-ike-received") {
      std::string text;
      if (!value(text)) return std::nullopt;
      std::vector<unsigned> &list =
          a == "--test-drop-ike-sent" ? options.testDropIkeSent : options.testDropIkeReceived;
      size_t start = 0;
      for (;;) {
        const size_t comma = text.find(',', start);
        const std::string item = text.substr(start, comma - start);
        char *end = nullptr;
        const unsigned long n = std::strtoul(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || n == 0 || n > 1000000) {
          error = a + " needs datagram numbers from 1 separated by commas, not '" + text + "'";
          return std::nullopt;
        }
        list.push_back(static_cast<unsigned>(n));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (!a.empty() && a[0] == '-') {
      error = "unknown option " + a;
      return std::nullopt;
    } else if (!haveConfig) {
      options.configPath = a;
      haveConfig = true;
    } else {
      error = "more than one configuration file given";
      return std::nullopt;
    }
  }
  if (!haveConfig && !options.help) {
    error = "no swanctl.conf file given";
    return std::nullopt;
  }
  return options;
}

} // namespace tunnelsim::realnet
