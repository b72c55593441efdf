#include "shared_ike_socket.h"

#include "ns3/abort.h"
#include "ns3/inet-socket-address.h"
#include "ns3/ipv4-packet-info-tag.h"
#include "ns3/ipv4.h"
#include "ns3/log.h"
#include "ns3/udp-socket-factory.h"

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("SharedIkeSocket");
NS_OBJECT_ENSURE_REGISTERED(SharedIkeSocket);

TypeId SharedIkeSocket::GetTypeId() {
  static TypeId tid = TypeId("ns3::SharedIkeSocket")
                          .SetParent<Object>()
                          .SetGroupName("Tunnelsim")
                          .AddConstructor<SharedIkeSocket>();
  return tid;
}

Ptr<SharedIkeSocket> SharedIkeSocket::Get(Ptr<Node> node, uint16_t port) {
  if (Ptr<SharedIkeSocket> existing = node->GetObject<SharedIkeSocket>()) {
    NS_ABORT_MSG_IF(existing->m_port != port, "SharedIkeSocket: node "
                                                  << node->GetId() << " shares port "
                                                  << existing->m_port << ", not " << port);
    return existing;
  }
  NS_ABORT_MSG_IF(!node->GetObject<Ipv4>(),
                  "SharedIkeSocket: node " << node->GetId() << " has no IPv4 stack");
  Ptr<SharedIkeSocket> shared = CreateObject<SharedIkeSocket>();
  shared->m_port = port;
  shared->m_socket = Socket::CreateSocket(node, UdpSocketFactory::GetTypeId());
  NS_ABORT_MSG_IF(shared->m_socket->Bind(InetSocketAddress(Ipv4Address::GetAny(), port)) != 0,
                  "SharedIkeSocket: cannot bind UDP port " << port);
  // The destination address of each datagram (Ipv4PacketInfoTag) picks the gateway together
  // with the source: the hub's gateways differ in both.
  shared->m_socket->SetRecvPktInfo(true);
  shared->m_socket->SetRecvCallback(MakeCallback(&SharedIkeSocket::FromSocket, shared));
  node->AggregateObject(shared);
  return shared;
}

bool SharedIkeSocket::Register(Ipv4Address local, Ipv4Address remote, Receiver receiver) {
  return m_receivers.emplace(std::make_pair(local, remote), receiver).second;
}

void SharedIkeSocket::Unregister(Ipv4Address local, Ipv4Address remote) {
  m_receivers.erase(std::make_pair(local, remote));
}

void SharedIkeSocket::SendTo(Ptr<Packet> payload, Ipv4Address remote) {
  if (m_socket) m_socket->SendTo(payload, 0, InetSocketAddress(remote, m_port));
}

void SharedIkeSocket::FromSocket(Ptr<Socket> socket) {
  Address from;
  while (Ptr<Packet> packet = socket->RecvFrom(from)) {
    Ipv4PacketInfoTag info;
    if (!InetSocketAddress::IsMatchingType(from) || !packet->RemovePacketTag(info)) {
      ++m_unmatched;
      continue;
    }
    const auto found = m_receivers.find(
        std::make_pair(info.GetAddress(), InetSocketAddress::ConvertFrom(from).GetIpv4()));
    if (found == m_receivers.end()) {
      ++m_unmatched;
      continue;
    }
    found->second(packet);
  }
}

void SharedIkeSocket::DoDispose() {
  if (m_socket) {
    m_socket->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
    m_socket->Close();
  }
  m_socket = nullptr;
  m_receivers.clear();
  Object::DoDispose();
}

} // namespace ns3
