// From a parsed swanctl.conf connection to what the IPsec driver runs: the IKEv2 core's
// configuration, the routes to install and the role. No I/O; errors are returned as text.
#pragma once

#include "ipsec/ike_sa.h"
#include "ipsec/swanctl_config.h"

#include <optional>
#include <string>
#include <vector>

namespace tunnelsim::realnet {

struct IpsecSetup {
  std::string connection, child;
  ipsec::IkeConfig ike;
  std::vector<IpPrefix> routes; // remote_ts, routed through the TUN interface
  bool initiate = false;        // start_action = start
  Duration dpdDelay{0};
  ipsec::SwanctlDpdAction dpdAction = ipsec::SwanctlDpdAction::Clear;
  std::vector<std::string> notes; // what of the file is not acted on, for the log
};

// `connection` empty selects the file's only connection. Limits of the cores: one child, one
// local_ts and one remote_ts, one address each way; the first proposal of each list is used.
std::optional<IpsecSetup> BuildIpsecSetup(const ipsec::SwanctlConfig &config,
                                          const std::string &connection, std::string &error);

} // namespace tunnelsim::realnet
