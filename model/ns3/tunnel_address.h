// Conversions between ns-3's addresses and the protocol cores' tunnelsim::IpAddress, so the
// adapters never spell out byte copies.
#pragma once

#include "common/ip_address.h"

#include "ns3/address.h"
#include "ns3/ipv4-address.h"
#include "ns3/ipv6-address.h"

#include <optional>

namespace ns3 {

tunnelsim::IpAddress ToTunnelsim(Ipv4Address address);
tunnelsim::IpAddress ToTunnelsim(const Ipv6Address &address);
Ipv4Address ToNs3Ipv4(const tunnelsim::IpAddress &address); // address must be IPv4
Ipv6Address ToNs3Ipv6(const tunnelsim::IpAddress &address); // address must be IPv6

// An InetSocketAddress or Inet6SocketAddress as (address, port); empty for other kinds.
std::optional<std::pair<tunnelsim::IpAddress, uint16_t>> FromSocketAddress(const Address &a);
// The matching InetSocketAddress or Inet6SocketAddress.
Address ToSocketAddress(const tunnelsim::IpAddress &address, uint16_t port);

} // namespace ns3
