// TAI64N timestamps (12 bytes, big-endian), as WireGuard puts in a handshake initiation.
#pragma once

#include <array>
#include <cstdint>

namespace tunnelsim::crypto {

using Tai64n = std::array<uint8_t, 12>;

// Label from seconds since the Unix epoch and nanoseconds: 2^62 + seconds (8 bytes), then
// nanoseconds (4 bytes). Like wireguard-go, no leap-second offset is added; peers compare
// only their own timestamps, so only monotonicity matters.
Tai64n Tai64nFromUnix(uint64_t unixSeconds, uint32_t nanoseconds);
Tai64n Tai64nFromUnixNanos(uint64_t unixNanos);

// Byte order equals time order, so a lexicographic compare orders timestamps.
bool Tai64nAfter(const Tai64n &a, const Tai64n &b);

} // namespace tunnelsim::crypto
