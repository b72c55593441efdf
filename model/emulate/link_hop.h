// One direction of one point-to-point link of the scenario's path, as ns-3 models it: the
// link's impairments (an ImpairmentStage, when configured), then the device's transmit queue
// (FIFO), serialisation at the link's rate and the propagation delay. Sans-IO: packets go in
// with their arrival time, come out with the time they reach the far end.
//
// Queueing follows the ns-3 set-up of the scenario engine: with impairments the queue disc
// holds released packets while the device queue is full (flow control), so nothing is dropped
// there and the FIFO is unbounded; without them the device queue drops at `queuePackets`
// (ns-3 puts FqCoDel in front of that device queue; the relay does not model CoDel, see
// docs/tcp-fidelity.md).
#pragma once

#include "emulate/impairment_stage.h"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace tunnelsim::emulate {

// Framing added on the wire of a point-to-point link (ns-3's PPP header).
constexpr size_t kPppHeaderBytes = 2;

struct LinkHopSettings {
  std::string name;               // "access.down", for reports
  uint64_t rateBitsPerSecond = 0; // 0: no serialisation time
  Duration delay{0};
  uint32_t queuePackets = 1000;
  std::optional<impairment::NetemSettings> netem;
  std::optional<impairment::AckImpairmentSettings> ack;
};

struct LinkHopCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t queueDrops = 0; // device queue full (unimpaired hops only)
  uint64_t maxQueued = 0;  // packets waiting for the transmitter, at most
};

class LinkHop {
public:
  explicit LinkHop(const LinkHopSettings &settings);

  void Submit(Bytes packet, Time now);
  // The earliest time something happens inside the hop (a release or an arrival), kNever.
  Time NextEvent() const;
  // Carries out everything due at or before `now`; appends the packets that reached the far
  // end, each with its arrival time.
  void Advance(Time now, std::vector<Released> &arrived);

  const LinkHopSettings &Settings() const { return settings_; }
  const LinkHopCounters &Counters() const { return counters_; }
  const ImpairmentStage *Stage() const { return stage_ ? &*stage_ : nullptr; }

private:
  void Transmit(Bytes packet, Time at);
  Duration SerialisationTime(size_t size) const;

  LinkHopSettings settings_;
  std::optional<ImpairmentStage> stage_;
  Time busyUntil_{0};
  std::deque<Time> waitingStarts_; // transmit start times still in the future
  std::deque<Released> inFlight_;  // by arrival time (FIFO with a constant delay)
  std::vector<Released> scratch_;
  LinkHopCounters counters_;
};

} // namespace tunnelsim::emulate
