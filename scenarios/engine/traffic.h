// Installs the [traffic] flows (bulk TCP, ping, constant-bit-rate UDP) on the two hosts and a
// FlowProbe for each. "download" flows are sent by the work host, "upload" by the home host.
// Bulk flows use the TCP socket factory `tcpFactory` (ns-3's, or the Linux-like variant's).
#pragma once

#include "flow_probe.h"
#include "topology.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <vector>

namespace tunnelsim::scenario {

std::vector<std::unique_ptr<FlowProbe>> InstallTraffic(const nlohmann::json &traffic,
                                                       const Topology &topology, ns3::Time runEnd,
                                                       ns3::TypeId tcpFactory);

} // namespace tunnelsim::scenario
