#include "gre/gre_tunnel.h"

#include "common/ip_packet.h"

namespace tunnelsim::gre {

GreTunnel::GreTunnel(const GreConfig &config)
    : config_(config), outputSequence_(config.initialSequence) {}

std::optional<crypto::Bytes> GreTunnel::Encapsulate(crypto::ByteView innerPacket) {
  crypto::Bytes out;
  if (!Encapsulate(innerPacket, out)) return std::nullopt;
  return out;
}

bool GreTunnel::Encapsulate(crypto::ByteView innerPacket, crypto::Bytes &out) {
  auto info = ParseIpPacket(innerPacket.data(), innerPacket.size());
  if (!info) {
    ++counters_.txInvalidInner;
    return false;
  }
  GreHeader header;
  header.protocolType = info->version == 4 ? kGreProtocolIpv4 : kGreProtocolIpv6;
  header.checksumPresent = config_.outputChecksum;
  if (config_.outputKey) {
    header.keyPresent = true;
    header.key = *config_.outputKey;
  }
  if (config_.outputSequence) {
    header.sequencePresent = true;
    header.sequence = outputSequence_++;
  }
  out.resize(header.Size() + innerPacket.size());
  size_t headerSize = WriteGreHeader(header, out.data());
  std::copy(innerPacket.begin(), innerPacket.end(), out.begin() + headerSize);
  if (header.checksumPresent) {
    // RFC 2784 2.5: the checksum covers the GRE header and payload, computed with the
    // checksum field zero; the field is the first 16 bits after the flags word.
    uint16_t checksum = InternetChecksum(out);
    out[4] = uint8_t(checksum >> 8);
    out[5] = uint8_t(checksum);
  }
  ++counters_.encapsulated;
  return true;
}

std::optional<GreDecapsulated> GreTunnel::Decapsulate(crypto::ByteView grePacket) {
  std::optional<GreDecapsulatedView> view = DecapsulateView(grePacket);
  if (!view) return std::nullopt;
  return GreDecapsulated{view->header, view->innerPacket.ToBytes()};
}

std::optional<GreDecapsulatedView> GreTunnel::DecapsulateView(crypto::ByteView grePacket) {
  GreParseResult parsed = ParseGreHeader(grePacket);
  switch (parsed.error) {
  case GreParseError::None:
    break;
  case GreParseError::Truncated:
    ++counters_.dropTruncated;
    return std::nullopt;
  case GreParseError::BadVersion:
    ++counters_.dropBadVersion;
    return std::nullopt;
  case GreParseError::ReservedBitsSet:
    ++counters_.dropReservedBits;
    return std::nullopt;
  }
  const GreHeader &header = *parsed.header;
  // Linux validates a present checksum whatever icsum says (gre_parse_header), and with
  // icsum drops packets that carry none (ip_tunnel_rcv).
  if (header.checksumPresent && InternetChecksum(grePacket) != 0) {
    ++counters_.dropBadChecksum;
    return std::nullopt;
  }
  if (!header.checksumPresent && config_.inputChecksum) {
    ++counters_.dropMissingChecksum;
    return std::nullopt;
  }
  // Linux looks tunnels up by key: a keyed tunnel never sees unkeyed packets and vice versa.
  if (header.keyPresent != config_.inputKey.has_value() ||
      (header.keyPresent && header.key != *config_.inputKey)) {
    ++counters_.dropKeyMismatch;
    return std::nullopt;
  }
  if (config_.inputSequence == GreSequenceMode::DropOutOfOrder) {
    if (!header.sequencePresent) {
      ++counters_.dropMissingSequence;
      return std::nullopt;
    }
    // ip_tunnel_rcv: drop when i_seqno != 0 and (s32)(seq - i_seqno) < 0, then
    // i_seqno = seq + 1. i_seqno is last accepted + 1, so this drops every sequence number
    // that is not newer than the last accepted one in serial-number arithmetic (RFC 1982).
    // i_seqno == 0 (nothing accepted yet, or the last accepted was 0xFFFFFFFF) accepts any.
    if (inputSequence_ != 0 && int32_t(header.sequence - inputSequence_) < 0) {
      ++counters_.dropOutOfSequence;
      return std::nullopt;
    }
  }
  uint16_t expectedVersion = 0;
  if (header.protocolType == kGreProtocolIpv4) {
    expectedVersion = 4;
  } else if (header.protocolType == kGreProtocolIpv6) {
    expectedVersion = 6;
  } else {
    ++counters_.dropUnknownProtocol;
    return std::nullopt;
  }
  crypto::ByteView inner = grePacket.subview(header.Size());
  auto info = ParseIpPacket(inner.data(), inner.size());
  if (!info || info->version != expectedVersion) {
    ++counters_.dropInvalidInner;
    return std::nullopt;
  }
  if (config_.inputSequence == GreSequenceMode::DropOutOfOrder) {
    inputSequence_ = header.sequence + 1;
  }
  ++counters_.decapsulated;
  return GreDecapsulatedView{header, inner.subview(0, info->totalLength)};
}

} // namespace tunnelsim::gre
