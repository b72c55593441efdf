#include "prefix_index_routing.h"

#include "ns3/boolean.h"
#include "ns3/ipv4-list-routing.h"
#include "ns3/ipv4-route.h"
#include "ns3/ipv4-routing-table-entry.h"
#include "ns3/ipv4-static-routing-helper.h"
#include "ns3/ipv4.h"
#include "ns3/log.h"
#include "ns3/output-stream-wrapper.h"

#include <algorithm>
#include <map>
#include <ostream>

using namespace ns3;

namespace tunnelsim::hub {

NS_LOG_COMPONENT_DEFINE("TunnelsimPrefixIndexRouting");
NS_OBJECT_ENSURE_REGISTERED(PrefixIndexRouting);

TypeId PrefixIndexRouting::GetTypeId() {
  static TypeId tid = TypeId("tunnelsim::hub::PrefixIndexRouting")
                          .SetParent<Ipv4RoutingProtocol>()
                          .SetGroupName("Tunnelsim")
                          .AddConstructor<PrefixIndexRouting>();
  return tid;
}

void PrefixIndexRouting::SetStaticRouting(Ptr<Ipv4StaticRouting> staticRouting) {
  m_static = staticRouting;
  m_stale = true;
}

void PrefixIndexRouting::RebuildIfStale() {
  if (!m_static) return;
  if (!m_stale && m_static->GetNRoutes() == m_indexedRoutes) return;
  // Walk the table once (GetRoute(i) and GetMetric(i) each walk the static routing's list) and
  // keep, per (prefix length, network), the route LookupStatic would choose among them.
  std::map<uint8_t, PrefixMap, std::greater<>> byLength;
  const uint32_t routes = m_static->GetNRoutes();
  for (uint32_t i = 0; i < routes; ++i) {
    const Ipv4RoutingTableEntry route = m_static->GetRoute(i);
    const uint32_t metric = m_static->GetMetric(i);
    const Ipv4Mask mask = route.GetDestNetworkMask();
    const uint8_t length = uint8_t(mask.GetPrefixLength());
    const uint32_t network = route.GetDestNetwork().Get() & mask.Get();
    const Entry entry{route.GetDest(), route.GetGateway(), route.GetInterface(), metric};
    auto [slot, inserted] = byLength[length].try_emplace(network, entry);
    if (inserted) continue;
    // LookupStatic stops at the first matching /32; for shorter prefixes a later route of equal
    // or lower metric replaces the earlier one.
    if (length < 32 && metric <= slot->second.metric) slot->second = entry;
  }
  m_index.clear();
  for (auto &[length, routesOfLength] : byLength)
    m_index.emplace_back(length, std::move(routesOfLength));
  m_indexedRoutes = routes;
  m_stale = false;
}

Ptr<Ipv4Route> PrefixIndexRouting::Lookup(Ipv4Address destination) {
  RebuildIfStale();
  for (const auto &[length, routesOfLength] : m_index) {
    const uint32_t mask = length == 0 ? 0 : ~uint32_t(0) << (32 - length);
    const auto found = routesOfLength.find(destination.Get() & mask);
    if (found == routesOfLength.end()) continue;
    const Entry &entry = found->second;
    Ptr<Ipv4Route> route = Create<Ipv4Route>();
    route->SetDestination(entry.destination);
    route->SetSource(m_ipv4->SourceAddressSelection(entry.interface, entry.destination));
    route->SetGateway(entry.gateway);
    route->SetOutputDevice(m_ipv4->GetNetDevice(entry.interface));
    return route;
  }
  return nullptr;
}

uint32_t PrefixIndexRouting::IndexedPrefixLengths() {
  RebuildIfStale();
  return uint32_t(m_index.size());
}

Ptr<Ipv4Route> PrefixIndexRouting::RouteOutput(Ptr<Packet>, const Ipv4Header &header,
                                               Ptr<NetDevice> oif, Socket::SocketErrno &sockerr) {
  // A lookup restricted to one output device, and multicast, are left to the static routing.
  if (oif || header.GetDestination().IsMulticast()) {
    sockerr = Socket::ERROR_NOROUTETOHOST;
    return nullptr;
  }
  Ptr<Ipv4Route> route = Lookup(header.GetDestination());
  sockerr = route ? Socket::ERROR_NOTERROR : Socket::ERROR_NOROUTETOHOST;
  return route;
}

bool PrefixIndexRouting::RouteInput(Ptr<const Packet> p, const Ipv4Header &header,
                                    Ptr<const NetDevice> idev, UnicastForwardCallback ucb,
                                    MulticastForwardCallback, LocalDeliverCallback lcb,
                                    ErrorCallback ecb) {
  // The same steps as Ipv4StaticRouting::RouteInput, with the indexed lookup.
  if (header.GetDestination().IsMulticast()) return false;
  const int32_t iif = m_ipv4->GetInterfaceForDevice(idev);
  if (iif < 0) return false;
  if (m_ipv4->IsDestinationAddress(header.GetDestination(), uint32_t(iif))) {
    if (lcb.IsNull()) return false;
    lcb(p, header, uint32_t(iif));
    return true;
  }
  if (!m_ipv4->IsForwarding(uint32_t(iif))) {
    ecb(p, header, Socket::ERROR_NOROUTETOHOST);
    return true;
  }
  Ptr<Ipv4Route> route = Lookup(header.GetDestination());
  if (!route) return false;
  ucb(route, p, header);
  return true;
}

void PrefixIndexRouting::NotifyInterfaceUp(uint32_t) { m_stale = true; }
void PrefixIndexRouting::NotifyInterfaceDown(uint32_t) { m_stale = true; }
void PrefixIndexRouting::NotifyAddAddress(uint32_t, Ipv4InterfaceAddress) { m_stale = true; }
void PrefixIndexRouting::NotifyRemoveAddress(uint32_t, Ipv4InterfaceAddress) { m_stale = true; }

void PrefixIndexRouting::SetIpv4(Ptr<Ipv4> ipv4) {
  m_ipv4 = ipv4;
  m_stale = true;
}

void PrefixIndexRouting::PrintRoutingTable(Ptr<OutputStreamWrapper> stream, Time::Unit) const {
  std::ostream &os = *stream->GetStream();
  os << "PrefixIndexRouting: an index of the static routing table (" << m_indexedRoutes
     << " routes, " << m_index.size() << " prefix lengths" << (m_stale ? ", stale" : "") << ")\n";
}

void PrefixIndexRouting::DoDispose() {
  m_index.clear();
  m_static = nullptr;
  m_ipv4 = nullptr;
  Ipv4RoutingProtocol::DoDispose();
}

Ptr<PrefixIndexRouting> IndexHubRouting(Ptr<Node> hub) {
  Ptr<Ipv4> ipv4 = hub->GetObject<Ipv4>();
  NS_ABORT_MSG_IF(!ipv4, "IndexHubRouting: the node has no IPv4 stack");
  ipv4->SetAttribute("WeakEsModel", BooleanValue(false));
  Ptr<Ipv4ListRouting> list = DynamicCast<Ipv4ListRouting>(ipv4->GetRoutingProtocol());
  NS_ABORT_MSG_IF(!list, "IndexHubRouting: the node's routing is not an Ipv4ListRouting");
  Ipv4StaticRoutingHelper staticHelper;
  Ptr<Ipv4StaticRouting> staticRouting = staticHelper.GetStaticRouting(ipv4);
  NS_ABORT_MSG_IF(!staticRouting, "IndexHubRouting: the node has no Ipv4StaticRouting");
  Ptr<PrefixIndexRouting> index = CreateObject<PrefixIndexRouting>();
  index->SetStaticRouting(staticRouting);
  // Above the static routing (priority 0): asked first, and what it leaves falls through.
  list->AddRoutingProtocol(index, 10);
  // Build it now, in the setup: reading the static table costs O(routes^2) (its list is read by
  // index), a few milliseconds per thousand routes.
  index->IndexedPrefixLengths();
  return index;
}

} // namespace tunnelsim::hub
