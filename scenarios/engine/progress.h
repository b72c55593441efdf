// A one-line progress display for long runs (simulated time, wall time, ETA), redrawn on
// stderr about twice a second of wall time. Only used when stderr is a terminal.
#pragma once

#include "ns3/nstime.h"

#include <chrono>
#include <cstdio>

namespace tunnelsim::scenario {

class ProgressReporter {
public:
  ProgressReporter(ns3::Time end, std::FILE *out);
  // Schedules itself every 1% of the run; call before Simulator::Run.
  void Start();
  // Ends the line once the run is over.
  void Finish();

private:
  void Tick();

  ns3::Time end_;
  std::FILE *out_;
  std::chrono::steady_clock::time_point wallStart_;
  std::chrono::steady_clock::time_point lastDraw_;
  bool drawn_ = false;
};

} // namespace tunnelsim::scenario
