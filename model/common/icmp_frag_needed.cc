#include "common/icmp_frag_needed.h"

#include "common/ip_packet.h"

#include <algorithm>

namespace tunnelsim {

namespace {

constexpr uint16_t kDontFragment = 0x4000;
constexpr uint16_t kFragmentOffsetMask = 0x1FFF;
constexpr size_t kIpv4HeaderSize = 20;
constexpr size_t kIcmpHeaderSize = 8;

uint16_t Get16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }

void Put16(uint8_t *p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

// ICMP types that are errors (RFC 1812 4.3.2.7 forbids answering them with another error).
bool IsIcmpError(uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

} // namespace

bool NeedsFragmentationNeeded(const uint8_t *packet, size_t size, uint32_t mtu) {
  auto info = ParseIpPacket(packet, size);
  if (!info || info->version != 4 || info->totalLength <= mtu) return false;
  const uint16_t flags = Get16(packet + 6);
  if (!(flags & kDontFragment) || (flags & kFragmentOffsetMask) != 0) return false;
  if (info->protocol == kIpProtoIcmp) {
    if (info->headerLength >= info->totalLength) return false;
    if (IsIcmpError(packet[info->headerLength])) return false;
  }
  return true;
}

std::optional<std::vector<uint8_t>> BuildFragmentationNeeded(const uint8_t *packet, size_t size,
                                                             uint16_t nextHopMtu,
                                                             const IpAddress &source) {
  auto info = ParseIpPacket(packet, size);
  if (!info || info->version != 4 || !source.IsV4()) return std::nullopt;
  const size_t quoted =
      std::min(info->totalLength, kIcmpErrorMaxSize - kIpv4HeaderSize - kIcmpHeaderSize);
  std::vector<uint8_t> out(kIpv4HeaderSize + kIcmpHeaderSize + quoted, 0);
  uint8_t *ip = out.data();
  ip[0] = 0x45;
  ip[1] = 0xC0; // precedence "internetwork control", as Linux marks its ICMP errors
  Put16(ip + 2, uint16_t(out.size()));
  ip[8] = 64;
  ip[9] = kIpProtoIcmp;
  std::copy(source.data(), source.data() + 4, ip + 12);
  std::copy(packet + 12, packet + 16, ip + 16); // back to the packet's sender
  Put16(ip + 10, InternetChecksum(ip, kIpv4HeaderSize));
  uint8_t *icmp = ip + kIpv4HeaderSize;
  icmp[0] = kIcmpDestinationUnreachable;
  icmp[1] = kIcmpFragmentationNeeded;
  Put16(icmp + 6, nextHopMtu); // bytes 4-5 unused (RFC 1191 section 4)
  std::copy(packet, packet + quoted, icmp + kIcmpHeaderSize);
  Put16(icmp + 2, InternetChecksum(icmp, kIcmpHeaderSize + quoted));
  return out;
}

} // namespace tunnelsim
