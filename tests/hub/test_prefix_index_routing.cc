// PrefixIndexRouting (programs/hub-common) must give exactly the route Ipv4StaticRouting's linear
// lookup gives, for every destination: the same destination, gateway, source and output device,
// or no route when the static table has none, including its tie rules (the first /32 in table
// order whatever the metrics; for shorter prefixes the lowest metric, the last of equal ones).
#include "prefix_index_routing.h"

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include <boost/test/unit_test.hpp>

#include <random>
#include <vector>

using namespace ns3;
namespace hub = tunnelsim::hub;

namespace {

// A router with one point-to-point link (a /30) to each of `links` neighbours.
struct Router {
  Ptr<Node> node;
  Ptr<Ipv4> ipv4;
  Ptr<Ipv4StaticRouting> staticRouting;
  std::vector<Ipv4Address> neighbourAddress; // the far end of link i (interface i + 1)
};

Router BuildRouter(uint32_t links) {
  Router router;
  router.node = CreateObject<Node>();
  NodeContainer neighbours;
  neighbours.Create(links);
  InternetStackHelper internet;
  internet.SetIpv6StackInstall(false);
  internet.Install(router.node);
  internet.Install(neighbours);
  PointToPointHelper p2p;
  Ipv4AddressHelper addresses;
  addresses.SetBase("10.128.0.0", "255.255.255.252");
  for (uint32_t i = 0; i < links; ++i) {
    Ipv4InterfaceContainer ifs = addresses.Assign(p2p.Install(router.node, neighbours.Get(i)));
    router.neighbourAddress.push_back(ifs.GetAddress(1));
    addresses.NewNetwork();
  }
  router.ipv4 = router.node->GetObject<Ipv4>();
  router.staticRouting = Ipv4StaticRoutingHelper().GetStaticRouting(router.ipv4);
  return router;
}

Ptr<Ipv4Route> StaticLookup(const Router &router, Ipv4Address destination) {
  Ipv4Header header;
  header.SetDestination(destination);
  Socket::SocketErrno error;
  return router.staticRouting->RouteOutput(Create<Packet>(), header, nullptr, error);
}

// Compares the two lookups for one destination; returns false (and reports) on a difference.
bool SameRoute(const Router &router, hub::PrefixIndexRouting &index, Ipv4Address destination) {
  Ptr<Ipv4Route> expected = StaticLookup(router, destination);
  Ptr<Ipv4Route> got = index.Lookup(destination);
  BOOST_TEST_CONTEXT("destination " << destination) {
    BOOST_CHECK_EQUAL(bool(got), bool(expected));
    if (!got || !expected) return bool(got) == bool(expected);
    BOOST_CHECK_EQUAL(got->GetDestination(), expected->GetDestination());
    BOOST_CHECK_EQUAL(got->GetGateway(), expected->GetGateway());
    BOOST_CHECK_EQUAL(got->GetSource(), expected->GetSource());
    BOOST_CHECK(got->GetOutputDevice() == expected->GetOutputDevice());
    return got->GetDestination() == expected->GetDestination() &&
           got->GetGateway() == expected->GetGateway() &&
           got->GetSource() == expected->GetSource() &&
           got->GetOutputDevice() == expected->GetOutputDevice();
  }
  return false;
}

} // namespace

