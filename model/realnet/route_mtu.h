// The MTU of the kernel's route to an address: what a daemon's outer packets to a peer may
// carry (the device MTU, or a path MTU the kernel learned). Shared by wg-up and ipsec-up for
// --pmtu-discovery.
#pragma once

#include "common/ip_address.h"

#include <cstdint>
#include <optional>

namespace tunnelsim::realnet {

// A connected UDP socket's IP_MTU / IPV6_MTU towards `peer`; nothing is sent. Empty when the
// kernel has no route or the value cannot be read.
std::optional<uint32_t> RouteMtuTo(const IpAddress &peer);

} // namespace tunnelsim::realnet
