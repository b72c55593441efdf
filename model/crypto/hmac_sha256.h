// HMAC-SHA2-256 (RFC 2104/4231) and IKEv2's prf+ (RFC 7296 section 2.13).
#pragma once

#include "bytes.h"

#include <array>

namespace tunnelsim::crypto {

constexpr size_t kSha256Size = 32;
using Sha256Digest = std::array<uint8_t, kSha256Size>;

// Any key length; keys longer than the block are hashed first, as RFC 2104 says.
Sha256Digest HmacSha256(ByteView key, ByteView data);

// prf+(K, S) = T1 | T2 | ... with T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n),
// truncated to `length` bytes. length <= 255 * 32.
Bytes PrfPlusSha256(ByteView key, ByteView seed, size_t length);

} // namespace tunnelsim::crypto
