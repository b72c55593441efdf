// The GRE header: RFC 2784 (C bit, checksum, protocol type, version 0) with the RFC 2890 key
// (K bit) and sequence number (S bit) extensions.
//
//   0                   1                   2                   3
//   |C| |K|S| Reserved0       | Ver |         Protocol Type         |
//   |      Checksum (optional)      |       Reserved1 (optional)    |
//   |                         Key (optional)                        |
//   |                 Sequence Number (optional)                    |
#pragma once

#include "common/internet_checksum.h"

#include "crypto/bytes.h"

#include <cstdint>
#include <optional>

namespace tunnelsim::gre {

constexpr uint16_t kGreProtocolIpv4 = 0x0800;
constexpr uint16_t kGreProtocolIpv6 = 0x86DD;
constexpr size_t kGreBaseHeaderSize = 4;
constexpr size_t kGreMaxHeaderSize = 16;

struct GreHeader {
  bool checksumPresent = false;
  bool keyPresent = false;
  bool sequencePresent = false;
  uint16_t protocolType = 0;
  uint16_t checksum = 0; // as carried on the wire; filled in by WriteGreHeader's caller
  uint32_t key = 0;
  uint32_t sequence = 0;

  size_t Size() const {
    return kGreBaseHeaderSize + (checksumPresent ? 4 : 0) + (keyPresent ? 4 : 0) +
           (sequencePresent ? 4 : 0);
  }
};

enum class GreParseError {
  None,
  Truncated,       // shorter than the header its flags announce
  BadVersion,      // version field is not 0 (RFC 2784 section 2.3.1)
  ReservedBitsSet, // Reserved0 bits 1 or 4-12 set: RFC 2784 2.3 says discard (RFC 1701 routing
                   // etc.)
};

// Writes the header (checksum field as given in `header`) to `out`, which must hold
// header.Size() bytes. Returns the number of bytes written.
size_t WriteGreHeader(const GreHeader &header, uint8_t *out);

// Parses the header at the start of `packet`. On success also returns its length.
struct GreParseResult {
  std::optional<GreHeader> header;
  GreParseError error = GreParseError::None;
};
GreParseResult ParseGreHeader(crypto::ByteView packet);

// The Internet checksum (RFC 1071, common/internet_checksum.h) over a GRE packet.
inline uint16_t InternetChecksum(crypto::ByteView data) {
  return tunnelsim::InternetChecksum(data.data(), data.size());
}

} // namespace tunnelsim::gre
