// The netem-equivalent impairment's settings, one field per tc-netem option plus a few
// extensions (marked) that netem does not have. ParseNetemArguments fills it from a tc command.
#pragma once

#include "common/time.h"
#include "impairment/delay_distribution.h"
#include "impairment/loss_model.h"

#include <cstdint>
#include <string>

namespace tunnelsim::impairment {

// The largest delay and jitter accepted. Times are 64-bit nanoseconds: a day keeps jitter times
// a distribution table entry (up to 2^15), and arrival time plus delay, far from overflow, and
// no network is slower than that.
constexpr Duration kMaxNetemDelay = Seconds(86400);

// Where a corruption may flip a bit.
enum class CorruptRegion {
  kWholePacket,  // anywhere, as netem does (it may hit the outer IP/UDP headers)
  kAfterHeaders, // after the IP and TCP/UDP headers when the packet parses as IP (extension):
                 // the bit lands in what a tunnel authenticates, so its AEAD check fails
};

struct NetemSettings {
  uint64_t seed = 1; // tc's "seed"

  uint32_t limit = 1000;   // packets held at once ("limit"); tc's default is 1000
  uint64_t limitBytes = 0; // extension: bytes held at once, 0 = no byte limit

  Duration latency{0}; // "delay TIME"
  Duration jitter{0};  // "delay TIME JITTER"
  double delayCorrelation = 0.0;
  DelayDistribution distribution = DelayDistribution::kUniform;
  // Extension: never let jitter reorder packets (each leaves no earlier than the previous
  // one), what netem does only when "rate" is set.
  bool keepOrder = false;

  LossSettings loss;

  double duplicate = 0.0;
  double duplicateCorrelation = 0.0;

  double corrupt = 0.0;
  double corruptCorrelation = 0.0;
  CorruptRegion corruptRegion = CorruptRegion::kAfterHeaders;

  double reorder = 0.0;
  double reorderCorrelation = 0.0;
  uint32_t gap = 0; // with reorder > 0, 0 means 1 (tc sets gap 1 when none is given)

  uint64_t rateBytesPerSecond = 0; // "rate", 0 = unlimited
  int32_t packetOverhead = 0;
  uint32_t cellSize = 0;
  int32_t cellOverhead = 0;

  // Empty when valid; otherwise what is wrong, in words a user can act on.
  std::string Validate() const;
};

} // namespace tunnelsim::impairment
