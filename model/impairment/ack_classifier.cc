#include "impairment/ack_classifier.h"

#include "common/ip_packet.h"

#include <optional>

namespace tunnelsim::impairment {
namespace {

constexpr uint16_t kGreProtocolIpv4 = 0x0800;
constexpr uint16_t kGreProtocolIpv6 = 0x86dd;

bool IsPureAck(const IpPacketInfo &info) {
  if (!info.tcpFlags) return false;
  const uint8_t flags = *info.tcpFlags;
  return (flags & kTcpAck) != 0 && (flags & (kTcpSyn | kTcpFin | kTcpRst)) == 0 &&
         info.transportPayloadLength == 0;
}

// The IP packet a clear GRE packet (RFC 2784/2890) carries, if any.
std::optional<IpPacketInfo> ParseGreInner(const uint8_t *data, size_t size,
                                          const IpPacketInfo &outer) {
  size_t offset = outer.headerLength;
  if (size < offset + 4) return std::nullopt;
  const uint8_t flags = data[offset];
  const uint16_t protocol = static_cast<uint16_t>(data[offset + 2] << 8 | data[offset + 3]);
  if (protocol != kGreProtocolIpv4 && protocol != kGreProtocolIpv6) return std::nullopt;
  size_t length = 4;
  if (flags & 0x80) length += 4; // checksum + reserved
  if (flags & 0x20) length += 4; // key
  if (flags & 0x10) length += 4; // sequence number
  offset += length;
  if (size < offset) return std::nullopt;
  return ParseIpPacket(data + offset, size - offset);
}

} // namespace

AckClass ClassifyAck(const PacketRef &packet, const AckClassifierSettings &settings) {
  const bool smallEnough = packet.size <= settings.maxAckSize;
  if (settings.mode == AckClassifierSettings::Mode::kSize) {
    return smallEnough ? AckClass::kSizedLikeAck : AckClass::kNotAck;
  }
  std::optional<IpPacketInfo> info;
  if (packet.data != nullptr) info = ParseIpPacket(packet.data, packet.size);
  if (info && info->protocol == kIpProtoGre) {
    if (auto inner = ParseGreInner(packet.data, packet.size, *info)) info = inner;
  }
  if (info && info->protocol == kIpProtoTcp) {
    return IsPureAck(*info) ? AckClass::kPureAck : AckClass::kNotAck;
  }
  if (settings.mode == AckClassifierSettings::Mode::kTcpFlags) return AckClass::kNotAck;
  return smallEnough ? AckClass::kSizedLikeAck : AckClass::kNotAck;
}

} // namespace tunnelsim::impairment
