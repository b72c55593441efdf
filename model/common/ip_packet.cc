#include "ip_packet.h"

namespace tunnelsim {

namespace {

uint16_t ReadU16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }

void ParseTransport(const uint8_t *packet, IpPacketInfo &info) {
  const uint8_t *l4 = packet + info.headerLength;
  const size_t available = info.totalLength - info.headerLength;
  if (info.protocol == kIpProtoTcp && available >= 20) {
    const size_t dataOffset = size_t(l4[12] >> 4) * 4;
    if (dataOffset < 20 || dataOffset > available) return;
    info.sourcePort = ReadU16(l4);
    info.destinationPort = ReadU16(l4 + 2);
    info.tcpFlags = l4[13];
    info.transportPayloadLength = available - dataOffset;
  } else if (info.protocol == kIpProtoUdp && available >= 8) {
    info.sourcePort = ReadU16(l4);
    info.destinationPort = ReadU16(l4 + 2);
    info.transportPayloadLength = available - 8;
  }
}

bool IsIpv6ExtensionHeader(uint8_t nextHeader) {
  // Hop-by-hop, routing, destination options: the ones with the generic length format.
  return nextHeader == 0 || nextHeader == 43 || nextHeader == 60;
}

} // namespace

std::optional<IpPacketInfo> ParseIpPacket(const uint8_t *packet, size_t size) {
  if (size < 1) return std::nullopt;
  IpPacketInfo info;
  info.version = packet[0] >> 4;
  if (info.version == 4) {
    if (size < 20) return std::nullopt;
    info.headerLength = size_t(packet[0] & 0x0f) * 4;
    info.totalLength = ReadU16(packet + 2);
    if (info.headerLength < 20 || info.totalLength < info.headerLength || info.totalLength > size) {
      return std::nullopt;
    }
    info.protocol = packet[9];
    info.source = IpAddress::V4(packet + 12);
    info.destination = IpAddress::V4(packet + 16);
    const bool fragmentTail = (ReadU16(packet + 6) & 0x1fff) != 0;
    if (!fragmentTail) ParseTransport(packet, info);
    return info;
  }
  if (info.version == 6) {
    if (size < 40) return std::nullopt;
    info.totalLength = 40 + size_t(ReadU16(packet + 4));
    if (info.totalLength > size) return std::nullopt;
    info.source = IpAddress::V6(packet + 8);
    info.destination = IpAddress::V6(packet + 24);
    uint8_t next = packet[6];
    size_t offset = 40;
    while (IsIpv6ExtensionHeader(next)) {
      if (offset + 8 > info.totalLength) return std::nullopt;
      const size_t length = (size_t(packet[offset + 1]) + 1) * 8;
      next = packet[offset];
      offset += length;
    }
    if (offset > info.totalLength) return std::nullopt;
    info.protocol = next;
    info.headerLength = offset;
    ParseTransport(packet, info);
    return info;
  }
  return std::nullopt;
}

} // namespace tunnelsim
