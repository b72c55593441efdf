#include "blake2s.h"

#include <blake2.h>
#include <cstring>
#include <stdexcept>

namespace tunnelsim::crypto {

Blake2sHash Blake2s256(std::initializer_list<ByteView> parts) {
  blake2s_state state;
  blake2s_init(&state, kBlake2sHashSize);
  for (const ByteView &part : parts)
    blake2s_update(&state, part.data(), part.size());
  Blake2sHash out{};
  blake2s_final(&state, out.data(), out.size());
  return out;
}

Bytes Blake2s(size_t outLength, ByteView key, ByteView input) {
  if (outLength == 0 || outLength > BLAKE2S_OUTBYTES || key.size() > BLAKE2S_KEYBYTES) {
    throw std::invalid_argument("BLAKE2s digest must be 1 to 32 bytes and key at most 32");
  }
  Bytes out(outLength);
  blake2s(out.data(), input.data(), key.empty() ? nullptr : key.data(), outLength, input.size(),
          key.size());
  return out;
}

Mac16 Blake2sMac128(ByteView key, ByteView input) {
  if (key.empty() || key.size() > BLAKE2S_KEYBYTES) {
    throw std::invalid_argument("BLAKE2s MAC key must be 1 to 32 bytes");
  }
  Mac16 out{};
  blake2s(out.data(), input.data(), key.data(), out.size(), input.size(), key.size());
  return out;
}

Secret<32> HmacBlake2s(ByteView key, ByteView input) {
  // RFC 2104 with BLAKE2s-256: block 64 bytes; keys longer than a block are hashed first.
  std::array<uint8_t, kBlake2sBlockSize> block{};
  if (key.size() > kBlake2sBlockSize) {
    Blake2sHash hashed = Blake2s256({key});
    std::memcpy(block.data(), hashed.data(), hashed.size());
  } else if (!key.empty()) {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<uint8_t, kBlake2sBlockSize> pad{};
  for (size_t i = 0; i < pad.size(); ++i)
    pad[i] = block[i] ^ 0x36;
  Blake2sHash inner = Blake2s256({pad, input});
  for (size_t i = 0; i < pad.size(); ++i)
    pad[i] = block[i] ^ 0x5c;
  Secret<32> out(Blake2s256({pad, inner}));
  SecureWipe(block.data(), block.size());
  SecureWipe(pad.data(), pad.size());
  SecureWipe(inner.data(), inner.size());
  return out;
}

// HKDF as WireGuard uses it: T0 = HMAC(key, input); T1 = HMAC(T0, 0x1);
// T(i) = HMAC(T0, T(i-1) || i).
static void Kdf(ByteView key, ByteView input, Secret<32> *outputs[], int count) {
  Secret<32> prk = HmacBlake2s(key, input);
  uint8_t buffer[33];
  buffer[0] = 1;
  Secret<32> t = HmacBlake2s(prk, ByteView(buffer, 1));
  *outputs[0] = t;
  for (int i = 1; i < count; ++i) {
    std::memcpy(buffer, t.data(), 32);
    buffer[32] = uint8_t(i + 1);
    t = HmacBlake2s(prk, ByteView(buffer, 33));
    *outputs[i] = t;
  }
  SecureWipe(buffer, sizeof buffer);
}

void Kdf1(ByteView key, ByteView input, Secret<32> &t1) {
  Secret<32> *out[] = {&t1};
  Kdf(key, input, out, 1);
}

void Kdf2(ByteView key, ByteView input, Secret<32> &t1, Secret<32> &t2) {
  Secret<32> *out[] = {&t1, &t2};
  Kdf(key, input, out, 2);
}

void Kdf3(ByteView key, ByteView input, Secret<32> &t1, Secret<32> &t2, Secret<32> &t3) {
  Secret<32> *out[] = {&t1, &t2, &t3};
  Kdf(key, input, out, 3);
}

} // namespace tunnelsim::crypto
