// Inner IPv4/TCP packets for the relay tests: a data segment or a pure ACK from one LAN host
// to the other, its sequence number in the payload so tests can tell packets apart.
#pragma once

#include "emulate/ipv4_header.h"

#include <cstdint>

namespace tunnelsim::emulate::test {

constexpr uint32_t kHome = 0xc0a80101; // 192.168.1.1
constexpr uint32_t kWork = 0x0a010002; // 10.1.0.2

// An IPv4 packet of `size` bytes (>= 40) carrying TCP with the ACK flag; `id` is written in
// the first payload bytes (or the sequence field for a pure ACK).
inline Bytes TcpPacket(uint32_t from, uint32_t to, size_t size, uint32_t id) {
  Bytes tcp(size - kIpv4HeaderSize, 0);
  tcp[12] = 5 << 4; // data offset: 5 words
  tcp[13] = 0x10;   // ACK
  for (int i = 0; i < 4; ++i)
    tcp[4 + i] = static_cast<uint8_t>(id >> (24 - 8 * i));
  if (tcp.size() >= 24) {
    for (int i = 0; i < 4; ++i)
      tcp[20 + i] = static_cast<uint8_t>(id >> (24 - 8 * i));
  }
  return WrapIpv4(from, to, 6, tcp.data(), tcp.size());
}

inline uint32_t PacketId(const Bytes &packet) {
  const auto ip = ParseIpv4(packet.data(), packet.size());
  const uint8_t *tcp = packet.data() + ip->headerSize;
  return (uint32_t(tcp[4]) << 24) | (uint32_t(tcp[5]) << 16) | (uint32_t(tcp[6]) << 8) | tcp[7];
}

} // namespace tunnelsim::emulate::test
