#include "outer_ip_protocol.h"

#include "ns3/abort.h"
#include "ns3/ipv4.h"
#include "ns3/log.h"

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("OuterIpProtocol");
NS_OBJECT_ENSURE_REGISTERED(OuterIpProtocol);

TypeId OuterIpProtocol::GetTypeId() {
  static TypeId tid = TypeId("ns3::OuterIpProtocol")
                          .SetParent<IpL4Protocol>()
                          .SetGroupName("Tunnelsim")
                          .AddConstructor<OuterIpProtocol>();
  return tid;
}

Ptr<OuterIpProtocol> OuterIpProtocol::Get(Ptr<Node> node, uint8_t protocolNumber) {
  Ptr<Ipv4> ipv4 = node->GetObject<Ipv4>();
  NS_ABORT_MSG_IF(!ipv4, "OuterIpProtocol: node " << node->GetId() << " has no IPv4 stack");
  Ptr<IpL4Protocol> existing = ipv4->GetProtocol(protocolNumber);
  if (existing) {
    Ptr<OuterIpProtocol> ours = DynamicCast<OuterIpProtocol>(existing);
    NS_ABORT_MSG_IF(!ours, "OuterIpProtocol: IP protocol " << unsigned(protocolNumber)
                                                           << " is taken on node "
                                                           << node->GetId());
    return ours;
  }
  Ptr<OuterIpProtocol> protocol = CreateObject<OuterIpProtocol>();
  protocol->m_protocolNumber = protocolNumber;
  protocol->SetDownTarget(MakeCallback(&Ipv4::Send, ipv4));
  ipv4->Insert(protocol);
  return protocol;
}

bool OuterIpProtocol::Register(Ipv4Address local, Ipv4Address remote, Receiver receiver) {
  return m_receivers.emplace(std::make_pair(local, remote), receiver).second;
}

void OuterIpProtocol::Unregister(Ipv4Address local, Ipv4Address remote) {
  m_receivers.erase(std::make_pair(local, remote));
}

IpL4Protocol::RxStatus OuterIpProtocol::Receive(Ptr<Packet> p, const Ipv4Header &header,
                                                Ptr<Ipv4Interface>) {
  const auto it = m_receivers.find(std::make_pair(header.GetDestination(), header.GetSource()));
  if (it == m_receivers.end()) {
    ++m_unmatched;
    NS_LOG_LOGIC("protocol " << unsigned(m_protocolNumber) << " packet from " << header.GetSource()
                             << " to " << header.GetDestination() << " matches no tunnel");
    return RX_OK; // no ICMP error: Linux silently drops such packets too
  }
  it->second(p, header);
  return RX_OK;
}

IpL4Protocol::RxStatus OuterIpProtocol::Receive(Ptr<Packet>, const Ipv6Header &,
                                                Ptr<Ipv6Interface>) {
  ++m_unmatched; // outer IPv6 is not modelled
  return RX_OK;
}

void OuterIpProtocol::DoDispose() {
  m_receivers.clear();
  m_downTarget = DownTargetCallback();
  m_downTarget6 = DownTargetCallback6();
  IpL4Protocol::DoDispose();
}

} // namespace ns3
