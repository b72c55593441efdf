#include "tcp_config.h"

#include "units.h"

#include "ns3/tcp/linux_cubic.h"

#include "ns3/boolean.h"
#include "ns3/config.h"
#include "ns3/nstime.h"
#include "ns3/string.h"
#include "ns3/uinteger.h"

#include <algorithm>
#include <cstdint>

namespace tunnelsim::scenario {
namespace {

bool IsLinuxStack(const nlohmann::json &tcp) { return tcp.at("stack") == "linux"; }

ns3::Time DurationOf(const nlohmann::json &tcp, const char *key) {
  return ns3::NanoSeconds(*ParseDurationNs(tcp.at(key).get<std::string>()));
}

// Linux arms its delayed-ACK timer at TCP_ATO_MIN (40 ms); ns-3's default is 200 ms.
ns3::Time DelayedAckTimeout(const nlohmann::json &tcp) {
  if (tcp.contains("delayed_ack_timeout")) return DurationOf(tcp, "delayed_ack_timeout");
  return IsLinuxStack(tcp) ? ns3::MilliSeconds(40) : ns3::MilliSeconds(200);
}

// Linux 6.1's defaults as payload bytes: tcp_rmem[2] = 6 MiB of memory offers a 3 MiB window
// (tcp_adv_win_scale = 1); tcp_wmem[2] = 4 MiB.
constexpr uint64_t kLinuxReceiveWindowMax = 3 << 20;
constexpr uint64_t kLinuxSendBufferMax = 4 << 20;
constexpr uint64_t kLargestBuffer = 1 << 30; // the window scale option's limit

uint32_t AutotuningMax(const nlohmann::json &tcp, const char *key, uint64_t linuxDefault,
                       uint64_t pathBdpBytes) {
  if (tcp.contains(key) && !tcp.at(key).is_null()) return tcp.at(key).get<uint32_t>();
  return static_cast<uint32_t>(std::min(kLargestBuffer, std::max(linuxDefault, 2 * pathBdpBytes)));
}

} // namespace

std::optional<LinuxTcpOptions> LinuxTcpOptionsFor(const nlohmann::json &tcp,
                                                  uint64_t pathBdpBytes) {
  if (!IsLinuxStack(tcp)) return std::nullopt;
  LinuxTcpOptions options;
  options.lossDetection = ParseLossDetection(tcp.at("loss_detection").get<std::string>());
  options.tlp = tcp.at("tlp").get<bool>();
  options.dsack = tcp.at("dsack").get<bool>();
  options.undo = tcp.at("undo").get<bool>();
  options.quickAckSegments = tcp.at("quick_ack_segments").get<uint32_t>();
  options.delAckMaxCount = tcp.at("delayed_ack_count").get<uint32_t>();
  options.delAckTimeout = DelayedAckTimeout(tcp);
  options.maxAckDelay = DurationOf(tcp, "max_ack_delay");
  options.linuxTsRecent = tcp.at("linux_ts_recent").get<bool>();
  options.cwndLimitedGrowth = tcp.at("cwnd_limited_growth").get<bool>();
  if (tcp.at("autotune_buffers").get<bool>()) {
    options.receiveBufferMax =
        AutotuningMax(tcp, "receive_buffer_max", kLinuxReceiveWindowMax, pathBdpBytes);
    options.sendBufferMax =
        AutotuningMax(tcp, "send_buffer_max", kLinuxSendBufferMax, pathBdpBytes);
  }
  return options;
}

void ApplyTcpDefaults(const nlohmann::json &tcp) {
  const std::string congestion = tcp.at("congestion");
  const std::string socketType = congestion == "newreno" ? "ns3::TcpNewReno"
                                 : congestion == "bbr"   ? "ns3::TcpBbr"
                                                         : "ns3::TcpCubic";
  if (congestion == "cubic-linux")
    ns3::Config::SetDefault("ns3::TcpL4Protocol::SocketType",
                            ns3::TypeIdValue(LinuxCubic::GetTypeId()));
  else
    ns3::Config::SetDefault("ns3::TcpL4Protocol::SocketType", ns3::StringValue(socketType));
  // BBR paces by design; the others send at line rate as ns-3's defaults do.
  ns3::Config::SetDefault("ns3::TcpSocketState::EnablePacing",
                          ns3::BooleanValue(congestion == "bbr"));
  ns3::Config::SetDefault("ns3::TcpSocketBase::Sack", ns3::BooleanValue(tcp.at("sack")));
  ns3::Config::SetDefault("ns3::TcpSocketBase::Timestamp", ns3::BooleanValue(tcp.at("timestamps")));
  ns3::Config::SetDefault(
      "ns3::TcpSocketBase::MinRto",
      ns3::TimeValue(ns3::NanoSeconds(*ParseDurationNs(tcp.at("min_rto").get<std::string>()))));
  ns3::Config::SetDefault("ns3::TcpSocket::DelAckCount",
                          ns3::UintegerValue(tcp.at("delayed_ack_count").get<uint32_t>()));
  ns3::Config::SetDefault("ns3::TcpSocket::DelAckTimeout", ns3::TimeValue(DelayedAckTimeout(tcp)));
  ns3::Config::SetDefault("ns3::TcpSocket::SndBufSize",
                          ns3::UintegerValue(tcp.at("send_buffer").get<uint32_t>()));
  ns3::Config::SetDefault("ns3::TcpSocket::RcvBufSize",
                          ns3::UintegerValue(tcp.at("receive_buffer").get<uint32_t>()));
  ns3::Config::SetDefault("ns3::TcpSocket::SegmentSize",
                          ns3::UintegerValue(tcp.at("segment_size").get<uint32_t>()));
  ns3::Config::SetDefault("ns3::TcpSocket::InitialCwnd",
                          ns3::UintegerValue(tcp.at("initial_cwnd").get<uint32_t>()));
}

} // namespace tunnelsim::scenario
