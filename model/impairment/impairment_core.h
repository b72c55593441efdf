// The netem-equivalent impairment as a sans-IO core: given a packet and its arrival time it
// returns what happens to it (netem_enqueue in sch_netem.c, step for step): duplication,
// loss (or ECN marking), corruption, the queue limit, reordering, and the delay from jitter
// and the rate limiter. It keeps its own PRNG, never reads a clock and holds no packets: it
// only remembers the departure times it handed out, to apply the limit and the rate.
#pragma once

#include "impairment/correlated_random.h"
#include "impairment/decision.h"
#include "impairment/loss_model.h"
#include "impairment/netem_settings.h"
#include "impairment/prng.h"

#include <cstdint>
#include <queue>
#include <utility>
#include <vector>

namespace tunnelsim::impairment {

// What the impairment actually did, for reports.
struct ImpairmentCounters {
  uint64_t packets = 0;     // packets given to the core (duplicates not included)
  uint64_t delivered = 0;   // copies scheduled for delivery (duplicates included)
  uint64_t lost = 0;        // copies dropped by the loss model
  uint64_t queueDrops = 0;  // copies dropped because the limit was reached
  uint64_t duplicated = 0;  // duplicates made
  uint64_t corrupted = 0;   // copies with a flipped bit
  uint64_t reordered = 0;   // copies sent at once ahead of the delayed ones
  uint64_t ecnMarked = 0;   // copies marked CE instead of dropped
  uint64_t delayed = 0;     // delivered copies that leave later than they arrived
  int64_t totalDelayNs = 0; // sum of (deliverAt - arrival) over delivered copies
};

class ImpairmentCore {
public:
  // Throws std::invalid_argument when settings.Validate() reports a problem.
  explicit ImpairmentCore(const NetemSettings &settings);

  // Decides the fate of one packet arriving at `now`. Calls must come in non-decreasing
  // `now` (std::invalid_argument otherwise).
  Decision Process(const PacketRef &packet, Time now);

  const ImpairmentCounters &Counters() const { return counters_; }
  const NetemSettings &Settings() const { return settings_; }
  // Copies scheduled but not yet due at the last `now`: netem's queue length.
  size_t Backlog() const { return pending_.size(); }

private:
  CopyDecision Enqueue(const PacketRef &packet, Time now, bool isDuplicate,
                       std::vector<CopyDecision> &duplicates);
  void ReleaseDue(Time now);
  Duration TransmissionTime(size_t size) const;
  std::optional<uint64_t> CorruptionBit(const PacketRef &packet);
  void Account(CopyDecision &copy, const PacketRef &packet, Time now);

  NetemSettings settings_;
  Prng prng_;
  CorrelatedRandom delayRandom_;
  LossModel loss_;
  CorrelatedRandom duplicateRandom_;
  CorrelatedRandom reorderRandom_;
  CorrelatedRandom corruptRandom_;
  uint32_t duplicateThreshold_;
  uint32_t reorderThreshold_;
  uint32_t corruptThreshold_;
  uint32_t gap_;

  uint32_t gapCounter_ = 0;
  int64_t nextOrder_ = 1;
  int64_t nextHeadOrder_ = -1;
  Time lastNow_{0};
  Time latestDeparture_{0};
  uint64_t packetNumber_ = 0;
  // (departure, size) of copies still held; min-heap on departure.
  std::priority_queue<std::pair<Time, size_t>, std::vector<std::pair<Time, size_t>>, std::greater<>>
      pending_;
  uint64_t pendingBytes_ = 0;
  ImpairmentCounters counters_;
};

} // namespace tunnelsim::impairment
