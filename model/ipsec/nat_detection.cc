#include "ipsec/nat_detection.h"

#include "ipsec/wire.h"

namespace tunnelsim::ipsec {

namespace {

uint32_t RotateLeft(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

} // namespace

std::array<uint8_t, kSha1Size> Sha1(crypto::ByteView data) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  // Message, the 0x80 byte, zeros to 56 mod 64, then the bit length as 64 bits big-endian.
  crypto::Bytes padded(data.data(), data.data() + data.size());
  padded.push_back(0x80);
  while (padded.size() % 64 != 56)
    padded.push_back(0);
  const uint64_t bits = uint64_t(data.size()) * 8;
  for (int i = 7; i >= 0; --i)
    padded.push_back(uint8_t(bits >> (8 * i)));

  for (size_t block = 0; block < padded.size(); block += 64) {
    uint32_t w[80];
    for (int t = 0; t < 16; ++t)
      w[t] = GetU32(&padded[block + 4 * size_t(t)]);
    for (int t = 16; t < 80; ++t)
      w[t] = RotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int t = 0; t < 80; ++t) {
      uint32_t f, k;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      const uint32_t temp = RotateLeft(a, 5) + f + e + k + w[t];
      e = d;
      d = c;
      c = RotateLeft(b, 30);
      b = a;
      a = temp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  std::array<uint8_t, kSha1Size> digest{};
  for (int i = 0; i < 5; ++i)
    PutU32(&digest[4 * size_t(i)], h[i]);
  return digest;
}

crypto::Bytes NatDetectionHash(uint64_t spiI, uint64_t spiR, const IpAddress &address,
                               uint16_t port) {
  crypto::Bytes input(16 + address.size() + 2);
  PutU64(input.data(), spiI);
  PutU64(input.data() + 8, spiR);
  std::copy(address.data(), address.data() + address.size(), input.begin() + 16);
  PutU16(input.data() + 16 + address.size(), port);
  auto digest = Sha1(input);
  return crypto::Bytes(digest.begin(), digest.end());
}

} // namespace tunnelsim::ipsec
