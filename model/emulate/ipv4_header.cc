#include "emulate/ipv4_header.h"

#include "common/internet_checksum.h"

namespace tunnelsim::emulate {
namespace {

void Put16(uint8_t *at, uint16_t value) {
  at[0] = static_cast<uint8_t>(value >> 8);
  at[1] = static_cast<uint8_t>(value);
}

void Put32(uint8_t *at, uint32_t value) {
  Put16(at, static_cast<uint16_t>(value >> 16));
  Put16(at + 2, static_cast<uint16_t>(value));
}

uint32_t Get32(const uint8_t *at) {
  return (uint32_t(at[0]) << 24) | (uint32_t(at[1]) << 16) | (uint32_t(at[2]) << 8) | at[3];
}

} // namespace

Bytes WrapIpv4(uint32_t source, uint32_t destination, uint8_t protocol, const uint8_t *payload,
               size_t size) {
  Bytes packet(kIpv4HeaderSize + size);
  packet[0] = 0x45;
  Put16(&packet[2], static_cast<uint16_t>(packet.size()));
  packet[8] = 64;
  packet[9] = protocol;
  Put32(&packet[12], source);
  Put32(&packet[16], destination);
  if (size > 0) std::copy(payload, payload + size, packet.begin() + kIpv4HeaderSize);
  SetIpv4Checksum(packet);
  return packet;
}

Bytes WrapUdp(uint32_t source, uint32_t destination, uint16_t sourcePort, uint16_t destinationPort,
              const uint8_t *payload, size_t size) {
  Bytes udp(kUdpHeaderSize + size);
  Put16(&udp[0], sourcePort);
  Put16(&udp[2], destinationPort);
  Put16(&udp[4], static_cast<uint16_t>(udp.size()));
  if (size > 0) std::copy(payload, payload + size, udp.begin() + kUdpHeaderSize);
  return WrapIpv4(source, destination, kProtocolUdp, udp.data(), udp.size());
}

std::optional<ParsedIpv4> ParseIpv4(const uint8_t *packet, size_t size) {
  if (size < kIpv4HeaderSize || (packet[0] >> 4) != 4) return std::nullopt;
  const size_t headerSize = size_t(packet[0] & 0x0f) * 4;
  const size_t total = (size_t(packet[2]) << 8) | packet[3];
  if (headerSize < kIpv4HeaderSize || total < headerSize || total > size) return std::nullopt;
  ParsedIpv4 parsed;
  parsed.source = Get32(packet + 12);
  parsed.destination = Get32(packet + 16);
  parsed.protocol = packet[9];
  parsed.headerSize = headerSize;
  parsed.payloadSize = total - headerSize;
  return parsed;
}

void SetIpv4Checksum(Bytes &packet) {
  if (packet.size() < kIpv4HeaderSize) return;
  const size_t headerSize = std::min(packet.size(), size_t(packet[0] & 0x0f) * 4);
  packet[10] = packet[11] = 0;
  Put16(&packet[10], InternetChecksum(packet.data(), headerSize));
}

} // namespace tunnelsim::emulate
