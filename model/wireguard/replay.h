// The transport anti-replay window (whitepaper 5.4.6, RFC 6479 style). By default it is sized
// exactly as Linux and wireguard-go size it: a ring of 128 64-bit words (8192 bits) of which one
// word is always being recycled, so 8192 - 64 = 8128 counters behind the greatest one are
// tracked. Other sizes (whole words) are for what-if experiments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tunnelsim::wireguard {

class ReplayFilter {
public:
  static constexpr size_t kWordBits = 64;
  static constexpr size_t kRingBits = 8192; // Linux and wireguard-go
  static constexpr size_t kRingWords = kRingBits / kWordBits;
  static constexpr uint64_t kWindowSize = kRingBits - kWordBits; // 8128

  // Counters at or above `rejectAfterMessages` are always refused. `windowSize` counters
  // behind the greatest accepted one are tracked; it must be a positive multiple of 64
  // (std::invalid_argument otherwise).
  explicit ReplayFilter(uint64_t rejectAfterMessages, uint64_t windowSize = kWindowSize);

  uint64_t windowSize() const { return windowSize_; }

  // Accepts `counter` once: false when it was seen before, is too far behind the greatest
  // accepted counter, or is at/after the message limit. Call only after the packet has
  // authenticated, so forged counters cannot move the window.
  bool ValidateAndRecord(uint64_t counter);

  // One past the greatest accepted counter (0 before any packet).
  uint64_t next() const { return next_; }
  void Reset();

private:
  uint64_t rejectAfterMessages_;
  uint64_t windowSize_;
  uint64_t next_ = 0;
  std::vector<uint64_t> ring_; // windowSize / 64 + 1 words
};

} // namespace tunnelsim::wireguard
