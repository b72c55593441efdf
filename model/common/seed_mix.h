// SplitMix64, the one 64-bit mixer every seeded stream in tunnelsim is derived through: the ns-3
// hosts fold (seed, run, node, stream, purpose) into one seed with it, and the impairments'
// xoshiro generator expands its seed into state with it. One definition, so a change to the
// mixing changes every derived stream alike (and shows up in the byte-identical result tests).
#pragma once

#include <cstdint>

namespace tunnelsim {

// The SplitMix64 increment (2^64 divided by the golden ratio, rounded to odd).
inline constexpr uint64_t kSplitMixIncrement = 0x9e3779b97f4a7c15ULL;

// Stateless form: mixes `x` advanced by one increment. Equal, bit for bit, to the next output of
// a SplitMix64 generator whose state is `x`.
constexpr uint64_t SplitMix64(uint64_t x) {
  x += kSplitMixIncrement;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Generator form: returns the next output and advances `state`.
constexpr uint64_t SplitMix64Next(uint64_t &state) {
  const uint64_t out = SplitMix64(state);
  state += kSplitMixIncrement;
  return out;
}

// Folds a sequence of words into one seed: Mix(...Mix(Mix(first) ^ w1)... ^ wn).
// The ns-3 hosts derive each node's and purpose's random stream this way.
constexpr uint64_t FoldSeed(uint64_t first) { return SplitMix64(first); }
template <typename... Words>
constexpr uint64_t FoldSeed(uint64_t first, uint64_t next, Words... rest) {
  return FoldSeed(SplitMix64(first) ^ next, static_cast<uint64_t>(rest)...);
}

} // namespace tunnelsim
