// Delay jitter distributions as netem draws them (tabledist in sch_netem.c): uniform is
// computed, the others look a 32-bit (possibly correlated) draw up in a 4096-entry table of the
// distribution's inverse CDF scaled by 8192 (NETEM_DIST_SCALE), built here the way iproute2's
// normal.c, pareto.c and paretonormal.c build the .dist files tc loads.
#pragma once

#include "common/time.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tunnelsim::impairment {

enum class DelayDistribution { kUniform, kNormal, kPareto, kParetoNormal };

constexpr int32_t kNetemDistScale = 8192;

const char *ToString(DelayDistribution distribution);
std::optional<DelayDistribution> DelayDistributionFromString(const std::string &name);

// The table for a distribution (empty for kUniform, which needs none). Entries are
// inverse-CDF values times kNetemDistScale, clipped to int16 as netem's tables are.
const std::vector<int16_t> &DistributionTable(DelayDistribution distribution);

// mu + sigma * (table value) for the draw `random`; for kUniform, uniform in [mu - sigma,
// mu + sigma). sigma == 0 gives mu (and the caller should not draw, as netem does not).
Duration TableDistribution(Duration mu, Duration sigma, uint32_t random,
                           DelayDistribution distribution);

} // namespace tunnelsim::impairment
