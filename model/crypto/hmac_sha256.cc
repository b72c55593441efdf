#include "hmac_sha256.h"
#include "sodium_init.h"

#include <sodium.h>
#include <stdexcept>

namespace tunnelsim::crypto {

Sha256Digest HmacSha256(ByteView key, ByteView data) {
  EnsureSodiumInitialised();
  // libsodium's HMAC-SHA-256 accepts any key length and hashes long keys per RFC 2104.
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, data.data(), data.size());
  Sha256Digest out{};
  crypto_auth_hmacsha256_final(&state, out.data());
  SecureWipe(&state, sizeof state);
  return out;
}

Bytes PrfPlusSha256(ByteView key, ByteView seed, size_t length) {
  if (length > 255 * kSha256Size) throw std::invalid_argument("prf+ output too long");
  Bytes out;
  out.reserve(length);
  Bytes input;
  Sha256Digest t{};
  for (uint8_t counter = 1; out.size() < length; ++counter) {
    input.clear();
    if (counter > 1) input.insert(input.end(), t.begin(), t.end());
    input.insert(input.end(), seed.begin(), seed.end());
    input.push_back(counter);
    t = HmacSha256(key, input);
    size_t take = std::min(t.size(), length - out.size());
    out.insert(out.end(), t.begin(), t.begin() + take);
  }
  SecureWipe(input.data(), input.size());
  SecureWipe(t.data(), t.size());
  return out;
}

} // namespace tunnelsim::crypto
