// The outer IPv4 (and UDP) headers the relay's gateways put around tunnel packets, so the
// impairment stages see the same bytes an ns-3 queue disc sees (size, protocol, TCP flags of
// clear packets) and the relay's "wire" carries real packets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tunnelsim::emulate {

using Bytes = std::vector<uint8_t>;

constexpr size_t kIpv4HeaderSize = 20;
constexpr size_t kUdpHeaderSize = 8;
constexpr uint8_t kProtocolUdp = 17;
constexpr uint8_t kProtocolGre = 47;
constexpr uint8_t kProtocolEsp = 50;
// IKE's UDP port (RFC 7296 2.23) before NAT detection moves it to 4500.
constexpr uint16_t kIkePort = 500;

// A 20-byte IPv4 header (TTL 64, DF clear, checksum set) followed by `payload`.
Bytes WrapIpv4(uint32_t source, uint32_t destination, uint8_t protocol, const uint8_t *payload,
               size_t size);
// An IPv4 + UDP datagram (UDP checksum 0, allowed over IPv4).
Bytes WrapUdp(uint32_t source, uint32_t destination, uint16_t sourcePort, uint16_t destinationPort,
              const uint8_t *payload, size_t size);

struct ParsedIpv4 {
  uint32_t source = 0;
  uint32_t destination = 0;
  uint8_t protocol = 0;
  size_t headerSize = 0;  // IHL * 4
  size_t payloadSize = 0; // total length - header
};
// Empty when `packet` is not a well-formed IPv4 packet (version, IHL, total length).
std::optional<ParsedIpv4> ParseIpv4(const uint8_t *packet, size_t size);

// Recomputes the header checksum of the IPv4 packet in `packet`.
void SetIpv4Checksum(Bytes &packet);

} // namespace tunnelsim::emulate
