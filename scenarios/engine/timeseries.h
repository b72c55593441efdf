// Samples every flow each output.interval of simulated time into timeseries.csv rows:
// time_s, flow, kind, goodput_mbps (bytes delivered in the interval), cwnd_bytes, rtt_ms
// (mean of the RTT samples in the interval, else the last one). Empty cells where a value
// does not apply or is not known yet.
#pragma once

#include "flow_probe.h"

#include "ns3/nstime.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace tunnelsim::scenario {

class TimeseriesSampler {
public:
  TimeseriesSampler(const std::vector<std::unique_ptr<FlowProbe>> &probes, ns3::Time interval,
                    ns3::Time end);
  // Schedules the samples; call before Simulator::Run.
  void Start();
  std::string Csv() const { return csv_.str(); }

private:
  void Sample();

  const std::vector<std::unique_ptr<FlowProbe>> &probes_;
  ns3::Time interval_;
  ns3::Time end_;
  std::vector<uint64_t> lastBytes_;
  std::ostringstream csv_;
};

} // namespace tunnelsim::scenario
