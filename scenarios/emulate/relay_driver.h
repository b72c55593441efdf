// Runs the relay in real time: an epoll loop reads inner packets from the two hosts' TUN
// devices, feeds them to the Relay at CLOCK_MONOTONIC time, and writes what falls due back to
// the TUNs when the timerfd fires, recording how late each write is against its model time.
// SIGINT/SIGTERM end the loop (the caller then cleans up).
#pragma once

#include "emulate/relay.h"

#include "realnet/tun_device.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace tunnelsim::emulate {

struct RelayDriverStats {
  uint64_t wakeups = 0;
  uint64_t timerExpiries = 0;
  uint64_t tunReads = 0;
  uint64_t tunWrites = 0;
  uint64_t tunWriteErrors = 0;
  std::vector<int64_t> latenessNs; // per packet written: real write time - model due time
  double cpuSeconds = 0;           // the relay thread's user + system time
  int signal = 0;                  // the signal that ended the loop, 0 when it ran to the end
  bool realtimePriority = false;   // the loop ran with SCHED_FIFO
};

// Runs until `end` (absolute CLOCK_MONOTONIC) or a signal. Throws std::runtime_error on an
// event loop failure.
RelayDriverStats RunRelay(Relay &relay, realnet::TunDevice &home, realnet::TunDevice &work,
                          Time end);

// {"p50_us", "p90_us", "p99_us", "p999_us", "max_us", "samples"} of the lateness.
nlohmann::json LatenessJson(std::vector<int64_t> latenessNs);

} // namespace tunnelsim::emulate
