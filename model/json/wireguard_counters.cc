#include "json/wireguard_counters.h"

namespace tunnelsim::wireguard {

nlohmann::json CountersJson(const DeviceCounters &c) {
  nlohmann::json drops = nlohmann::json::object();
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    if (c.drops[i] > 0) drops[DropReasonName(static_cast<DropReason>(i))] = c.drops[i];
  }
  return {{"handshake_initiations_sent", c.handshakeInitiationsSent},
          {"handshake_initiations_received", c.handshakeInitiationsReceived},
          {"handshake_responses_sent", c.handshakeResponsesSent},
          {"handshake_responses_received", c.handshakeResponsesReceived},
          {"handshakes_completed", c.handshakesCompleted},
          {"handshakes_failed", c.handshakesFailed},
          {"rekeys", c.rekeys},
          {"cookie_replies_sent", c.cookieRepliesSent},
          {"cookie_replies_received", c.cookieRepliesReceived},
          {"keepalives_sent", c.keepalivesSent},
          {"data_packets_sent", c.dataPacketsSent},
          {"data_bytes_sent", c.dataBytesSent},
          {"data_packets_received", c.dataPacketsReceived},
          {"data_bytes_received", c.dataBytesReceived},
          {"drops", drops}};
}

} // namespace tunnelsim::wireguard
