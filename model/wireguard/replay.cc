#include "replay.h"

#include <algorithm>
#include <stdexcept>

namespace tunnelsim::wireguard {

ReplayFilter::ReplayFilter(uint64_t rejectAfterMessages, uint64_t windowSize)
    : rejectAfterMessages_(rejectAfterMessages), windowSize_(windowSize) {
  if (windowSize == 0 || windowSize % kWordBits != 0 || windowSize > (uint64_t{1} << 32)) {
    throw std::invalid_argument("replay window must be a positive multiple of 64 up to 2^32");
  }
  ring_.assign(windowSize / kWordBits + 1, 0);
}

void ReplayFilter::Reset() {
  next_ = 0;
  std::fill(ring_.begin(), ring_.end(), 0);
}

bool ReplayFilter::ValidateAndRecord(uint64_t counter) {
  if (counter >= rejectAfterMessages_ || next_ > rejectAfterMessages_) return false;
  // Work with counter + 1 so that "nothing seen yet" (next_ == 0) needs no special case.
  const uint64_t position = counter + 1;
  if (position + windowSize_ < next_) return false;
  const uint64_t word = position / kWordBits;
  if (position > next_) {
    // Clear the words between the old top and the new one (all of them on a far jump).
    const uint64_t currentWord = next_ / kWordBits;
    const uint64_t ringWords = ring_.size();
    const uint64_t toClear = std::min<uint64_t>(word - currentWord, ringWords);
    for (uint64_t i = 1; i <= toClear; ++i)
      ring_[(currentWord + i) % ringWords] = 0;
    next_ = position;
  }
  uint64_t &slot = ring_[word % ring_.size()];
  const uint64_t bit = uint64_t{1} << (position % kWordBits);
  if (slot & bit) return false;
  slot |= bit;
  return true;
}

} // namespace tunnelsim::wireguard
