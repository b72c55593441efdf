// What the relay of `tunnelsim emulate` can honour on this class of machine, measured with
// scripts/measure-emulate-limits (numbers and method in docs/tcp-fidelity.md, "Real-kernel
// reference: tunnelsim emulate"). Settings beyond them are refused rather than emulated badly.
#pragma once

#include <cstdint>

namespace tunnelsim::emulate {

// The fastest path the relay is allowed to emulate: the bottleneck (slowest link) of either
// direction. What sets it is the timing, no longer the carry. Unimpaired, every link at
// 10 Gbit/s, one bulk download carries 1.08-1.20 Gbit/s (none), 0.87-0.93 (wireguard) and
// 0.98-1.05 (gre-over-ipsec) since the hosts' TUN rings no longer drop slow-start bursts
// (emulate_runner.cc; 114-246 Mbit/s before). But the relay then writes packets late: p99
// lateness through a 10 ms netem delay is 43-70 us at 100 Mbit/s, 85-123 us at 200 Mbit/s
// and 182-259 us at 300 Mbit/s (p99.9 0.2-0.8 ms from 200 Mbit/s on); 2-core machine shared
// with builds, 3 runs each, 2026-12, docs/tcp-fidelity.md. 100 Mbit/s is the fastest rate
// measured with p99 under 100 us in every run.
constexpr uint64_t kMaxBottleneckRateBps = 100'000'000;

// The shortest impairment delay or jitter (netem delay and jitter, ACK delay, jitter and
// compression interval) accepted when non-zero: under a 100 Mbit/s bulk load the relay wrote
// packets late by p99 43-70 us, p99.9 78-436 us (best runs of 3 per tunnel; the p99.9 rises
// when other builds share the cores; 2026-11: 81-142 us). A 1 ms floor keeps the p99 error
// under 10 % of the shortest delay accepted (the p99.9 error under 45 %).
constexpr int64_t kMinImpairmentDelayNs = 1'000'000;

} // namespace tunnelsim::emulate
