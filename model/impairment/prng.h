// The impairments' own pseudo-random generator: xoshiro256** seeded through SplitMix64.
// It is small, fast and fully specified, so an ns-3 run and a real-time relay given the same
// seed draw the same numbers in the same order and so make the same decisions packet for packet.
#pragma once

#include <cstdint>

namespace tunnelsim::impairment {

class Prng {
public:
  explicit Prng(uint64_t seed);

  uint64_t NextU64();
  // The upper half of NextU64(): the 32-bit draws netem's decisions are made of.
  uint32_t NextU32() { return static_cast<uint32_t>(NextU64() >> 32); }
  // Uniform in [0, bound) (bound > 0), by multiply-shift: deterministic, bias < 2^-32.
  uint64_t Below(uint64_t bound);
  // Uniform in [0, 1) with 53 bits of precision.
  double NextDouble();

private:
  uint64_t state_[4];
};

} // namespace tunnelsim::impairment
