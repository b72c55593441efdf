#include "impairment/correlated_random.h"

#include <cmath>

namespace tunnelsim::impairment {

uint32_t ProbabilityToU32(double probability) {
  if (!(probability > 0.0)) return 0;
  if (probability >= 1.0) return UINT32_MAX;
  return static_cast<uint32_t>(std::llround(probability * 4294967295.0));
}

CorrelatedRandom::CorrelatedRandom(double correlation, Prng &prng)
    : rho_(ProbabilityToU32(correlation)), last_(prng.NextU32()) {}

uint32_t CorrelatedRandom::Next(Prng &prng) {
  const uint64_t value = prng.NextU32();
  if (rho_ == 0) return static_cast<uint32_t>(value);
  const uint64_t rho = static_cast<uint64_t>(rho_) + 1;
  last_ = static_cast<uint32_t>((value * ((1ULL << 32) - rho) + last_ * rho) >> 32);
  return last_;
}

} // namespace tunnelsim::impairment
