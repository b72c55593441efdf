#include "ipsec/replay_window.h"

#include <stdexcept>

namespace tunnelsim::ipsec {

ReplayWindow::ReplayWindow(uint32_t windowSize) : windowSize_(windowSize) {
  if (windowSize > kMaxWindowSize) throw std::invalid_argument("replay window too large");
  if (windowSize == 0) return;
  // One word more than the window needs, so the word holding the right edge can be cleared
  // for reuse while every word still inside the window keeps its bits (RFC 6479 section 2);
  // rounded up to a power of two so a block index maps to a word with a mask.
  size_t needed = (windowSize + 31) / 32 + 1;
  size_t words = 1;
  while (words < needed)
    words <<= 1;
  words_.assign(words, 0);
  wordMask_ = words - 1;
}

uint64_t ReplayWindow::InferEsn(uint32_t low) const {
  const uint64_t window = windowSize_ == 0 ? (1ull << 31) : windowSize_;
  const uint32_t tl = uint32_t(highest_);
  const uint32_t th = uint32_t(highest_ >> 32);
  // Bottom of the window, in the low 32-bit space (wraps in case B).
  const uint32_t bottom = uint32_t(uint64_t(tl) - window + 1);
  uint32_t sh;
  if (uint64_t(tl) >= window - 1) {
    // Case A: the window lies within one subspace.
    sh = low >= bottom ? th : th + 1;
  } else {
    // Case B: the window spans two subspaces; numbers at or above the (wrapped) bottom
    // belong to the previous one.
    if (low >= bottom) {
      if (th == 0) return low; // no previous subspace: it is far ahead in subspace 0
      sh = th - 1;
    } else {
      sh = th;
    }
  }
  return uint64_t(sh) << 32 | low;
}

ReplayCheck ReplayWindow::Check(uint64_t sequence) const {
  if (windowSize_ == 0) return ReplayCheck::Ok;
  if (sequence == 0) return ReplayCheck::OutsideWindow;
  if (sequence > highest_) return ReplayCheck::Ok;
  if (highest_ - sequence >= windowSize_) return ReplayCheck::OutsideWindow;
  const uint32_t word = words_[(sequence >> 5) & wordMask_];
  return (word >> (sequence & 31)) & 1 ? ReplayCheck::Replay : ReplayCheck::Ok;
}

void ReplayWindow::Update(uint64_t sequence) {
  if (windowSize_ == 0) {
    if (sequence > highest_) highest_ = sequence;
    return;
  }
  if (sequence > highest_) {
    const uint64_t oldBlock = highest_ >> 5;
    const uint64_t newBlock = sequence >> 5;
    if (newBlock - oldBlock >= words_.size()) {
      std::fill(words_.begin(), words_.end(), 0);
    } else {
      for (uint64_t block = oldBlock + 1; block <= newBlock; ++block)
        words_[block & wordMask_] = 0;
    }
    highest_ = sequence;
  }
  words_[(sequence >> 5) & wordMask_] |= 1u << (sequence & 31);
}

} // namespace tunnelsim::ipsec
