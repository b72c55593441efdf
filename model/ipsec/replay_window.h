// The ESP receiver's anti-replay window (RFC 4303 section 3.4.3) with the Extended Sequence
// Number inference of RFC 4303 Appendix A2, kept as a ring of 32-bit words (RFC 6479) so a
// large window slides by clearing whole words instead of shifting a long bitmap.
//
// Usage is split the way 3.4.3 demands: Check() before the ICV is verified (so a replayed
// packet costs no decryption), Update() only after it verified (so a forged packet cannot
// move the window).
#pragma once

#include <cstdint>
#include <vector>

namespace tunnelsim::ipsec {

enum class ReplayCheck {
  Ok,
  Replay,        // inside the window and already received
  OutsideWindow, // left of the window (too old), or sequence number 0
};

class ReplayWindow {
public:
  static constexpr uint32_t kMaxWindowSize = 1u << 20;

  // windowSize = 0 turns the anti-replay check off (every sequence number passes Check);
  // the highest sequence number is still tracked for ESN inference. Throws
  // std::invalid_argument above kMaxWindowSize.
  explicit ReplayWindow(uint32_t windowSize);

  // RFC 4303 Appendix A2.2: the full 64-bit sequence number whose low half is `low`, guessed
  // from the window position (right edge T, size W). With the window off, W = 2^31 is used
  // for the guess, so a packet counts as the next subspace only after T's low half has moved
  // past the middle of its subspace.
  uint64_t InferEsn(uint32_t low) const;

  ReplayCheck Check(uint64_t sequence) const;
  // Marks `sequence` received and moves the right edge when it is newer. Call only after
  // the packet authenticated and Check() returned Ok.
  void Update(uint64_t sequence);

  uint32_t windowSize() const { return windowSize_; }
  uint64_t highest() const { return highest_; }

private:
  uint32_t windowSize_;
  uint64_t highest_ = 0; // T: highest authenticated sequence number, 0 before any
  std::vector<uint32_t> words_;
  uint64_t wordMask_ = 0;
};

} // namespace tunnelsim::ipsec
