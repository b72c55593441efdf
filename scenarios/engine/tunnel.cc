#include "tunnel.h"

#include "ns3/simulator.h"

namespace tunnelsim::scenario {

nlohmann::json TunnelCounters::ToJson() const {
  nlohmann::json json = {{"handshakes", handshakes},
                         {"rekeys", rekeys},
                         {"replay_drops", replayDrops},
                         {"auth_failures", authFailures},
                         {"overhead_bytes", overheadBytes},
                         {"packets_encapsulated", packetsEncapsulated},
                         {"packets_decapsulated", packetsDecapsulated}};
  if (!extra.empty()) json["extra"] = extra;
  return json;
}

void TunnelEventLog::Record(const std::string &kind, const std::string &side) {
  events_.push_back({ns3::Simulator::Now().GetSeconds(), kind, side});
}

const std::vector<TunnelEvent> &Tunnel::Events() const {
  static const std::vector<TunnelEvent> none;
  return none;
}

} // namespace tunnelsim::scenario
