// Traffic for the ns-3 site-to-site test topologies (tests/ns3-wireguard, tests/ns3-gre-ipsec):
// a bulk TCP transfer, a goodput window over it, and a sequenced UDP flow. `Site` is either
// topology; both have hostA, hostB and hostBAddress.
#pragma once

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"

#include <cstdint>

namespace site_flows {

using namespace ns3;

// Bytes a PacketSink received between two times.
struct GoodputWindow {
  Ptr<PacketSink> sink;
  uint64_t atStart = 0, atEnd = 0;
  void Schedule(Time start, Time end) {
    Simulator::Schedule(start, [this]() { atStart = sink->GetTotalRx(); });
    Simulator::Schedule(end, [this]() { atEnd = sink->GetTotalRx(); });
  }
  double Bps(Time start, Time end) const {
    return double(atEnd - atStart) * 8.0 / (end - start).GetSeconds();
  }
};

// A bulk TCP transfer from hostA to hostB, started at `start`.
template <typename Site>
Ptr<PacketSink> InstallBulkTcp(Site &net, Time start, uint16_t port = 5001) {
  PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                              InetSocketAddress(Ipv4Address::GetAny(), port));
  ApplicationContainer sinkApp = sinkHelper.Install(net.hostB);
  BulkSendHelper bulk("ns3::TcpSocketFactory", InetSocketAddress(net.hostBAddress, port));
  bulk.SetAttribute("MaxBytes", UintegerValue(0));
  ApplicationContainer sourceApp = bulk.Install(net.hostA);
  sinkApp.Start(Seconds(0));
  sourceApp.Start(start);
  return DynamicCast<PacketSink>(sinkApp.Get(0));
}

// A constant-bit-rate UDP flow with sequence numbers (UdpClient/UdpServer) from hostA to
// hostB, so losses are counted exactly.
struct CbrFlow {
  Ptr<UdpServer> server;
  Ptr<UdpClient> client;
};
template <typename Site>
CbrFlow InstallCbr(Site &net, Time start, Time stop, Time interval, uint32_t size = 200,
                   uint16_t port = 4000) {
  UdpServerHelper serverHelper(port);
  ApplicationContainer serverApp = serverHelper.Install(net.hostB);
  UdpClientHelper clientHelper(net.hostBAddress, port);
  clientHelper.SetAttribute("MaxPackets", UintegerValue(UINT32_MAX));
  clientHelper.SetAttribute("Interval", TimeValue(interval));
  clientHelper.SetAttribute("PacketSize", UintegerValue(size));
  ApplicationContainer clientApp = clientHelper.Install(net.hostA);
  serverApp.Start(Seconds(0));
  clientApp.Start(start);
  clientApp.Stop(stop);
  return {DynamicCast<UdpServer>(serverApp.Get(0)), DynamicCast<UdpClient>(clientApp.Get(0))};
}

} // namespace site_flows
