#include "random.h"
#include "sodium_init.h"

#include <cstring>
#include <sodium.h>

namespace tunnelsim::crypto {

uint32_t RandomSource::NextU32() {
  uint8_t b[4];
  Fill(b, sizeof b);
  return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

uint64_t RandomSource::NextU64() { return uint64_t(NextU32()) | uint64_t(NextU32()) << 32; }

uint64_t RandomSource::Uniform(uint64_t bound) {
  // Rejection sampling: drop the top partial range so every residue is equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (;;) {
    uint64_t v = NextU64();
    if (v < limit) return v % bound;
  }
}

void SystemRandom::Fill(uint8_t *out, size_t size) {
  EnsureSodiumInitialised();
  randombytes_buf(out, size);
}

DeterministicRandom::DeterministicRandom(uint64_t seed) {
  std::array<uint8_t, 32> key{};
  for (int i = 0; i < 8; ++i)
    key[i] = uint8_t(seed >> (8 * i));
  key_ = Secret<32>(key);
}

DeterministicRandom::DeterministicRandom(const std::array<uint8_t, 32> &key) : key_(key) {}

void DeterministicRandom::Fill(uint8_t *out, size_t size) {
  EnsureSodiumInitialised();
  while (size > 0) {
    if (bufferUsed_ == buffer_.size()) {
      // One 64-byte ChaCha20 block per refill; the block counter is the position.
      static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = {0};
      buffer_.fill(0);
      crypto_stream_chacha20_xor_ic(buffer_.data(), buffer_.data(), buffer_.size(), nonce,
                                    blockCounter_++, key_.data());
      bufferUsed_ = 0;
    }
    size_t n = std::min(size, buffer_.size() - bufferUsed_);
    std::memcpy(out, buffer_.data() + bufferUsed_, n);
    bufferUsed_ += n;
    out += n;
    size -= n;
  }
}

} // namespace tunnelsim::crypto
