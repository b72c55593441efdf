// The home-to-work path of every scenario: [topology] translated into the one five-node path
// builder's config (model/ns3/five_node_path.h), with the engine's addressing and link names:
//   home host --home_lan-- home gateway ==access (asymmetric)== WAN router --wan-- work gateway
//   --work_lan-- work host
// Each link is a point-to-point pair whose device 0 is on the home side, so "up" (towards
// work) leaves from device 0 and "down" (towards home) from device 1.
#pragma once

#include "ns3/five_node_path.h"
#include "ns3/ipv4-interface-container.h"
#include "ns3/net-device-container.h"
#include "ns3/node-container.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace tunnelsim::scenario {

struct Topology {
  ns3::NodeContainer nodes;
  ns3::Ptr<ns3::Node> homeHost, homeGateway, wanRouter, workGateway, workHost;
  // Keyed by the link names impairments use: home_lan, access, wan, work_lan.
  std::map<std::string, ns3::NetDeviceContainer> links;
  std::map<std::string, ns3::Ipv4InterfaceContainer> interfaces;

  ns3::Ipv4Address HomeHostAddress() const { return interfaces.at("home_lan").GetAddress(0); }
  ns3::Ipv4Address WorkHostAddress() const { return interfaces.at("work_lan").GetAddress(1); }
};

// The builder's config for a resolved [topology] table: its rates, delays, queue and MTU; the
// addressing HomeToWorkSubnets(); IPv6 stack on.
FiveNodePathConfig PathConfigFromScenario(const nlohmann::json &topology);

// Creates nodes, links, addresses and global routes. Installs the internet stack, so TCP
// defaults must be set before.
Topology BuildTopology(const nlohmann::json &topology);

} // namespace tunnelsim::scenario
