// Path MTU discovery in tunnelsim-ipsec-up (--pmtu-discovery), as a Linux IPsec gateway does
// it: an inner IPv4 packet with DF set that would make an ESP packet larger than the underlay
// path to the peer carries is dropped and answered, into the TUN, with ICMP "fragmentation
// needed" naming the tunnel's inner MTU. Linux itself answers only packets larger than the
// TUN's MTU (1400); this covers an underlay path smaller than the TUN MTU plus ESP overhead.
#pragma once

#include "route_mtu.h"

#include <cstdint>
#include <optional>

namespace tunnelsim::realnet {

// The largest inner packet an AEAD tunnel-mode ESP SA (8-byte IV, 16-byte ICV, RFC 4106 /
// RFC 7634) carries within `outerMtu` bytes of outer IPv4 packet, with or without UDP
// encapsulation (RFC 3948): outer header, [UDP,] SPI and sequence, IV, the inner packet padded
// with its 2 trailer bytes to a multiple of 4, ICV.
uint32_t EspTunnelInnerMtu(uint32_t outerMtu, bool udpEncapsulation);

} // namespace tunnelsim::realnet
