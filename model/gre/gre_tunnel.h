// One GRE tunnel end point as Linux's ip_gre configures it (ip link add type gre key/ikey/okey,
// seq/iseq/oseq, csum/icsum/ocsum): encapsulation of IPv4/IPv6 packets into GRE payloads and
// validated decapsulation with drop counters. The outer IP header is the caller's business:
// Encapsulate returns what goes after it (IP protocol 47), Decapsulate takes the same.
#pragma once

#include "crypto/bytes.h"
#include "gre/gre_header.h"

#include <cstdint>
#include <optional>

namespace tunnelsim::gre {

enum class GreSequenceMode {
  // Sequence numbers, if present, are ignored (Linux without iseq).
  Accept,
  // Linux `iseq`: packets without a sequence number are dropped, and so is every packet whose
  // sequence number is not newer than the last accepted one (see GreTunnel::Decapsulate).
  DropOutOfOrder,
};

struct GreConfig {
  std::optional<uint32_t> outputKey; // okey: sets the K bit and key on transmit
  std::optional<uint32_t> inputKey;  // ikey: received packets must carry exactly this key
  bool outputSequence = false;       // oseq
  GreSequenceMode inputSequence = GreSequenceMode::Accept; // iseq when DropOutOfOrder
  bool outputChecksum = false;                             // ocsum
  bool inputChecksum = false; // icsum: packets without a checksum are dropped
  // First sequence number sent; Linux (since 4.x) sends 0 first, older kernels sent 1.
  uint32_t initialSequence = 0;
};

struct GreCounters {
  uint64_t encapsulated = 0;
  uint64_t decapsulated = 0;
  uint64_t txInvalidInner = 0;      // the packet handed to Encapsulate was not IPv4/IPv6
  uint64_t dropTruncated = 0;       // shorter than its header
  uint64_t dropBadVersion = 0;      // GRE version != 0
  uint64_t dropReservedBits = 0;    // RFC 1701 bits or Reserved0 set
  uint64_t dropBadChecksum = 0;     // checksum present and wrong
  uint64_t dropMissingChecksum = 0; // icsum and no checksum
  uint64_t dropKeyMismatch = 0;     // key absent, unexpected or different
  uint64_t dropMissingSequence = 0; // iseq and no sequence number
  uint64_t dropOutOfSequence = 0;   // iseq and sequence number not newer
  uint64_t dropUnknownProtocol = 0; // protocol type other than 0x0800 / 0x86DD
  uint64_t dropInvalidInner = 0;    // payload is not a well-formed packet of that type

  uint64_t TotalDrops() const {
    return dropTruncated + dropBadVersion + dropReservedBits + dropBadChecksum +
           dropMissingChecksum + dropKeyMismatch + dropMissingSequence + dropOutOfSequence +
           dropUnknownProtocol + dropInvalidInner;
  }
};

struct GreDecapsulated {
  GreHeader header;
  crypto::Bytes innerPacket; // the IPv4/IPv6 packet carried
};

// As GreDecapsulated, the inner packet a view into the GRE packet it was taken from.
struct GreDecapsulatedView {
  GreHeader header;
  crypto::ByteView innerPacket;
};

class GreTunnel {
public:
  explicit GreTunnel(const GreConfig &config);

  // GRE header + the packet. Empty (and counted) when `innerPacket` is not a well-formed
  // IPv4 or IPv6 packet; the protocol type is taken from its version.
  std::optional<crypto::Bytes> Encapsulate(crypto::ByteView innerPacket);
  // The same into `out` (its contents replaced, its capacity reused); false when Encapsulate
  // returns empty.
  bool Encapsulate(crypto::ByteView innerPacket, crypto::Bytes &out);

  // Validates a received GRE payload in the order Linux does (header, checksum, key,
  // sequence) and returns the inner packet, or counts the drop by reason and returns empty.
  std::optional<GreDecapsulated> Decapsulate(crypto::ByteView grePacket);
  // The same without copying the inner packet out of `grePacket`.
  std::optional<GreDecapsulatedView> DecapsulateView(crypto::ByteView grePacket);

  const GreCounters &counters() const { return counters_; }
  const GreConfig &config() const { return config_; }
  // The next sequence number to send, and Linux's i_seqno (last accepted + 1, 0 = none).
  uint32_t nextOutputSequence() const { return outputSequence_; }
  uint32_t expectedInputSequence() const { return inputSequence_; }

private:
  GreConfig config_;
  GreCounters counters_;
  uint32_t outputSequence_;
  uint32_t inputSequence_ = 0;
};

} // namespace tunnelsim::gre
