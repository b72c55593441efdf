#include "flow_probe.h"

#include "percentiles.h"

#include "ns3/callback.h"

#include <algorithm>

namespace tunnelsim::scenario {

FlowProbe::FlowProbe(std::string id, Kind kind, std::string direction, ns3::Time start,
                     ns3::Time stop)
    : id_(std::move(id)), kind_(kind), direction_(std::move(direction)), start_(start),
      stop_(stop) {}

std::string FlowProbe::KindName() const {
  switch (kind_) {
  case Kind::kBulk:
    return "bulk";
  case Kind::kPing:
    return "ping";
  case Kind::kUdp:
    return "udp";
  }
  return "?";
}

void FlowProbe::AttachTcpSocket(ns3::Ptr<ns3::TcpSocketBase> socket) {
  socket->TraceConnectWithoutContext("Tx", ns3::MakeCallback(&FlowProbe::OnTcpTx, this));
  socket->TraceConnectWithoutContext("CongestionWindow",
                                     ns3::MakeCallback(&FlowProbe::OnCongestionWindow, this));
  socket->TraceConnectWithoutContext("RTT", ns3::MakeCallback(&FlowProbe::OnTcpRtt, this));
}

void FlowProbe::OnTcpTx(ns3::Ptr<const ns3::Packet> packet, const ns3::TcpHeader &header,
                        ns3::Ptr<const ns3::TcpSocketBase>) {
  const uint32_t size = packet->GetSize();
  if (size == 0) return;
  ++dataSegmentsSent_;
  dataBytesSent_ += size;
  const ns3::SequenceNumber32 begin = header.GetSequenceNumber();
  const ns3::SequenceNumber32 end = begin + size;
  // A segment that starts below the highest byte already sent carries bytes sent before.
  if (highestSent_ && begin < *highestSent_) {
    ++retransmissions_;
    retransmittedBytes_ += size;
  }
  if (!highestSent_ || end > *highestSent_) highestSent_ = end;
}

void FlowProbe::OnCongestionWindow(uint32_t, uint32_t newValue) { cwnd_ = newValue; }

void FlowProbe::OnTcpRtt(ns3::Time, ns3::Time newValue) {
  if (newValue.IsStrictlyPositive()) rttMs_.push_back(newValue.GetNanoSeconds() / 1e6);
}

void FlowProbe::OnPingRtt(ns3::Time rtt) { rttMs_.push_back(rtt.GetNanoSeconds() / 1e6); }

void FlowProbe::OnUdpTx(ns3::Ptr<const ns3::Packet> packet) {
  ++udpPacketsSent_;
  udpBytesSent_ += packet->GetSize();
}

std::optional<double> FlowProbe::TakeIntervalRttMs() {
  if (rttMs_.empty()) return std::nullopt;
  if (rttTakenUpTo_ == rttMs_.size()) return rttMs_.back();
  double sum = 0;
  for (size_t i = rttTakenUpTo_; i < rttMs_.size(); ++i)
    sum += rttMs_[i];
  const double mean = sum / static_cast<double>(rttMs_.size() - rttTakenUpTo_);
  rttTakenUpTo_ = rttMs_.size();
  return mean;
}

nlohmann::json FlowProbe::ResultsJson(ns3::Time runEnd) const {
  const ns3::Time end = std::min(stop_, runEnd);
  const double activeSeconds = (end - start_).GetSeconds();
  nlohmann::json json = {{"id", id_},
                         {"kind", KindName()},
                         {"direction", direction_},
                         {"start_s", start_.GetSeconds()},
                         {"end_s", end.GetSeconds()}};
  const uint64_t received = BytesReceived();
  if (kind_ != Kind::kPing) {
    json["bytes_received"] = received;
    json["goodput_mbps"] = activeSeconds > 0 ? double(received) * 8.0 / activeSeconds / 1e6 : 0.0;
  }
  if (kind_ == Kind::kBulk) {
    json["data_segments_sent"] = dataSegmentsSent_;
    json["data_bytes_sent"] = dataBytesSent_;
    json["retransmissions"] = retransmissions_;
    json["retransmitted_bytes"] = retransmittedBytes_;
  }
  if (kind_ == Kind::kUdp) {
    json["packets_sent"] = udpPacketsSent_;
    json["bytes_sent"] = udpBytesSent_;
  }
  if (kind_ == Kind::kPing) json["replies"] = rttMs_.size();
  if (kind_ != Kind::kUdp) json["rtt_ms"] = SummariseSamples(rttMs_);
  return json;
}

} // namespace tunnelsim::scenario
