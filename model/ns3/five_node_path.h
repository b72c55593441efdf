// The one builder of the home-to-work path every ns-3 run in tunnelsim crosses (the scenario
// engine, the ns-3 tunnel tests, the example programs):
//
//   home host --home LAN-- home gateway ==access== WAN router ==WAN== work gateway
//   --work LAN-- work host
//
// Point-to-point links, each with a drop-tail device queue and (by default) no queue disc, so
// the bottleneck behaves the same with and without a tunnel. The callers differ only in
// values (rates, delays, addressing plan, IPv6 stack, build order), which come in as plain
// config: no scenario file and no JSON here.
#pragma once

#include "ns3/data-rate.h"
#include "ns3/ipv4-address.h"
#include "ns3/ipv4-interface-container.h"
#include "ns3/net-device-container.h"
#include "ns3/node-container.h"
#include "ns3/nstime.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace tunnelsim {

// The four links in path order; also the index into FiveNodePath's arrays.
enum class PathLink : std::size_t { kHomeLan = 0, kAccess = 1, kWan = 2, kWorkLan = 3 };
inline constexpr std::size_t kPathLinks = 4;

// One link's rates and delay. Device 0 of every link is on the home side, so `up` (towards
// work) is device 0's transmit rate and `down` (towards home) device 1's.
struct PathLinkConfig {
  ns3::DataRate up;
  ns3::DataRate down;
  ns3::Time delay;
};

// One link's IPv4 subnet and the host parts of its two ends (home side, work side).
struct PathSubnet {
  ns3::Ipv4Address network;
  ns3::Ipv4Mask mask;
  uint32_t homeSideHost = 1;
  uint32_t workSideHost = 2;
};

struct FiveNodePathConfig {
  std::array<PathLinkConfig, kPathLinks> links; // indexed by PathLink
  std::array<PathSubnet, kPathLinks> subnets;   // indexed by PathLink
  uint32_t queuePackets = 1000;                 // drop-tail device queue of every device
  uint32_t mtu = 1500;                          // of every device
  bool ipv6Stack = true;                        // install IPv6 beside IPv4 on every node
  // ns-3 numbers channels, node devices and IPv4 interfaces in the order links are created and
  // addressed, and those numbers show in traces (pcap names, interface indices). Each caller
  // keeps the order its results were recorded with: the engine's is path order, the ns-3
  // tunnel tests' both LANs first.
  std::array<PathLink, kPathLinks> buildOrder = {PathLink::kHomeLan, PathLink::kAccess,
                                                 PathLink::kWan, PathLink::kWorkLan};
};

struct FiveNodePath {
  // Created in path order, so node ids 0..4 are home host .. work host.
  ns3::NodeContainer nodes;
  std::array<ns3::NetDeviceContainer, kPathLinks> links;          // indexed by PathLink
  std::array<ns3::Ipv4InterfaceContainer, kPathLinks> interfaces; // (home side, work side)

  ns3::Ptr<ns3::Node> HomeHost() const { return nodes.Get(0); }
  ns3::Ptr<ns3::Node> HomeGateway() const { return nodes.Get(1); }
  ns3::Ptr<ns3::Node> WanRouter() const { return nodes.Get(2); }
  ns3::Ptr<ns3::Node> WorkGateway() const { return nodes.Get(3); }
  ns3::Ptr<ns3::Node> WorkHost() const { return nodes.Get(4); }
  const ns3::NetDeviceContainer &Link(PathLink link) const {
    return links[static_cast<std::size_t>(link)];
  }
  const ns3::Ipv4InterfaceContainer &Interfaces(PathLink link) const {
    return interfaces[static_cast<std::size_t>(link)];
  }
};

// The addressing of the scenario engine's path and of its plain ns-3 reference
// (scenarios/examples/baseline.cc): home LAN 192.168.1.0/24, access 100.64.0.0/30, WAN
// 198.51.100.0/30, work LAN 10.1.0.0/24, each end numbered 1 (home side) and 2 (work side).
std::array<PathSubnet, kPathLinks> HomeToWorkSubnets();

// Creates the nodes, installs the internet stack (so TCP defaults must be set before), creates
// the links and assigns the addresses in config.buildOrder. Routing is the caller's: the
// tunnels add their routes before global routes are computed.
FiveNodePath BuildFiveNodePath(const FiveNodePathConfig &config);

} // namespace tunnelsim
