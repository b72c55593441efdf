// netem's correlated uniform draw (get_crandom in sch_netem.c): each 32-bit value is a weighted
// average of a fresh draw and the previous value, next = (1 - rho) * fresh + rho * last.
// Consecutive values then have correlation rho; like netem's, the marginal distribution is no
// longer uniform when rho > 0 (values bunch towards the middle), which is why tc-netem(8) calls
// loss correlation deprecated. We keep netem's arithmetic so a pasted command behaves the same.
#pragma once

#include "impairment/prng.h"

#include <cstdint>

namespace tunnelsim::impairment {

// A probability in [0, 1] as netem stores it: a fraction of 2^32 - 1.
uint32_t ProbabilityToU32(double probability);

class CorrelatedRandom {
public:
  CorrelatedRandom() = default;
  // `correlation` in [0, 1]; the first "previous value" is drawn from `prng`, as netem does.
  CorrelatedRandom(double correlation, Prng &prng);

  uint32_t Next(Prng &prng);

private:
  uint32_t rho_ = 0;
  uint32_t last_ = 0;
};

} // namespace tunnelsim::impairment
