#include "tai64n.h"

#include <algorithm>

namespace tunnelsim::crypto {

Tai64n Tai64nFromUnix(uint64_t unixSeconds, uint32_t nanoseconds) {
  const uint64_t label = (uint64_t(1) << 62) + unixSeconds;
  Tai64n out{};
  for (int i = 0; i < 8; ++i)
    out[i] = uint8_t(label >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i)
    out[8 + i] = uint8_t(nanoseconds >> (24 - 8 * i));
  return out;
}

Tai64n Tai64nFromUnixNanos(uint64_t unixNanos) {
  return Tai64nFromUnix(unixNanos / 1000000000ull, uint32_t(unixNanos % 1000000000ull));
}

bool Tai64nAfter(const Tai64n &a, const Tai64n &b) {
  return std::lexicographical_compare(b.begin(), b.end(), a.begin(), a.end());
}

} // namespace tunnelsim::crypto
