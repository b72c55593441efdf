// A hub's unicast route lookup in time independent of its route count.
//
// ns-3's Ipv4StaticRouting scans its whole route list for every lookup, and a hub with one link
// (and one tunnel device) per spoke has a connected or host route per spoke, so each packet it
// forwards or sends costs O(spokes). PrefixIndexRouting answers the same lookups from a hash map
// per prefix length, built from the node's Ipv4StaticRouting table: a lookup probes at most one
// map per distinct prefix length in the table (a handful), whatever the number of routes. It sits
// in front of the static routing in the node's Ipv4ListRouting; what it does not answer (a
// lookup restricted to an output device, multicast, no matching route) falls through to the
// static routing unchanged, so routes can still be added through Ipv4StaticRoutingHelper.
//
// The index picks the route LookupStatic would: the longest matching prefix; among /32 routes
// the first in table order; among shorter ones the lowest metric, and of equal metrics the last
// in table order. It is rebuilt when the static table's route count changes or an interface or
// address changes; a route replaced in place (removed and another added between two lookups)
// goes unnoticed, which the hub programs never do (all their routes exist before the run).
#pragma once

#include "ns3/ipv4-routing-protocol.h"
#include "ns3/ipv4-static-routing.h"
#include "ns3/node.h"

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tunnelsim::hub {

class PrefixIndexRouting : public ns3::Ipv4RoutingProtocol {
public:
  static ns3::TypeId GetTypeId();

  // The table to index (the node's Ipv4StaticRouting).
  void SetStaticRouting(ns3::Ptr<ns3::Ipv4StaticRouting> staticRouting);
  // The route LookupStatic(destination) would give, or null when no route matches.
  ns3::Ptr<ns3::Ipv4Route> Lookup(ns3::Ipv4Address destination);
  // Number of distinct prefix lengths in the index (what one lookup probes at most).
  uint32_t IndexedPrefixLengths();

  ns3::Ptr<ns3::Ipv4Route> RouteOutput(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header &header,
                                       ns3::Ptr<ns3::NetDevice> oif,
                                       ns3::Socket::SocketErrno &sockerr) override;
  bool RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header &header,
                  ns3::Ptr<const ns3::NetDevice> idev, UnicastForwardCallback ucb,
                  MulticastForwardCallback mcb, LocalDeliverCallback lcb,
                  ErrorCallback ecb) override;
  void NotifyInterfaceUp(uint32_t interface) override;
  void NotifyInterfaceDown(uint32_t interface) override;
  void NotifyAddAddress(uint32_t interface, ns3::Ipv4InterfaceAddress address) override;
  void NotifyRemoveAddress(uint32_t interface, ns3::Ipv4InterfaceAddress address) override;
  void SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) override;
  void PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream,
                         ns3::Time::Unit unit = ns3::Time::S) const override;

protected:
  void DoDispose() override;

private:
  struct Entry {
    ns3::Ipv4Address destination; // as the table holds it (LookupStatic's route destination)
    ns3::Ipv4Address gateway;
    uint32_t interface = 0;
    uint32_t metric = 0;
  };
  using PrefixMap = std::unordered_map<uint32_t, Entry>; // masked network -> chosen route

  void RebuildIfStale();

  ns3::Ptr<ns3::Ipv4> m_ipv4;
  ns3::Ptr<ns3::Ipv4StaticRouting> m_static;
  bool m_stale = true;
  uint32_t m_indexedRoutes = 0;                       // the static table's count when built
  std::vector<std::pair<uint8_t, PrefixMap>> m_index; // by prefix length, longest first
};

// Makes the hub's per-packet IPv4 work independent of its number of interfaces and routes: the
// strong end-system model (a packet is for the node only if addressed to the interface it
// arrived on, so the node does not walk all its interfaces' addresses for every packet it
// forwards; every packet of the hub programs is addressed to its arrival interface or forwarded)
// and PrefixIndexRouting in front of the node's static routing. Returns the index.
ns3::Ptr<PrefixIndexRouting> IndexHubRouting(ns3::Ptr<ns3::Node> hub);

} // namespace tunnelsim::hub
