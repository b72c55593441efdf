// A read-only look at the headers of an IPv4 or IPv6 packet (and TCP/UDP ports and TCP
// flags when present): what a tunnel, a classifier or a middlebox model needs to route or
// classify a packet. It never copies the packet.
#pragma once

#include "ip_address.h"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tunnelsim {

constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;
constexpr uint8_t kIpProtoGre = 47;
constexpr uint8_t kIpProtoEsp = 50;
constexpr uint8_t kIpProtoIcmp = 1;
constexpr uint8_t kIpProtoIcmpV6 = 58;

// TCP flag bits as in the TCP header's flags byte.
enum TcpFlag : uint8_t {
  kTcpFin = 0x01,
  kTcpSyn = 0x02,
  kTcpRst = 0x04,
  kTcpPsh = 0x08,
  kTcpAck = 0x10,
  kTcpUrg = 0x20,
  kTcpEce = 0x40,
  kTcpCwr = 0x80,
};

struct IpPacketInfo {
  uint8_t version = 0; // 4 or 6
  IpAddress source;
  IpAddress destination;
  uint8_t protocol = 0;    // IPv4 protocol / IPv6 next header (after extension headers)
  size_t headerLength = 0; // bytes up to the transport header
  size_t totalLength = 0;  // as the IP header states it (<= the buffer's length)
  // Transport details, present when the transport header is fully inside the packet.
  std::optional<uint16_t> sourcePort;
  std::optional<uint16_t> destinationPort;
  std::optional<uint8_t> tcpFlags;
  size_t transportPayloadLength = 0; // TCP/UDP payload bytes, 0 when unknown
};

// Parses the headers of `packet`. Empty when it is not a well-formed IPv4/IPv6 packet
// (too short, wrong version, header length or total length inconsistent with the buffer).
std::optional<IpPacketInfo> ParseIpPacket(const uint8_t *packet, size_t size);

} // namespace tunnelsim
