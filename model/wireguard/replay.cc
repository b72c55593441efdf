#include "replay.h"

#include <algorithm>

namespace tunnelsim::wireguard {

ReplayFilter::ReplayFilter(uint64_t rejectAfterMessages)
    : rejectAfterMessages_(rejectAfterMessages) {}

void ReplayFilter::Reset() {
  next_ = 0;
  ring_.fill(0);
}

bool ReplayFilter::ValidateAndRecord(uint64_t counter) {
  if (counter >= rejectAfterMessages_ || next_ > rejectAfterMessages_) return false;
  // Work with counter + 1 so that "nothing seen yet" (next_ == 0) needs no special case.
  const uint64_t position = counter + 1;
  if (position + kWindowSize < next_) return false;
  const uint64_t word = position / kWordBits;
  if (position > next_) {
    // Clear the words between the old top and the new one (all of them on a far jump).
    const uint64_t currentWord = next_ / kWordBits;
    const uint64_t toClear = std::min<uint64_t>(word - currentWord, kRingWords);
    for (uint64_t i = 1; i <= toClear; ++i)
      ring_[(currentWord + i) % kRingWords] = 0;
    next_ = position;
  }
  uint64_t &slot = ring_[word % kRingWords];
  const uint64_t bit = uint64_t{1} << (position % kWordBits);
  if (slot & bit) return false;
  slot |= bit;
  return true;
}

} // namespace tunnelsim::wireguard
