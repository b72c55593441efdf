#define BOOST_TEST_MODULE five_node_path_tests
// model/ns3/five_node_path.h, the one builder of the home-to-work path: what each caller's
// config asks for (rates per direction, delays, queues, MTU, addresses, IPv6, numbering) is
// what the built devices have. Callers: the engine (PathConfigFromScenario), the ns-3 tests'
// and examples' SitePath, the plain ns-3 baseline.
#include <boost/test/unit_test.hpp>

#include "scenario_loader.h"
#include "topology.h"

#include "ns3/five_node_path.h"
#include "ns3/site_path.h"

#include "ns3/ipv4-address-generator.h"
#include "ns3/ipv4.h"
#include "ns3/ipv6.h"
#include "ns3/point-to-point-net-device.h"
#include "ns3/queue.h"
#include "ns3/simulator.h"
#include "ns3/traffic-control-layer.h"

#include <stdexcept>

using namespace tunnelsim;
using ns3::DataRate;
using ns3::Ipv4Address;

namespace {

// Each case builds one path; the next needs a clean simulator and address generator.
struct Teardown {
  ~Teardown() {
    ns3::Simulator::Destroy();
    ns3::Ipv4AddressGenerator::Reset();
  }
};

DataRate RateOf(ns3::Ptr<ns3::NetDevice> device) {
  ns3::DataRateValue rate;
  device->GetAttribute("DataRate", rate);
  return rate.Get();
}

ns3::Time DelayOf(ns3::Ptr<ns3::NetDevice> device) {
  ns3::TimeValue delay;
  device->GetChannel()->GetAttribute("Delay", delay);
  return delay.Get();
}

uint32_t QueuePackets(ns3::Ptr<ns3::NetDevice> device) {
  const ns3::QueueSize size =
      ns3::DynamicCast<ns3::PointToPointNetDevice>(device)->GetQueue()->GetMaxSize();
  BOOST_TEST((size.GetUnit() == ns3::QueueSizeUnit::PACKETS));
  return size.GetValue();
}

bool HasQueueDisc(ns3::Ptr<ns3::NetDevice> device) {
  return device->GetNode()->GetObject<ns3::TrafficControlLayer>()->GetRootQueueDiscOnDevice(
             device) != nullptr;
}

FiveNodePathConfig EngineConfig(const std::vector<scenario::Override> &overrides) {
  return scenario::PathConfigFromScenario(
      scenario::LoadScenarioText("name = \"path\"\n", "path.toml", overrides)
          .resolved.at("topology"));
}

} // namespace

BOOST_AUTO_TEST_SUITE(five_node_path)

BOOST_AUTO_TEST_CASE(engine_defaults_build_the_asymmetric_access_and_its_addresses) {
  Teardown teardown;
  const FiveNodePath path = BuildFiveNodePath(EngineConfig({}));
  const ns3::NetDeviceContainer &access = path.Link(PathLink::kAccess);
  // Device 0 (home gateway) sends up towards work, device 1 (WAN router) down to the home.
  BOOST_TEST(RateOf(access.Get(0)) == DataRate("20Mbps"));
  BOOST_TEST(RateOf(access.Get(1)) == DataRate("100Mbps"));
  BOOST_TEST(DelayOf(access.Get(0)) == ns3::MilliSeconds(5));
  BOOST_TEST(DelayOf(path.Link(PathLink::kWan).Get(0)) == ns3::MilliSeconds(15));
  BOOST_TEST(RateOf(path.Link(PathLink::kWan).Get(1)) == DataRate("1Gbps"));
  BOOST_TEST(DelayOf(path.Link(PathLink::kWorkLan).Get(1)) == ns3::MicroSeconds(100));
  BOOST_TEST(path.Interfaces(PathLink::kHomeLan).GetAddress(0) == Ipv4Address("192.168.1.1"));
  BOOST_TEST(path.Interfaces(PathLink::kAccess).GetAddress(0) == Ipv4Address("100.64.0.1"));
  BOOST_TEST(path.Interfaces(PathLink::kAccess).GetAddress(1) == Ipv4Address("100.64.0.2"));
  BOOST_TEST(path.Interfaces(PathLink::kWan).GetAddress(1) == Ipv4Address("198.51.100.2"));
  BOOST_TEST(path.Interfaces(PathLink::kWorkLan).GetAddress(1) == Ipv4Address("10.1.0.2"));
  for (const ns3::NetDeviceContainer &link : path.links)
    for (uint32_t end = 0; end < 2; ++end) {
      BOOST_TEST(QueuePackets(link.Get(end)) == 1000u);
      BOOST_TEST(link.Get(end)->GetMtu() == 1500);
      BOOST_TEST(!HasQueueDisc(link.Get(end)));
    }
  BOOST_TEST(path.WorkHost()->GetObject<ns3::Ipv6>() != nullptr);
  // Path order: the work gateway's WAN device and interface come before its LAN's.
  BOOST_TEST(path.Link(PathLink::kWan).Get(1)->GetIfIndex() == 1u);
  BOOST_TEST(path.Link(PathLink::kWorkLan).Get(0)->GetIfIndex() == 2u);
  BOOST_TEST(path.WorkHost()->GetId() - path.HomeHost()->GetId() == 4u);
}

