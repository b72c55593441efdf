// Receives the outer IP packets of one IP protocol number (50 for ESP, 47 for GRE) on a node and
// hands each to the tunnel end point registered for its (local, remote) address pair, the way
// Linux's xfrm and ip_gre receive handlers sit on the protocol numbers.
//
// It is an IpL4Protocol inserted into the node's Ipv4L3Protocol rather than an Ipv4RawSocket:
// the stack passes the parsed outer header and the packet without copying it into a socket
// buffer, there is one handler per protocol number and node however many tunnels the node
// has, and packets for which no tunnel is registered are counted instead of being queued in a
// socket nobody reads. Sending needs no hook: the gateways call Ipv4::Send with the protocol
// number.
#pragma once

#include "ns3/callback.h"
#include "ns3/ip-l4-protocol.h"
#include "ns3/ipv4-address.h"
#include "ns3/node.h"

#include <map>
#include <utility>

namespace ns3 {

class OuterIpProtocol : public IpL4Protocol {
public:
  static TypeId GetTypeId();

  // The packet (outer IP header removed) and its outer header.
  using Receiver = Callback<void, Ptr<Packet>, const Ipv4Header &>;

  // The node's handler for `protocolNumber`, created and inserted into its IPv4 stack the first
  // time. Aborts when the node has no IPv4 stack or another protocol owns the number.
  static Ptr<OuterIpProtocol> Get(Ptr<Node> node, uint8_t protocolNumber);

  // Packets from `remote` to `local` go to `receiver`. Returns false when the pair is taken.
  bool Register(Ipv4Address local, Ipv4Address remote, Receiver receiver);
  void Unregister(Ipv4Address local, Ipv4Address remote);

  // Packets of this protocol that matched no registered pair.
  uint64_t UnmatchedPackets() const { return m_unmatched; }

  // IpL4Protocol
  int GetProtocolNumber() const override { return m_protocolNumber; }
  RxStatus Receive(Ptr<Packet> p, const Ipv4Header &header,
                   Ptr<Ipv4Interface> incomingInterface) override;
  RxStatus Receive(Ptr<Packet> p, const Ipv6Header &header,
                   Ptr<Ipv6Interface> incomingInterface) override;
  void SetDownTarget(DownTargetCallback cb) override { m_downTarget = cb; }
  void SetDownTarget6(DownTargetCallback6 cb) override { m_downTarget6 = cb; }
  DownTargetCallback GetDownTarget() const override { return m_downTarget; }
  DownTargetCallback6 GetDownTarget6() const override { return m_downTarget6; }

protected:
  void DoDispose() override;

private:
  uint8_t m_protocolNumber = 0;
  std::map<std::pair<Ipv4Address, Ipv4Address>, Receiver> m_receivers;
  uint64_t m_unmatched = 0;
  DownTargetCallback m_downTarget;
  DownTargetCallback6 m_downTarget6;
};

} // namespace ns3
