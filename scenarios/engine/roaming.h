// topology.roam_at: the home gateway's access-link address (and its WAN router peer's) move to
// a new /30 at a given time, as after a NAT rebinding or a new DHCP lease. Routes are
// recomputed; tunnels must notice on their own.
#pragma once

#include "topology.h"

#include "ns3/nstime.h"

namespace tunnelsim::scenario {

// The home gateway's address after the move.
ns3::Ipv4Address RoamedHomeGatewayAddress();

void ScheduleRoaming(const Topology &topology, ns3::Time at);

} // namespace tunnelsim::scenario
