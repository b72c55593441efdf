// Applies [tcp]: ns-3 attribute defaults (before any socket exists) for both stacks, and the
// options of the Linux-like variant (model/tcp) when tcp.stack = "linux".
#pragma once

#include "tcp/linux_tcp_helper.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace tunnelsim::scenario {

void ApplyTcpDefaults(const nlohmann::json &tcp);

// The Linux-like variant's options, or nullopt for tcp.stack = "ns3" (stock TcpSocketBase).
std::optional<LinuxTcpOptions> LinuxTcpOptionsFor(const nlohmann::json &tcp);

} // namespace tunnelsim::scenario
