#include "gre/gre_header.h"

namespace tunnelsim::gre {

namespace {
constexpr uint16_t kFlagChecksum = 0x8000;
constexpr uint16_t kFlagKey = 0x2000;
constexpr uint16_t kFlagSequence = 0x1000;
constexpr uint16_t kVersionMask = 0x0007;
// Bit 1 (routing in RFC 1701) and bits 4-12 (strict source route, recursion, flags).
constexpr uint16_t kReservedMask = 0x4FF8;

void Put16(uint8_t *p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void Put32(uint8_t *p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}
uint16_t Get16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t Get32(const uint8_t *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
} // namespace

size_t WriteGreHeader(const GreHeader &header, uint8_t *out) {
  uint16_t flags = 0;
  if (header.checksumPresent) flags |= kFlagChecksum;
  if (header.keyPresent) flags |= kFlagKey;
  if (header.sequencePresent) flags |= kFlagSequence;
  Put16(out, flags);
  Put16(out + 2, header.protocolType);
  size_t offset = 4;
  if (header.checksumPresent) {
    Put16(out + offset, header.checksum);
    Put16(out + offset + 2, 0); // Reserved1
    offset += 4;
  }
  if (header.keyPresent) {
    Put32(out + offset, header.key);
    offset += 4;
  }
  if (header.sequencePresent) {
    Put32(out + offset, header.sequence);
    offset += 4;
  }
  return offset;
}

GreParseResult ParseGreHeader(crypto::ByteView packet) {
  GreParseResult result;
  if (packet.size() < kGreBaseHeaderSize) {
    result.error = GreParseError::Truncated;
    return result;
  }
  uint16_t flags = Get16(packet.data());
  if ((flags & kVersionMask) != 0) {
    result.error = GreParseError::BadVersion;
    return result;
  }
  if ((flags & kReservedMask) != 0) {
    result.error = GreParseError::ReservedBitsSet;
    return result;
  }
  GreHeader header;
  header.checksumPresent = flags & kFlagChecksum;
  header.keyPresent = flags & kFlagKey;
  header.sequencePresent = flags & kFlagSequence;
  header.protocolType = Get16(packet.data() + 2);
  if (packet.size() < header.Size()) {
    result.error = GreParseError::Truncated;
    return result;
  }
  size_t offset = 4;
  if (header.checksumPresent) {
    header.checksum = Get16(packet.data() + offset);
    offset += 4;
  }
  if (header.keyPresent) {
    header.key = Get32(packet.data() + offset);
    offset += 4;
  }
  if (header.sequencePresent) header.sequence = Get32(packet.data() + offset);
  result.header = header;
  return result;
}

} // namespace tunnelsim::gre
