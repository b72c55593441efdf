// Interface addresses and routes through rtnetlink, as `ip address add` and `ip route add`
// would set them (wg-quick's Address= and the routes for AllowedIPs).
#pragma once

#include "common/ip_address.h"

#include <string>

namespace tunnelsim::realnet {

// Adds `address`/`prefixLength` (host bits kept, as in "10.0.0.1/24") to interface
// `ifindex`; an address already present counts as success.
bool AddInterfaceAddress(int ifindex, const IpAddress &address, unsigned prefixLength,
                         std::string &error);
// Routes `prefix` to interface `ifindex`; an identical route already present counts as success.
bool AddInterfaceRoute(int ifindex, const IpPrefix &prefix, std::string &error);

} // namespace tunnelsim::realnet
