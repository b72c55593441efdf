// Injectable randomness: protocol cores never call a global RNG, so a seeded run is
// reproducible packet for packet.
#pragma once

#include "bytes.h"

#include <array>
#include <cstdint>

namespace tunnelsim::crypto {

class RandomSource {
public:
  virtual ~RandomSource() = default;
  virtual void Fill(uint8_t *out, size_t size) = 0;

  uint32_t NextU32();
  uint64_t NextU64();
  // Uniform in [0, bound) without modulo bias; bound > 0.
  uint64_t Uniform(uint64_t bound);
};

// The operating system's CSPRNG (libsodium randombytes).
class SystemRandom final : public RandomSource {
public:
  void Fill(uint8_t *out, size_t size) override;
};

// A ChaCha20 keystream keyed by a seed: the same seed gives the same bytes on every machine.
class DeterministicRandom final : public RandomSource {
public:
  explicit DeterministicRandom(uint64_t seed);
  explicit DeterministicRandom(const std::array<uint8_t, 32> &key);
  void Fill(uint8_t *out, size_t size) override;

private:
  Secret<32> key_;
  uint64_t blockCounter_ = 0;
  std::array<uint8_t, 64> buffer_{};
  size_t bufferUsed_ = 64;
};

} // namespace tunnelsim::crypto
