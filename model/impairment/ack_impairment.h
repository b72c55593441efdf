// The ACK-delaying impairment for a return path, as a sans-IO core: ACK-like packets (see
// ack_classifier.h) are thinned (k of every n dropped), delayed by a fixed plus uniformly
// random time, and/or compressed (held and released together at the end of each interval);
// every other packet passes at once.
#pragma once

#include "impairment/ack_classifier.h"
#include "impairment/decision.h"
#include "impairment/prng.h"

#include <cstdint>
#include <string>

namespace tunnelsim::impairment {

struct AckImpairmentSettings {
  uint64_t seed = 1;
  AckClassifierSettings classifier;

  Duration delay{0};       // every ACK waits this long...
  Duration delayJitter{0}; // ...plus a uniform draw in [0, delayJitter)
  // ACKs leave in the order they came even when their random delays would swap them.
  bool keepOrder = true;

  // Thinning: of every thinEvery ACKs, the first thinDrop are dropped (the last ones, which
  // carry the newest cumulative acknowledgment, go through). 0 = off.
  uint32_t thinDrop = 0;
  uint32_t thinEvery = 0;

  // Compression: ACKs are held until the next multiple of this interval (on the caller's
  // clock) and leave together then. 0 = off.
  Duration compressInterval{0};

  std::string Validate() const;
};

struct AckImpairmentCounters {
  uint64_t packets = 0;
  uint64_t acks = 0;    // classified as ACK-like
  uint64_t thinned = 0; // dropped by thinning
  uint64_t delayed = 0; // ACKs that left later than they came
  int64_t totalDelayNs = 0;
  uint64_t compressed = 0; // ACKs held for a compression burst
};

class AckImpairmentCore {
public:
  // Throws std::invalid_argument when settings.Validate() reports a problem.
  explicit AckImpairmentCore(const AckImpairmentSettings &settings);

  // One copy per packet; calls in non-decreasing `now`.
  Decision Process(const PacketRef &packet, Time now);

  const AckImpairmentCounters &Counters() const { return counters_; }

private:
  AckImpairmentSettings settings_;
  Prng prng_;
  uint64_t ackIndex_ = 0;
  int64_t nextOrder_ = 1;
  uint64_t packetNumber_ = 0;
  Time lastNow_{0};
  Time lastAckDeparture_{0};
  AckImpairmentCounters counters_;
};

} // namespace tunnelsim::impairment
