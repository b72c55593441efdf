// Test-only attacker tools for the site-to-site topologies of tests/ns3-wireguard and
// tests/ns3-gre-ipsec (both put a `router` between the gateways):
//   - AttachOffPathHost: a host on its own link to the router, off the gateways' path;
//   - OnPathReplayer: a tap on one of the router's egress interfaces that copies the outer
//     packets it forwards and sends the copies out of the same interface again later;
//   - TxTo: counts the packets a node's IPv4 stack sends to one address;
//   - InnerDuplicates: watches a UdpServer's sequence numbers for duplicates.
#pragma once

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <functional>
#include <set>
#include <vector>

namespace attack_test {

using namespace ns3;

// Each test case's simulation is torn down even when a REQUIRE fails half-way, so the next
// case starts from a clean simulator and address generator.
struct SimulationTeardown {
  ~SimulationTeardown() {
    Simulator::Destroy();
    Ipv4AddressGenerator::Reset();
  }
};

struct OffPathHost {
  Ptr<Node> node;
  Ipv4Address address;
};

// A host on a 1 Gbit/s, 5 ms link of its own to `router` (203.0.113.0/30 by default). Call it
// before the routing tables are populated.
inline OffPathHost AttachOffPathHost(Ptr<Node> router, const char *network = "203.0.113.0") {
  NodeContainer nodes;
  nodes.Create(1);
  InternetStackHelper internet;
  internet.SetIpv6StackInstall(false);
  internet.Install(nodes);
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", StringValue("1Gbps"));
  p2p.SetChannelAttribute("Delay", TimeValue(MilliSeconds(5)));
  p2p.SetQueue("ns3::DropTailQueue", "MaxSize", StringValue("100000p"));
  Ipv4AddressHelper addresses;
  addresses.SetBase(network, "255.255.255.252");
  Ipv4InterfaceContainer interfaces = addresses.Assign(p2p.Install(router, nodes.Get(0)));
  return {nodes.Get(0), interfaces.GetAddress(1)};
}

// The outer IPv4 header and the bytes after it.
struct OuterPacket {
  Ipv4Header ip;
  std::vector<uint8_t> payload;
};

// An on-path attacker at the router: every IPv4 packet the router sends out of `device` that
// `select` picks while capturing is copied (header included) and sent out of `device` again
// `delay` later, straight onto the link, as a frame the attacker injects. The replayed copies
// bypass the router's IP stack, so they are not captured again.
class OnPathReplayer {
public:
  using Selector = std::function<bool(const OuterPacket &)>;

  OnPathReplayer(Ptr<Node> router, Ptr<NetDevice> device, Selector select, Time delay)
      : m_device(device), m_select(std::move(select)), m_delay(delay) {
    Ptr<Ipv4L3Protocol> ipv4 = router->GetObject<Ipv4L3Protocol>();
    m_interface = ipv4->GetInterfaceForDevice(device);
    BOOST_REQUIRE(m_interface >= 0);
    BOOST_REQUIRE(
        ipv4->TraceConnectWithoutContext("Tx", MakeCallback(&OnPathReplayer::OnTx, this)));
  }

  void CaptureBetween(Time start, Time stop) {
    Simulator::Schedule(start, [this]() { m_capturing = true; });
    Simulator::Schedule(stop, [this]() { m_capturing = false; });
  }
  // Sends every packet captured so far once more, `at` (absolute simulation time).
  void ReplayAllAt(Time at) {
    Simulator::Schedule(at - Simulator::Now(), [this]() {
      for (const Ptr<Packet> &packet : m_captured)
        Inject(packet->Copy());
    });
  }

  uint64_t Captured() const { return m_captured.size(); }
  uint64_t Injected() const { return m_injected; }
  const std::vector<Ptr<Packet>> &CapturedPackets() const { return m_captured; }

private:
  void OnTx(Ptr<const Packet> packet, Ptr<Ipv4>, uint32_t interface) {
    if (!m_capturing || static_cast<int32_t>(interface) != m_interface) return;
    OuterPacket outer;
    Ptr<Packet> copy = packet->Copy();
    copy->RemoveHeader(outer.ip);
    outer.payload.resize(copy->GetSize());
    copy->CopyData(outer.payload.data(), outer.payload.size());
    if (!m_select(outer)) return;
    Ptr<Packet> frame = packet->Copy();
    m_captured.push_back(frame);
    Simulator::Schedule(m_delay, [this, frame]() { Inject(frame->Copy()); });
  }
  void Inject(Ptr<Packet> packet) {
    ++m_injected;
    m_device->Send(packet, m_device->GetBroadcast(), Ipv4L3Protocol::PROT_NUMBER);
  }

  Ptr<NetDevice> m_device;
  Selector m_select;
  Time m_delay;
  int32_t m_interface = -1;
  bool m_capturing = false;
  std::vector<Ptr<Packet>> m_captured;
  uint64_t m_injected = 0;
};

// Packets and bytes `node`'s IPv4 stack sends to `destination` (what an attacker at that
// address could ever receive from it).
class TxTo {
public:
  TxTo(Ptr<Node> node, Ipv4Address destination) : m_destination(destination) {
    BOOST_REQUIRE(node->GetObject<Ipv4L3Protocol>()->TraceConnectWithoutContext(
        "Tx", MakeCallback(&TxTo::OnTx, this)));
  }
  uint64_t Packets() const { return m_packets; }
  uint64_t Bytes() const { return m_bytes; }

private:
  void OnTx(Ptr<const Packet> packet, Ptr<Ipv4>, uint32_t) {
    Ipv4Header ip;
    packet->PeekHeader(ip);
    if (ip.GetDestination() != m_destination) return;
    ++m_packets;
    m_bytes += packet->GetSize();
  }
  Ipv4Address m_destination;
  uint64_t m_packets = 0, m_bytes = 0;
};

// Sequence numbers a UdpServer received (UdpClient puts a SeqTsHeader first in each payload).
class InnerDuplicates {
public:
  explicit InnerDuplicates(Ptr<UdpServer> server) {
    BOOST_REQUIRE(
        server->TraceConnectWithoutContext("Rx", MakeCallback(&InnerDuplicates::OnRx, this)));
  }
  uint64_t Received() const { return m_received; }
  uint64_t Unique() const { return m_seen.size(); }
  uint64_t Duplicates() const { return m_received - m_seen.size(); }

private:
  void OnRx(Ptr<const Packet> packet) {
    SeqTsHeader header;
    packet->PeekHeader(header);
    ++m_received;
    m_seen.insert(header.GetSeq());
  }
  uint64_t m_received = 0;
  std::set<uint32_t> m_seen;
};

// Sends each of `messages` (cycling) as one UDP datagram from `socket` to `target`, one every
// `interval` from `start`, `count` in all.
inline void ScheduleUdpFlood(Ptr<Socket> socket, const Address &target,
                             std::shared_ptr<const std::vector<std::vector<uint8_t>>> messages,
                             Time start, Time interval, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    Simulator::Schedule(start + interval * i, [socket, target, messages, i]() {
      const std::vector<uint8_t> &message = (*messages)[i % messages->size()];
      socket->SendTo(Create<Packet>(message.data(), message.size()), 0, target);
    });
  }
}

} // namespace attack_test