// The baseline program takes the queue and MTU from the builder's defaults: they must be the
// scenario's.
BOOST_AUTO_TEST_CASE(builder_defaults_are_the_scenario_defaults) {
  const FiveNodePathConfig scenario = EngineConfig({});
  const FiveNodePathConfig builder;
  BOOST_TEST(builder.queuePackets == scenario.queuePackets);
  BOOST_TEST(builder.mtu == scenario.mtu);
  BOOST_TEST(builder.ipv6Stack == scenario.ipv6Stack);
}

BOOST_AUTO_TEST_CASE(scenario_values_reach_every_device) {
  Teardown teardown;
  const FiveNodePath path =
      BuildFiveNodePath(EngineConfig({scenario::ParseOverride("topology.queue_packets=37"),
                                      scenario::ParseOverride("topology.mtu=1400"),
                                      scenario::ParseOverride("topology.access_up_rate=7Mbps"),
                                      scenario::ParseOverride("topology.lan_rate=250Mbps")}));
  BOOST_TEST(RateOf(path.Link(PathLink::kAccess).Get(0)) == DataRate("7Mbps"));
  BOOST_TEST(RateOf(path.Link(PathLink::kHomeLan).Get(1)) == DataRate("250Mbps"));
  for (const ns3::NetDeviceContainer &link : path.links)
    for (uint32_t end = 0; end < 2; ++end) {
      BOOST_TEST(QueuePackets(link.Get(end)) == 37u);
      BOOST_TEST(link.Get(end)->GetMtu() == 1400);
    }
}

BOOST_AUTO_TEST_CASE(site_path_keeps_the_tests_addresses_numbering_and_ipv4_only) {
  Teardown teardown;
  site_path::PathOptions options;
  options.accessRate = "30Mbps";
  options.queuePackets = 50;
  const site_path::SitePath path(options);
  BOOST_TEST(path.hostAAddress == Ipv4Address("10.1.0.1"));
  BOOST_TEST(path.hostBAddress == Ipv4Address("10.2.0.2"));
  BOOST_TEST(path.gwAOuter == Ipv4Address("100.64.0.1"));
  BOOST_TEST(path.gwBOuter == Ipv4Address("198.51.100.2"));
  const ns3::Ptr<ns3::Ipv4> router = path.router->GetObject<ns3::Ipv4>();
  const int32_t routerAccess = router->GetInterfaceForDevice(path.access.Get(1));
  BOOST_TEST(router->GetAddress(routerAccess, 0).GetLocal() == Ipv4Address("100.64.0.254"));
  BOOST_TEST(router->GetAddress(routerAccess, 0).GetMask() == ns3::Ipv4Mask("255.255.255.0"));
  // Both LANs first: gwB's LAN device and interface come before its WAN's.
  BOOST_TEST(path.lanB.Get(0)->GetIfIndex() == 1u);
  BOOST_TEST(path.wan.Get(1)->GetIfIndex() == 2u);
  BOOST_TEST(path.gwB->GetObject<ns3::Ipv4>()->GetInterfaceForDevice(path.wan.Get(1)) == 2);
  BOOST_TEST(path.hostA->GetObject<ns3::Ipv6>() == nullptr);
  BOOST_TEST(RateOf(path.access.Get(0)) == DataRate("30Mbps"));
  BOOST_TEST(RateOf(path.access.Get(1)) == DataRate("30Mbps"));
  BOOST_TEST(RateOf(path.lanA.Get(0)) == DataRate("1Gbps"));
  BOOST_TEST(QueuePackets(path.wan.Get(0)) == 50u);
  BOOST_TEST(!HasQueueDisc(path.access.Get(0)));
}

BOOST_AUTO_TEST_CASE(a_config_the_path_cannot_have_is_a_clear_error) {
  Teardown teardown;
  FiveNodePathConfig twice = EngineConfig({});
  twice.buildOrder = {PathLink::kHomeLan, PathLink::kHomeLan, PathLink::kWan, PathLink::kWorkLan};
  BOOST_CHECK_THROW(BuildFiveNodePath(twice), std::invalid_argument);
  FiveNodePathConfig broadcast = EngineConfig({});
  broadcast.subnets[1].workSideHost = 3; // the /30's broadcast address
  BOOST_CHECK_THROW(BuildFiveNodePath(broadcast), std::invalid_argument);
  FiveNodePathConfig same = EngineConfig({});
  same.subnets[0].workSideHost = same.subnets[0].homeSideHost;
  BOOST_CHECK_THROW(BuildFiveNodePath(same), std::invalid_argument);
  FiveNodePathConfig network = EngineConfig({});
  network.subnets[3].homeSideHost = 0;
  BOOST_CHECK_THROW(BuildFiveNodePath(network), std::invalid_argument);
  FiveNodePathConfig hostBits = EngineConfig({});
  hostBits.subnets[2].network = Ipv4Address("198.51.100.1");
  BOOST_CHECK_THROW(BuildFiveNodePath(hostBits), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
