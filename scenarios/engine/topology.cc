#include "topology.h"

#include "units.h"

#include "ns3/data-rate.h"
#include "ns3/internet-stack-helper.h"
#include "ns3/ipv4-address-helper.h"
#include "ns3/ipv4-global-routing-helper.h"
#include "ns3/point-to-point-helper.h"
#include "ns3/string.h"
#include "ns3/traffic-control-helper.h"
#include "ns3/uinteger.h"

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;

ns3::DataRate Rate(const json &table, const char *key) {
  return ns3::DataRate(*ParseDataRateBps(table.at(key).get<std::string>()));
}

ns3::Time Delay(const json &table, const char *key) {
  return ns3::NanoSeconds(*ParseDurationNs(table.at(key).get<std::string>()));
}

ns3::NetDeviceContainer Link(ns3::Ptr<ns3::Node> homeSide, ns3::Ptr<ns3::Node> workSide,
                             ns3::DataRate up, ns3::DataRate down, ns3::Time delay,
                             const json &topology) {
  ns3::PointToPointHelper p2p;
  p2p.SetChannelAttribute("Delay", ns3::TimeValue(delay));
  p2p.SetDeviceAttribute("Mtu", ns3::UintegerValue(topology.at("mtu").get<uint32_t>()));
  p2p.SetQueue(
      "ns3::DropTailQueue", "MaxSize",
      ns3::StringValue(std::to_string(topology.at("queue_packets").get<uint32_t>()) + "p"));
  ns3::NetDeviceContainer devices = p2p.Install(homeSide, workSide);
  // A point-to-point device's DataRate is its transmit rate, so two rates make it asymmetric.
  devices.Get(0)->SetAttribute("DataRate", ns3::DataRateValue(up));
  devices.Get(1)->SetAttribute("DataRate", ns3::DataRateValue(down));
  return devices;
}

} // namespace

Topology BuildTopology(const json &topology) {
  Topology t;
  t.nodes.Create(5);
  t.homeHost = t.nodes.Get(0);
  t.homeGateway = t.nodes.Get(1);
  t.wanRouter = t.nodes.Get(2);
  t.workGateway = t.nodes.Get(3);
  t.workHost = t.nodes.Get(4);
  ns3::InternetStackHelper internet;
  internet.Install(t.nodes);

  const ns3::DataRate lan = Rate(topology, "lan_rate");
  const ns3::DataRate wan = Rate(topology, "wan_rate");
  t.links["home_lan"] =
      Link(t.homeHost, t.homeGateway, lan, lan, Delay(topology, "lan_delay"), topology);
  t.links["access"] =
      Link(t.homeGateway, t.wanRouter, Rate(topology, "access_up_rate"),
           Rate(topology, "access_down_rate"), Delay(topology, "access_delay"), topology);
  t.links["wan"] =
      Link(t.wanRouter, t.workGateway, wan, wan, Delay(topology, "wan_delay"), topology);
  t.links["work_lan"] =
      Link(t.workGateway, t.workHost, lan, lan, Delay(topology, "lan_delay"), topology);

  ns3::Ipv4AddressHelper addresses;
  const std::pair<const char *, const char *> plan[] = {{"home_lan", "192.168.1.0"},
                                                        {"access", "100.64.0.0"},
                                                        {"wan", "198.51.100.0"},
                                                        {"work_lan", "10.1.0.0"}};
  for (const auto &[link, base] : plan) {
    const bool lanLink = std::string(link).find("lan") != std::string::npos;
    addresses.SetBase(base, lanLink ? "255.255.255.0" : "255.255.255.252");
    t.interfaces[link] = addresses.Assign(t.links[link]);
    // Assign() puts ns-3's default root queue disc (FqCoDel, 10240 packets) in front of each
    // device; the device then stops its own queue when full and the packets wait in the queue
    // disc, so queue_packets never dropped anything. Without it the device's drop-tail queue
    // is the queue that holds packets, as txqueuelen with a plain FIFO in Linux.
    ns3::TrafficControlHelper().Uninstall(t.links[link]);
  }
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  return t;
}

} // namespace tunnelsim::scenario
