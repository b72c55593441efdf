// Applies [tcp]: ns-3 attribute defaults (before any socket exists) for both stacks, and the
// options of the Linux-like variant (model/tcp) when tcp.stack = "linux".
#pragma once

#include "ns3/tcp/linux_tcp_helper.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace tunnelsim::scenario {

void ApplyTcpDefaults(const nlohmann::json &tcp);

// The Linux-like variant's options, or nullopt for tcp.stack = "ns3" (stock TcpSocketBase).
// pathBdpBytes sizes the autotuning maxima the scenario leaves absent.
std::optional<LinuxTcpOptions> LinuxTcpOptionsFor(const nlohmann::json &tcp,
                                                  uint64_t pathBdpBytes = 0);

// The bandwidth-delay product of the resolved scenario's path, bytes: PathRateBps times
// PathRoundTripNs.
uint64_t PathBdpBytes(const nlohmann::json &resolved);
// The fastest access direction capped by the LAN and WAN rates, bit/s.
uint64_t PathRateBps(const nlohmann::json &resolved);
// The round trip of the links' propagation delays plus every impairment's delay, jitter and
// ACK delay keys (netem strings not parsed), nanoseconds.
int64_t PathRoundTripNs(const nlohmann::json &resolved);

} // namespace tunnelsim::scenario
