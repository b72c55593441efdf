// UDP datagrams a hub sends from address-bound sockets go down with their route.
//
// ns-3's UdpSocketImpl hands a datagram from a socket bound to a specific local address to the
// IPv4 layer without a route, and Ipv4L3Protocol::Send then walks every interface's addresses
// for a subnet-directed broadcast match before asking the routing protocol: O(interfaces) per
// datagram. tunnelsim-ipsec-hub's hub has one IKE socket per spoke, each bound to the hub's
// address on that spoke's link, and 2N interfaces, so every IKE message it sent cost O(N) (14 %
// of its samples at 1000 spokes). RouteHubUdpSends wraps the node's UDP down target: a datagram
// without a route to a plain unicast destination gets the route the node's routing protocol
// gives (as Send would ask it after the walk); broadcast, multicast and the subnet-directed
// broadcast addresses of the node's interfaces (collected when called) keep ns-3's own path, as
// does a destination without a route (Send drops and traces it).
#pragma once

#include "ns3/node.h"

namespace tunnelsim::hub {

// Call after the node's addresses exist (later ones' directed broadcasts are not known).
void RouteHubUdpSends(ns3::Ptr<ns3::Node> hub);

} // namespace tunnelsim::hub
