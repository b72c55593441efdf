#include "tunnel_address.h"

#include "ns3/inet-socket-address.h"
#include "ns3/inet6-socket-address.h"

namespace ns3 {

tunnelsim::IpAddress ToTunnelsim(Ipv4Address address) {
  return tunnelsim::IpAddress::V4(address.Get());
}

tunnelsim::IpAddress ToTunnelsim(const Ipv6Address &address) {
  uint8_t bytes[16];
  address.GetBytes(bytes);
  return tunnelsim::IpAddress::V6(bytes);
}

Ipv4Address ToNs3Ipv4(const tunnelsim::IpAddress &address) {
  return Ipv4Address(address.ToV4HostOrder());
}

Ipv6Address ToNs3Ipv6(const tunnelsim::IpAddress &address) {
  uint8_t bytes[16];
  std::copy(address.data(), address.data() + 16, bytes);
  return Ipv6Address(bytes);
}

std::optional<std::pair<tunnelsim::IpAddress, uint16_t>> FromSocketAddress(const Address &a) {
  if (InetSocketAddress::IsMatchingType(a)) {
    InetSocketAddress inet = InetSocketAddress::ConvertFrom(a);
    return std::make_pair(ToTunnelsim(inet.GetIpv4()), inet.GetPort());
  }
  if (Inet6SocketAddress::IsMatchingType(a)) {
    Inet6SocketAddress inet6 = Inet6SocketAddress::ConvertFrom(a);
    return std::make_pair(ToTunnelsim(inet6.GetIpv6()), inet6.GetPort());
  }
  return std::nullopt;
}

Address ToSocketAddress(const tunnelsim::IpAddress &address, uint16_t port) {
  if (address.IsV4()) return InetSocketAddress(ToNs3Ipv4(address), port);
  return Inet6SocketAddress(ToNs3Ipv6(address), port);
}

} // namespace ns3
