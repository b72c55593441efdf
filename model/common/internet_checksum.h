// The Internet checksum (RFC 1071), shared by every layer that builds or checks IPv4, ICMP or
// GRE headers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tunnelsim {

// One's complement of the one's complement sum of the 16-bit big-endian words of `size` bytes
// at `data`, an odd trailing byte padded with zero. Summing a buffer that holds its own correct
// checksum gives 0.
uint16_t InternetChecksum(const uint8_t *data, size_t size);

} // namespace tunnelsim
