#include "tunnel.h"

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

} // namespace tunnelsim::scenario
