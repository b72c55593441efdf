// BLAKE2s (RFC 7693) from libb2, and the constructions WireGuard builds on it:
// HASH, keyed MAC (16-byte output), HMAC-BLAKE2s and the HKDF chain KDF1/KDF2/KDF3.
#pragma once

#include "bytes.h"

#include <array>
#include <initializer_list>

namespace tunnelsim::crypto {

constexpr size_t kBlake2sHashSize = 32;
constexpr size_t kBlake2sBlockSize = 64;
constexpr size_t kMac16Size = 16;
using Blake2sHash = std::array<uint8_t, kBlake2sHashSize>;
using Mac16 = std::array<uint8_t, kMac16Size>;
using ChainingKey = Secret<kBlake2sHashSize>;

// General BLAKE2s: digest of 1..32 bytes, optional key of 0..32 bytes (RFC 7693).
Bytes Blake2s(size_t outLength, ByteView key, ByteView input);

// HASH(a || b || ...): unkeyed BLAKE2s-256 of the concatenation.
Blake2sHash Blake2s256(std::initializer_list<ByteView> parts);

// MAC(key, input): keyed BLAKE2s with a 16-byte digest. Key length 1..32.
Mac16 Blake2sMac128(ByteView key, ByteView input);

// HMAC(key, input) with BLAKE2s-256 as the hash (RFC 2104 construction).
Secret<32> HmacBlake2s(ByteView key, ByteView input);

// WireGuard's HKDF: KDF_n(key, input) returns n 32-byte outputs.
void Kdf1(ByteView key, ByteView input, Secret<32> &t1);
void Kdf2(ByteView key, ByteView input, Secret<32> &t1, Secret<32> &t2);
void Kdf3(ByteView key, ByteView input, Secret<32> &t1, Secret<32> &t2, Secret<32> &t3);

} // namespace tunnelsim::crypto
