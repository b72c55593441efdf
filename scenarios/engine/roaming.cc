#include "roaming.h"

#include "ns3/ipv4-global-routing-helper.h"
#include "ns3/ipv4.h"
#include "ns3/simulator.h"

namespace tunnelsim::scenario {
namespace {

void MoveAddress(ns3::Ptr<ns3::NetDevice> device, ns3::Ipv4Address to) {
  ns3::Ptr<ns3::Ipv4> ipv4 = device->GetNode()->GetObject<ns3::Ipv4>();
  const int32_t interface = ipv4->GetInterfaceForDevice(device);
  while (ipv4->GetNAddresses(interface) > 0)
    ipv4->RemoveAddress(interface, 0);
  ipv4->AddAddress(interface, ns3::Ipv4InterfaceAddress(to, ns3::Ipv4Mask("255.255.255.252")));
}

} // namespace

ns3::Ipv4Address RoamedHomeGatewayAddress() { return ns3::Ipv4Address("100.64.0.5"); }

void ScheduleRoaming(const Topology &topology, ns3::Time at) {
  const ns3::NetDeviceContainer access = topology.links.at("access");
  ns3::Simulator::Schedule(at, [access]() {
    MoveAddress(access.Get(0), RoamedHomeGatewayAddress());
    MoveAddress(access.Get(1), ns3::Ipv4Address("100.64.0.6"));
    ns3::Ipv4GlobalRoutingHelper::RecomputeRoutingTables();
  });
}

} // namespace tunnelsim::scenario
