// TCP sequence arithmetic (RFC 793 modulo 2^32) and half-open sequence ranges, shared by the
// sender scoreboard and the receiver's DSACK logic.
#pragma once

#include <cstdint>

namespace tunnelsim::tcp {

inline bool SeqLess(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool SeqLessEq(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }
inline uint32_t SeqMax(uint32_t a, uint32_t b) { return SeqLess(a, b) ? b : a; }
inline uint32_t SeqMin(uint32_t a, uint32_t b) { return SeqLess(a, b) ? a : b; }

// [start, end) in sequence space.
struct SeqRange {
  uint32_t start = 0;
  uint32_t end = 0;

  uint32_t Length() const { return end - start; }
  bool Empty() const { return SeqLessEq(end, start); }
  bool Contains(const SeqRange &inner) const {
    return SeqLessEq(start, inner.start) && SeqLessEq(inner.end, end);
  }
  bool Overlaps(const SeqRange &other) const {
    return SeqLess(start, other.end) && SeqLess(other.start, end);
  }
  bool operator==(const SeqRange &o) const { return start == o.start && end == o.end; }
};

} // namespace tunnelsim::tcp
