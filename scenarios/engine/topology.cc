#include "topology.h"

#include "units.h"

#include "ns3/ipv4-global-routing-helper.h"

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;

ns3::DataRate Rate(const json &table, const char *key) {
  return ns3::DataRate(*ParseDataRateBps(table.at(key).get<std::string>()));
}

ns3::Time Delay(const json &table, const char *key) {
  return ns3::NanoSeconds(*ParseDurationNs(table.at(key).get<std::string>()));
}

// The links by the names impairments and pcaps use, in PathLink order.
constexpr std::array<const char *, kPathLinks> kLinkNames = {"home_lan", "access", "wan",
                                                             "work_lan"};

} // namespace

FiveNodePathConfig PathConfigFromScenario(const json &topology) {
  FiveNodePathConfig config;
  const ns3::DataRate lan = Rate(topology, "lan_rate");
  const ns3::DataRate wan = Rate(topology, "wan_rate");
  const ns3::Time lanDelay = Delay(topology, "lan_delay");
  config.links = {{{lan, lan, lanDelay},
                   {Rate(topology, "access_up_rate"), Rate(topology, "access_down_rate"),
                    Delay(topology, "access_delay")},
                   {wan, wan, Delay(topology, "wan_delay")},
                   {lan, lan, lanDelay}}};
  config.subnets = HomeToWorkSubnets();
  config.queuePackets = topology.at("queue_packets").get<uint32_t>();
  config.mtu = topology.at("mtu").get<uint32_t>();
  return config;
}

Topology BuildTopology(const json &topology) {
  const FiveNodePath path = BuildFiveNodePath(PathConfigFromScenario(topology));
  Topology t;
  t.nodes = path.nodes;
  t.homeHost = path.HomeHost();
  t.homeGateway = path.HomeGateway();
  t.wanRouter = path.WanRouter();
  t.workGateway = path.WorkGateway();
  t.workHost = path.WorkHost();
  for (std::size_t link = 0; link < kPathLinks; ++link) {
    t.links[kLinkNames[link]] = path.links[link];
    t.interfaces[kLinkNames[link]] = path.interfaces[link];
  }
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  return t;
}

} // namespace tunnelsim::scenario
