// Path MTU discovery's router half for a gateway in front of a tunnel (RFC 1191, RFC 792): an
// IPv4 packet with Don't Fragment set that is larger than the tunnel can carry is dropped and
// answered with ICMP Destination Unreachable, "fragmentation needed and DF set" (type 3, code
// 4), carrying the next-hop MTU, as a Linux gateway does. Sans-IO: these functions only look at
// and build byte buffers; the adapter writes the answer towards the sender.
#pragma once

#include "internet_checksum.h"
#include "ip_address.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tunnelsim {

constexpr uint8_t kIcmpDestinationUnreachable = 3;
constexpr uint8_t kIcmpFragmentationNeeded = 4;
// RFC 1812 4.3.2.3: an ICMP error quotes as much of the packet as fits in 576 bytes.
constexpr size_t kIcmpErrorMaxSize = 576;

// True when `packet` is a well-formed IPv4 packet longer than `mtu` with DF set that deserves
// a fragmentation-needed answer: not a non-first fragment, and not itself an ICMP error
// (RFC 1812 4.3.2.7: no ICMP error about an ICMP error).
bool NeedsFragmentationNeeded(const uint8_t *packet, size_t size, uint32_t mtu);

// The ICMP error for `packet` (an IPv4 packet), from `source` to the packet's sender: a
// 20-byte IPv4 header (TTL 64, no options) and the ICMP message with `nextHopMtu` and the
// quoted start of the packet (its header and as much data as fits in kIcmpErrorMaxSize).
// Empty when `packet` is not well-formed IPv4 or `source` is not IPv4.
std::optional<std::vector<uint8_t>> BuildFragmentationNeeded(const uint8_t *packet, size_t size,
                                                             uint16_t nextHopMtu,
                                                             const IpAddress &source);

} // namespace tunnelsim
