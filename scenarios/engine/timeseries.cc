#include "timeseries.h"

#include "ns3/simulator.h"

#include <cstdio>

namespace tunnelsim::scenario {
namespace {

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

} // namespace

TimeseriesSampler::TimeseriesSampler(const std::vector<std::unique_ptr<FlowProbe>> &probes,
                                     ns3::Time interval, ns3::Time end)
    : probes_(probes), interval_(interval), end_(end), lastBytes_(probes.size(), 0) {
  // The last two columns have the names and meaning of `tunnelsim emulate`'s kernel columns
  // (TCP_INFO's snd_ssthresh in segments, empty before slow start ends; tcpi_total_retrans).
  csv_ << "time_s,flow,kind,goodput_mbps,cwnd_bytes,rtt_ms,ssthresh_segments,total_retrans\n";
}

void TimeseriesSampler::Start() {
  ns3::Simulator::Schedule(interval_, &TimeseriesSampler::Sample, this);
}

void TimeseriesSampler::Sample() {
  const ns3::Time now = ns3::Simulator::Now();
  for (size_t i = 0; i < probes_.size(); ++i) {
    FlowProbe &probe = *probes_[i];
    csv_ << Fixed(now.GetSeconds(), 6) << "," << probe.Id() << "," << probe.KindName() << ",";
    if (probe.GetKind() != FlowProbe::Kind::kPing) {
      const uint64_t bytes = probe.BytesReceived();
      csv_ << Fixed(double(bytes - lastBytes_[i]) * 8.0 / interval_.GetSeconds() / 1e6, 6);
      lastBytes_[i] = bytes;
    }
    csv_ << ",";
    if (auto cwnd = probe.CongestionWindow()) csv_ << *cwnd;
    csv_ << ",";
    if (auto rtt = probe.TakeIntervalRttMs()) csv_ << Fixed(*rtt, 6);
    csv_ << ",";
    if (auto ssthresh = probe.SlowStartThresholdSegments()) csv_ << *ssthresh;
    csv_ << ",";
    if (auto retransmissions = probe.RetransmissionsSoFar()) csv_ << *retransmissions;
    csv_ << "\n";
  }
  if (now + interval_ <= end_) {
    ns3::Simulator::Schedule(interval_, &TimeseriesSampler::Sample, this);
  }
}

} // namespace tunnelsim::scenario
