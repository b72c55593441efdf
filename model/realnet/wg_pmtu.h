// Path MTU discovery in tunnelsim-wg-up (--pmtu-discovery): an inner IPv4 packet with DF set
// that would make a WireGuard transport message larger than the underlay route to its peer's
// endpoint carries is dropped and answered, into the TUN, with ICMP "fragmentation needed"
// naming the tunnel's inner MTU. Linux answers packets over the interface MTU itself; this
// covers an underlay path smaller than the interface MTU plus WireGuard's overhead.
#pragma once

#include <cstdint>

namespace tunnelsim::realnet {

// The largest inner packet a WireGuard transport message carries within `outerMtu` bytes of
// outer packet: outer IP header (20, or 40 over IPv6), UDP (8), the message header (16), the
// packet padded to a multiple of 16 (never beyond the interface MTU), the tag (16). At most
// `interfaceMtu`.
uint32_t WireGuardInnerMtu(uint32_t outerMtu, bool ipv6Outer, uint32_t interfaceMtu);

} // namespace tunnelsim::realnet
