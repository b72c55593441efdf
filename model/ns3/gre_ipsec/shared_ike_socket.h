// One UDP socket for the IKE traffic of every GreIpsecGateway on a node that asks for it, as a
// real IKE daemon (charon) has one socket on port 500 for all its peers.
//
// Without it each gateway binds its own socket to (its local address, port 500); a hub with a
// gateway per spoke then has N sockets, and ns-3's Ipv4EndPointDemux::Lookup compares every
// IKE datagram the node receives with all N end points: O(spokes) per IKE message. The shared
// socket is bound to (any address, port) and hands each datagram to the gateway registered for
// its (destination, source) address pair, through a map: O(log N). Gateways send through it as
// well; the source address is then the one the node's routing gives for the peer (the gateway's
// local address on a point-to-point outer link, where the route to the peer leaves).
//
// A datagram whose address pair has no gateway is counted (UnmatchedDatagrams) and dropped;
// with per-gateway sockets it would have reached the gateway bound to its destination address.
// Opt-in per gateway (GreIpsecGateway's SharedIkeSocket attribute); the default keeps one
// socket per gateway.
#pragma once

#include "ns3/callback.h"
#include "ns3/ipv4-address.h"
#include "ns3/node.h"
#include "ns3/object.h"
#include "ns3/socket.h"

#include <map>
#include <utility>

namespace ns3 {

class SharedIkeSocket : public Object {
public:
  static TypeId GetTypeId();

  // A received IKE datagram (UDP payload).
  using Receiver = Callback<void, Ptr<Packet>>;

  // The node's shared socket on `port`, created, bound and aggregated to the node the first
  // time. Aborts when the node has no IPv4 stack, the port cannot be bound, or the node's
  // shared socket is on another port.
  static Ptr<SharedIkeSocket> Get(Ptr<Node> node, uint16_t port);

  // Datagrams from `remote` to `local` go to `receiver`. Returns false when the pair is taken.
  bool Register(Ipv4Address local, Ipv4Address remote, Receiver receiver);
  void Unregister(Ipv4Address local, Ipv4Address remote);
  // Sends an IKE datagram to the peer's port (the same port as ours, as IKE on port 500 does).
  void SendTo(Ptr<Packet> payload, Ipv4Address remote);

  Ptr<Socket> GetSocket() const { return m_socket; }
  uint16_t GetPort() const { return m_port; }
  size_t RegisteredGateways() const { return m_receivers.size(); }
  uint64_t UnmatchedDatagrams() const { return m_unmatched; }

protected:
  void DoDispose() override;

private:
  void FromSocket(Ptr<Socket> socket);

  Ptr<Socket> m_socket;
  uint16_t m_port = 0;
  std::map<std::pair<Ipv4Address, Ipv4Address>, Receiver> m_receivers;
  uint64_t m_unmatched = 0;
};

} // namespace ns3
