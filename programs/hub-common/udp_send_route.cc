#include "udp_send_route.h"

#include "ns3/abort.h"
#include "ns3/ipv4-header.h"
#include "ns3/ipv4-route.h"
#include "ns3/ipv4-routing-protocol.h"
#include "ns3/ipv4.h"
#include "ns3/object.h"
#include "ns3/socket.h"
#include "ns3/udp-l4-protocol.h"

#include <unordered_set>

using namespace ns3;

namespace tunnelsim::hub {
namespace {

class RoutedDownTarget : public Object {
public:
  RoutedDownTarget(Ptr<Ipv4> ipv4, IpL4Protocol::DownTargetCallback down)
      : m_ipv4(ipv4), m_down(down) {
    // The addresses Ipv4L3Protocol::Send's walk would treat as subnet-directed broadcasts.
    for (uint32_t i = 0; i < ipv4->GetNInterfaces(); ++i) {
      for (uint32_t j = 0; j < ipv4->GetNAddresses(i); ++j) {
        const Ipv4InterfaceAddress address = ipv4->GetAddress(i, j);
        const Ipv4Mask mask = address.GetMask();
        if (mask == Ipv4Mask::GetOnes()) continue;
        m_directedBroadcasts.insert(address.GetLocal().CombineMask(mask).Get() | mask.GetInverse());
      }
    }
  }

  void Send(Ptr<Packet> packet, Ipv4Address source, Ipv4Address destination, uint8_t protocol,
            Ptr<Ipv4Route> route) {
    if (!route && !destination.IsBroadcast() && !destination.IsMulticast() &&
        m_directedBroadcasts.count(destination.Get()) == 0) {
      if (Ptr<Ipv4RoutingProtocol> routing = m_ipv4->GetRoutingProtocol()) {
        Ipv4Header header;
        header.SetSource(source);
        header.SetDestination(destination);
        header.SetProtocol(protocol);
        Socket::SocketErrno error = Socket::ERROR_NOTERROR;
        route = routing->RouteOutput(packet, header, nullptr, error);
      }
    }
    m_down(packet, source, destination, protocol, route);
  }

private:
  void DoDispose() override {
    m_ipv4 = nullptr;
    m_down.Nullify();
    Object::DoDispose();
  }

  Ptr<Ipv4> m_ipv4;
  IpL4Protocol::DownTargetCallback m_down;
  std::unordered_set<uint32_t> m_directedBroadcasts;
};

} // namespace

void RouteHubUdpSends(Ptr<Node> hub) {
  Ptr<Ipv4> ipv4 = hub->GetObject<Ipv4>();
  Ptr<UdpL4Protocol> udp = hub->GetObject<UdpL4Protocol>();
  NS_ABORT_MSG_IF(!ipv4 || !udp, "RouteHubUdpSends: the node has no IPv4 or UDP");
  Ptr<RoutedDownTarget> target = CreateObject<RoutedDownTarget>(ipv4, udp->GetDownTarget());
  udp->SetDownTarget(MakeCallback(&RoutedDownTarget::Send, target));
}

} // namespace tunnelsim::hub
