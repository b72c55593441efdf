// Frames a hub's devices receive go straight to its IPv4 (or ARP) layer.
//
// ns-3 hands every received frame to the node's protocol handlers in turn, checking each one's
// device, and the traffic-control layer the node's IPv4 handler leads to does the same with its
// own list: Ipv4L3Protocol registers an IPv4 and an ARP handler per device in both, so a hub with
// a device per spoke walks about 4 entries per device for every frame it receives, O(spokes).
// ShortcutHubReceive replaces each of the hub's device receive callbacks with one that calls
// Ipv4L3Protocol::Receive (or ArpL3Protocol::Receive) directly, with the arguments the handlers
// would pass (destination the device's own address, packet type host). The traffic-control
// layer does nothing else with received frames, so what the node does with them is unchanged.
//
// Only for a node whose handlers are exactly those, as the hub programs' hub is (IPv4 only, no
// packet sockets, no promiscuous handlers): a frame of any other protocol is not delivered (the
// callback returns false, as the node does when no handler matches). Devices added later keep
// the node's own dispatch.
#pragma once

#include "ns3/node.h"

#include <cstdint>

namespace tunnelsim::hub {

// Returns the number of devices rewired.
uint32_t ShortcutHubReceive(ns3::Ptr<ns3::Node> hub);

} // namespace tunnelsim::hub
