#include "impairment/prng.h"

#include "common/seed_mix.h"

namespace tunnelsim::impairment {
namespace {

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

} // namespace

Prng::Prng(uint64_t seed) {
  // SplitMix64 never yields four zero words, which is the one state xoshiro must avoid.
  for (auto &word : state_)
    word = SplitMix64Next(seed);
}

uint64_t Prng::NextU64() {
  const uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = RotateLeft(state_[3], 45);
  return result;
}

uint64_t Prng::Below(uint64_t bound) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(NextU64()) * bound) >> 64);
}

double Prng::NextDouble() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

} // namespace tunnelsim::impairment