BOOST_AUTO_TEST_CASE(index_matches_static_routing_on_every_destination) {
  constexpr uint32_t kLinks = 40;
  Router router = BuildRouter(kLinks);
  Ptr<Ipv4StaticRouting> table = router.staticRouting;
  std::mt19937 rng(19);
  auto link = [&](uint32_t i) { return router.neighbourAddress[i % kLinks]; };
  std::vector<Ipv4Address> destinations;

  // Ties the index must break as LookupStatic does.
  const Ipv4Address host("10.99.7.7");
  table->AddHostRouteTo(host, link(3), 4, 5); // first /32: wins despite its higher metric
  table->AddHostRouteTo(host, link(4), 5, 1);
  table->AddNetworkRouteTo("10.99.4.0", "255.255.255.0", link(5), 6, 3);
  table->AddNetworkRouteTo("10.99.4.0", "255.255.255.0", link(6), 7, 3); // equal: the last wins
  table->AddNetworkRouteTo("10.99.5.0", "255.255.255.0", link(7), 8, 2); // lower metric wins
  table->AddNetworkRouteTo("10.99.5.0", "255.255.255.0", link(8), 9, 4);
  table->AddNetworkRouteTo("10.99.0.0", "255.255.0.0", link(9), 10, 0);
  table->AddNetworkRouteTo("10.0.0.0", "255.0.0.0", link(10), 11, 0);
  table->AddNetworkRouteTo("10.99.6.0", "255.255.255.128", link(11), 12, 0);
  // A host route inside a connected /30, and an unmasked network address (LookupStatic masks).
  table->AddHostRouteTo("10.128.0.6", link(12), 13, 0);
  table->AddNetworkRouteTo("172.16.9.77", "255.255.0.0", link(13), 14, 0);
  for (const char *address : {"10.99.7.7", "10.99.4.1", "10.99.4.255", "10.99.5.9", "10.99.6.1",
                              "10.99.6.200", "10.99.9.9", "10.1.2.3", "10.128.0.6", "10.128.0.5",
                              "172.16.0.1", "172.17.0.1", "192.168.1.1", "10.128.0.7"})
    destinations.emplace_back(address);

  // Many host and network routes of random lengths, metrics and links, duplicates included.
  for (int i = 0; i < 400; ++i) {
    const uint32_t length = std::uniform_int_distribution<uint32_t>(8, 32)(rng);
    const uint32_t mask = ~uint32_t(0) << (32 - length);
    const uint32_t network = (0x0A630000u | (rng() & 0xFFFF)) & mask; // inside 10.99.0.0/16
    const uint32_t k = rng() % kLinks;
    const uint32_t metric = rng() % 4;
    table->AddNetworkRouteTo(Ipv4Address(network), Ipv4Mask(mask), link(k), k + 1, metric);
    destinations.emplace_back(network);
    destinations.emplace_back(network | (~mask & rng()));
    if (i % 7 == 0) // the same prefix again, elsewhere
      table->AddNetworkRouteTo(Ipv4Address(network), Ipv4Mask(mask), link(k + 1),
                               (k + 1) % kLinks + 1, rng() % 4);
  }
  for (int i = 0; i < 2000; ++i)
    destinations.emplace_back(i % 2 ? (0x0A000000u | (rng() & 0xFFFFFF)) : uint32_t(rng()));

  Ptr<hub::PrefixIndexRouting> index = hub::IndexHubRouting(router.node);
  uint32_t same = 0;
  for (const Ipv4Address &destination : destinations)
    same += SameRoute(router, *index, destination);
  BOOST_CHECK_EQUAL(same, destinations.size());
  // Every length from the connected /30s, /32s, random 8..32 and the loopback's /8.
  BOOST_CHECK_LE(index->IndexedPrefixLengths(), 33u);
  BOOST_CHECK_GE(index->IndexedPrefixLengths(), 20u);

  // Without a default route some destinations have none; with one, all do, through it.
  table->SetDefaultRoute(link(20), 21, 0);
  for (const char *address : {"192.168.1.1", "8.8.8.8", "10.99.7.7"})
    BOOST_CHECK(SameRoute(router, *index, Ipv4Address(address)));
  BOOST_CHECK(index->Lookup("8.8.8.8"));
  Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(index_follows_routes_added_and_removed_later) {
  Router router = BuildRouter(4);
  Ptr<hub::PrefixIndexRouting> index = hub::IndexHubRouting(router.node);
  const Ipv4Address destination("10.99.1.1");
  BOOST_CHECK(!index->Lookup(destination)); // built now, no route
  router.staticRouting->AddNetworkRouteTo("10.99.0.0", "255.255.0.0", router.neighbourAddress[1],
                                          2);
  Ptr<Ipv4Route> route = index->Lookup(destination);
  BOOST_REQUIRE(route);
  BOOST_CHECK_EQUAL(route->GetGateway(), router.neighbourAddress[1]);
  router.staticRouting->RemoveRoute(router.staticRouting->GetNRoutes() - 1);
  BOOST_CHECK(!index->Lookup(destination));
  // A new interface's connected route.
  Ptr<Node> extra = CreateObject<Node>();
  InternetStackHelper internet;
  internet.SetIpv6StackInstall(false);
  internet.Install(extra);
  PointToPointHelper p2p;
  Ipv4AddressHelper addresses("10.99.1.0", "255.255.255.0");
  addresses.Assign(p2p.Install(router.node, extra));
  BOOST_CHECK(SameRoute(router, *index, destination));
  BOOST_CHECK(index->Lookup(destination));
  Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(node_routing_asks_the_index_first_and_uses_the_strong_es_model) {
  Router router = BuildRouter(3);
  Ptr<hub::PrefixIndexRouting> index = hub::IndexHubRouting(router.node);
  BooleanValue weakEs;
  router.ipv4->GetAttribute("WeakEsModel", weakEs);
  BOOST_CHECK(!weakEs.Get());
  Ptr<Ipv4ListRouting> list = DynamicCast<Ipv4ListRouting>(router.ipv4->GetRoutingProtocol());
  BOOST_REQUIRE(list);
  int16_t priority = 0;
  BOOST_CHECK(list->GetRoutingProtocol(0, priority) == index);
  BOOST_CHECK_GT(priority, 0);
  Simulator::Destroy();
}
