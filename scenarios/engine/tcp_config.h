// Applies [tcp]: ns-3 attribute defaults (before any socket exists) for both stacks, and the
// options of the Linux-like variant (model/tcp) when tcp.stack = "linux".
#pragma once

#include "ns3/tcp/linux_tcp_helper.h"
#include "path_bdp.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace tunnelsim::scenario {

void ApplyTcpDefaults(const nlohmann::json &tcp);

// The Linux-like variant's options, or nullopt for tcp.stack = "ns3" (stock TcpSocketBase).
// pathBdpBytes sizes the autotuning maxima the scenario leaves absent.
std::optional<LinuxTcpOptions> LinuxTcpOptionsFor(const nlohmann::json &tcp,
                                                  uint64_t pathBdpBytes = 0);

} // namespace tunnelsim::scenario
