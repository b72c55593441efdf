// What the engine measures about one flow of [traffic]: bytes delivered, TCP segments and
// retransmissions (seen at the sender's socket), congestion window, RTT samples (the TCP
// socket's RTT trace, or ping replies) and UDP packets sent. Bulk flows on the Linux-like
// stack also report its loss-detection and reordering counters (LinuxTcpMetrics).
#pragma once

#include "ns3/application.h"
#include "ns3/nstime.h"
#include "ns3/packet-sink.h"
#include "ns3/packet.h"
#include "ns3/sequence-number.h"
#include "ns3/tcp-header.h"
#include "ns3/tcp-socket-base.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tunnelsim::scenario {

class FlowProbe {
public:
  enum class Kind { kBulk, kPing, kUdp };

  FlowProbe(std::string id, Kind kind, std::string direction, ns3::Time start, ns3::Time stop);

  const std::string &Id() const { return id_; }
  Kind GetKind() const { return kind_; }
  std::string KindName() const;

  void SetSink(ns3::Ptr<ns3::PacketSink> sink) { sink_ = sink; }
  // Bulk flows: hooks the sender's socket traces once the application has created it.
  void AttachTcpSocket(ns3::Ptr<ns3::TcpSocketBase> socket);

  void OnTcpTx(ns3::Ptr<const ns3::Packet> packet, const ns3::TcpHeader &header,
               ns3::Ptr<const ns3::TcpSocketBase> socket);
  void OnCongestionWindow(uint32_t oldValue, uint32_t newValue);
  void OnSlowStartThreshold(uint32_t oldValue, uint32_t newValue);
  void OnTcpRtt(ns3::Time oldValue, ns3::Time newValue);
  void OnPingRtt(ns3::Time rtt);
  void OnUdpTx(ns3::Ptr<const ns3::Packet> packet);

  uint64_t BytesReceived() const { return sink_ ? sink_->GetTotalRx() : 0; }
  std::optional<uint32_t> CongestionWindow() const { return cwnd_; }
  // ssthresh in segments once slow start has ended (as the kernel's TCP_INFO reports it);
  // nullopt before, and for flows without a TCP sender.
  std::optional<uint32_t> SlowStartThresholdSegments() const;
  // Data segments sent again so far (the time series' running total); nullopt without TCP.
  std::optional<uint64_t> RetransmissionsSoFar() const {
    return sender_ ? std::optional<uint64_t>(retransmissions_) : std::nullopt;
  }
  // RTT samples (ms) since the last call, for the time series; the last known one if none.
  std::optional<double> TakeIntervalRttMs();

  nlohmann::json ResultsJson(ns3::Time runEnd) const;

private:
  std::string id_;
  Kind kind_;
  std::string direction_;
  ns3::Time start_;
  ns3::Time stop_;
  ns3::Ptr<ns3::PacketSink> sink_;
  ns3::Ptr<ns3::TcpSocketBase> sender_;

  uint64_t dataSegmentsSent_ = 0;
  uint64_t dataBytesSent_ = 0;
  uint64_t retransmissions_ = 0;
  uint64_t retransmittedBytes_ = 0;
  std::optional<ns3::SequenceNumber32> highestSent_; // end of the highest data sent so far
  std::optional<uint32_t> cwnd_;
  std::optional<uint32_t> ssthresh_; // bytes; set by the trace, which fires on changes only
  std::vector<double> rttMs_;
  size_t rttTakenUpTo_ = 0;
  uint64_t udpPacketsSent_ = 0;
  uint64_t udpBytesSent_ = 0;
};

} // namespace tunnelsim::scenario
