// What the relay of `tunnelsim emulate` can honour on this class of machine, measured with
// scripts/measure-emulate-limits (numbers and method in docs/tcp-fidelity.md, "Real-kernel
// reference: tunnelsim emulate"). Settings beyond them are refused rather than emulated badly.
#pragma once

#include <cstdint>

namespace tunnelsim::emulate {

// The fastest path the relay is allowed to emulate: the bottleneck (slowest link) of either
// direction. Unimpaired, with every link at 10 Gbit/s, one bulk download through the relay
// reached 114-246 Mbit/s depending on tunnel type and run (lowest single run 114, gre-over-
// ipsec; 2-core machine shared with builds; 2026-11, docs/tcp-fidelity.md). 100 Mbit/s (the
// default access downlink) stays below the lowest measured carry, so the scenario's
// bottleneck, not the relay, limits the flow.
constexpr uint64_t kMaxBottleneckRateBps = 100'000'000;

// The shortest impairment delay or jitter (netem delay and jitter, ACK delay, jitter and
// compression interval) accepted when non-zero: under a 100 Mbit/s bulk load the relay wrote
// packets late by p99 39-49 us, p99.9 81-142 us, max 0.5-0.7 ms against their model time
// (medians of 3 runs, SCHED_FIFO loop; the doc). A 1 ms floor keeps the p99.9 error below
// 15 % of the shortest delay accepted.
constexpr int64_t kMinImpairmentDelayNs = 1'000'000;

} // namespace tunnelsim::emulate
