#include "stats.h"

#include "crypto/bytes.h"
#include "log.h"

#include <cstdio>
#include <fstream>

namespace tunnelsim::realnet {

namespace {

nlohmann::json DeviceCountersJson(const wireguard::DeviceCounters &c) {
  nlohmann::json drops = nlohmann::json::object();
  for (size_t i = 0; i < wireguard::kDropReasonCount; ++i)
    drops[wireguard::DropReasonName(static_cast<wireguard::DropReason>(i))] = c.drops[i];
  return {{"handshake_initiations_sent", c.handshakeInitiationsSent},
          {"handshake_initiations_received", c.handshakeInitiationsReceived},
          {"handshake_responses_sent", c.handshakeResponsesSent},
          {"handshake_responses_received", c.handshakeResponsesReceived},
          {"handshakes_completed", c.handshakesCompleted},
          {"sessions_confirmed", c.sessionsConfirmed},
          {"handshakes_failed", c.handshakesFailed},
          {"rekeys", c.rekeys},
          {"cookie_replies_sent", c.cookieRepliesSent},
          {"cookie_replies_received", c.cookieRepliesReceived},
          {"keepalives_sent", c.keepalivesSent},
          {"keepalives_received", c.keepalivesReceived},
          {"data_packets_sent", c.dataPacketsSent},
          {"data_bytes_sent", c.dataBytesSent},
          {"data_packets_received", c.dataPacketsReceived},
          {"data_bytes_received", c.dataBytesReceived},
          {"keys_zeroed", c.keysZeroed},
          {"drops_total", c.TotalDrops()},
          {"drops", drops}};
}

nlohmann::json PeerJson(const wireguard::Device &device, const wireguard::Peer &peer, Time now) {
  const wireguard::PeerCounters &c = peer.counters();
  nlohmann::json allowed = nlohmann::json::array();
  for (const IpPrefix &prefix : device.allowedIps().PrefixesOf(&peer))
    allowed.push_back(prefix.ToString());
  return {{"public_key", crypto::ToBase64(peer.publicKey())},
          {"endpoint", peer.endpoint() ? nlohmann::json(peer.endpoint()->ToString()) : nullptr},
          {"has_preshared_key", peer.hasPresharedKey()},
          {"allowed_ips", allowed},
          {"tx_packets", c.txPackets},
          {"tx_bytes", c.txBytes},
          {"rx_packets", c.rxPackets},
          {"rx_bytes", c.rxBytes},
          {"tx_datagram_bytes", c.txDatagramBytes},
          {"rx_datagram_bytes", c.rxDatagramBytes},
          {"keepalives_sent", c.keepalivesSent},
          {"keepalives_received", c.keepalivesReceived},
          {"handshake_initiations_sent", c.handshakeInitiationsSent},
          {"handshake_responses_sent", c.handshakeResponsesSent},
          {"handshakes_completed", c.handshakesCompleted},
          {"sessions_confirmed", c.sessionsConfirmed},
          {"last_handshake_seconds_ago",
           c.lastHandshake ? nlohmann::json(ToSeconds(now - *c.lastHandshake)) : nullptr},
          {"staged_packets", peer.stagedPacketCount()}};
}

} // namespace

nlohmann::json DriverJson(const DriverCounters &d) {
  return {{"tun_packets_read", d.tunPacketsRead},
          {"tun_bytes_read", d.tunBytesRead},
          {"tun_packets_written", d.tunPacketsWritten},
          {"tun_bytes_written", d.tunBytesWritten},
          {"tun_read_errors", d.tunReadErrors},
          {"tun_write_errors", d.tunWriteErrors},
          {"udp_datagrams_received", d.udpDatagramsReceived},
          {"udp_bytes_received", d.udpBytesReceived},
          {"udp_datagrams_sent", d.udpDatagramsSent},
          {"udp_bytes_sent", d.udpBytesSent},
          {"udp_receive_errors", d.udpReceiveErrors},
          {"udp_send_errors", d.udpSendErrors},
          {"udp_unknown_source_family", d.udpUnknownSourceFamily},
          {"timer_calls", d.timerCalls},
          {"loop_wakeups", d.loopWakeups}};
}

nlohmann::json StatsJson(const wireguard::Device &device, const DriverCounters &driver,
                         const StatsContext &context) {
  nlohmann::json peers = nlohmann::json::array();
  for (const wireguard::Peer *peer : device.Peers())
    peers.push_back(PeerJson(device, *peer, context.now));
  return {{"interface", context.interfaceName},
          {"public_key", crypto::ToBase64(device.publicKey())},
          {"listen_port", context.listenPort},
          {"uptime_seconds", ToSeconds(context.now - context.startedAt)},
          {"device", DeviceCountersJson(device.counters())},
          {"peers", peers},
          {"driver", DriverJson(driver)}};
}

nlohmann::json MssClampJson(const MssClamp &clamp) {
  const MssClampCounters &counters = clamp.counters();
  return {{"mss", clamp.limit()},
          {"syns_seen", counters.synsSeen},
          {"clamped_syns", counters.Clamped()},
          {"malformed", counters.malformed}};
}

bool WriteJsonFile(const std::string &path, const nlohmann::json &json, std::string &error) {
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << json.dump(2) << "\n";
    out.flush();
    if (!out) {
      error = "cannot write " + temporary;
      return false;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = ErrnoMessage("rename " + temporary + " to " + path);
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

} // namespace tunnelsim::realnet
