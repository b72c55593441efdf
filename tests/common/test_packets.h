// Minimal inner packets for the tunnel tests (GRE, ESP, the GRE/IPsec gateway core): a 20-byte
// IPv4 header (no checksum: no core checks it) or a 40-byte IPv6 header, then `payload` bytes
// of `fill`.
#pragma once

#include "crypto/bytes.h"

#include <cstdint>
#include <cstring>

namespace tunnelsim::test_packets {

// From `src` to `dst` (4 bytes each; 10.1.0.1 -> 10.2.0.1 when null).
inline crypto::Bytes Ipv4Packet(size_t payload, uint8_t protocol = 17, uint8_t fill = 0x5A,
                                const uint8_t *src = nullptr, const uint8_t *dst = nullptr) {
  static const uint8_t defaultSrc[] = {10, 1, 0, 1}, defaultDst[] = {10, 2, 0, 1};
  crypto::Bytes p(20 + payload, fill);
  p[0] = 0x45;
  p[1] = 0;
  p[2] = uint8_t((20 + payload) >> 8);
  p[3] = uint8_t(20 + payload);
  std::memset(&p[4], 0, 4);
  p[8] = 64;
  p[9] = protocol;
  p[10] = p[11] = 0;
  std::memcpy(&p[12], src ? src : defaultSrc, 4);
  std::memcpy(&p[16], dst ? dst : defaultDst, 4);
  return p;
}

inline crypto::Bytes Ipv6Packet(size_t payload) {
  crypto::Bytes p(40 + payload, 0x6B);
  p[0] = 0x60;
  p[1] = p[2] = p[3] = 0;
  p[4] = uint8_t(payload >> 8);
  p[5] = uint8_t(payload);
  p[6] = 17;
  p[7] = 64;
  return p;
}

} // namespace tunnelsim::test_packets
