// Example: two sites joined by a WireGuard tunnel between their gateways, with one bulk TCP
// flow from a host at site A to a host at site B through it.
//
//   hostA --LAN-- gwA ==access== router ==WAN== gwB --LAN-- hostB
//          10.1.0.0/24     wg0 10.99.0.1 <-tunnel-> wg0 10.99.0.2     10.2.0.0/24
//   (the path of the ns-3 tunnel tests: model/ns3/site_path.h)
//
//   tunnelsim-wireguard-site-to-site --duration=10 --pcap=out/s2s --keylog=out/s2s-keys.log
//   tshark -r out/s2s-outer.pcap -o wg.keylog_file:out/s2s-keys.log -Y tcp   # inner TCP
#include "ns3/site_path.h"
#include "ns3/wireguard_helper.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <iostream>

using namespace ns3;

int main(int argc, char *argv[]) {
  double durationSeconds = 10.0;
  uint32_t run = 1;
  std::string accessRate = "100Mbps", accessDelay = "10ms", wanRate = "1Gbps", wanDelay = "10ms";
  std::string pcapPrefix, keyLog;
  uint32_t cpuWorkers = 0;
  double cpuFixedUs = 2.0, cpuPerByteNs = 1.0;

  CommandLine cmd(__FILE__);
  cmd.AddValue("duration", "Simulated seconds of bulk transfer", durationSeconds);
  cmd.AddValue("run", "Run number (also varies the WireGuard keys)", run);
  cmd.AddValue("accessRate", "Rate of gwA's access link", accessRate);
  cmd.AddValue("accessDelay", "One-way delay of the access link", accessDelay);
  cmd.AddValue("wanRate", "Rate of the WAN link", wanRate);
  cmd.AddValue("wanDelay", "One-way delay of the WAN link", wanDelay);
  cmd.AddValue("pcap", "Write <prefix>-outer.pcap (access link) and <prefix>-wg0.pcap", pcapPrefix);
  cmd.AddValue("keylog", "Write a Wireshark WireGuard key log to this file", keyLog);
  cmd.AddValue("cpuWorkers", "Crypto CPU model with this many workers (0: off)", cpuWorkers);
  cmd.AddValue("cpuFixedUs", "CPU model: microseconds per packet", cpuFixedUs);
  cmd.AddValue("cpuPerByteNs", "CPU model: nanoseconds per byte", cpuPerByteNs);
  cmd.Parse(argc, argv);
  if (durationSeconds <= 1.0) {
    std::cerr << "wireguard-site-to-site: --duration must be more than 1 second\n";
    return 2;
  }

  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(run);
  // Inner TCP segments fit the tunnel MTU: 1420 - 20 (IPv4) - 32 (TCP with timestamps).
  Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1368));
  Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(4 << 20));
  Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(4 << 20));

  site_path::PathOptions options;
  options.accessRate = accessRate;
  options.accessDelay = Time(accessDelay);
  options.wanRate = wanRate;
  options.wanDelay = Time(wanDelay);
  site_path::SitePath path(options);
  Ptr<Node> hostA = path.hostA, gwA = path.gwA, gwB = path.gwB, hostB = path.hostB;

  WireGuardHelper wireguard;
  if (!keyLog.empty()) wireguard.SetAttribute("KeyLogFile", StringValue(keyLog));
  if (cpuWorkers > 0) {
    wireguard.SetCpuModelAttribute("Workers", UintegerValue(cpuWorkers));
    wireguard.SetCpuModelAttribute("FixedCost", TimeValue(NanoSeconds(int64_t(cpuFixedUs * 1e3))));
    wireguard.SetCpuModelAttribute("PerByteCost", DoubleValue(cpuPerByteNs));
  }
  Ptr<WireGuardApplication> wgA = wireguard.Install(gwA), wgB = wireguard.Install(gwB);
  WireGuardHelper::AssignAddress(wgA, "10.99.0.1/24");
  WireGuardHelper::AssignAddress(wgB, "10.99.0.2/24");
  WireGuardHelper::AddPeer(wgA, wgB, {"10.99.0.2/32", "10.2.0.0/24"},
                           InetSocketAddress(path.gwBOuter, wgB->GetListenPort()));
  WireGuardHelper::AddPeer(wgB, wgA, {"10.99.0.1/32", "10.1.0.0/24"});
  Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  if (!pcapPrefix.empty()) {
    PointToPointHelper().EnablePcap(pcapPrefix + "-outer.pcap", path.access.Get(0), false, true);
    wireguard.EnablePcap(pcapPrefix + "-wg0.pcap", wgA->GetTunnelDevice(), false, true);
  }

  const uint16_t port = 5001;
  PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                              InetSocketAddress(Ipv4Address::GetAny(), port));
  ApplicationContainer sinkApp = sinkHelper.Install(hostB);
  BulkSendHelper bulk("ns3::TcpSocketFactory", InetSocketAddress(path.hostBAddress, port));
  bulk.SetAttribute("MaxBytes", UintegerValue(0));
  ApplicationContainer sourceApp = bulk.Install(hostA);
  const double start = 0.5;
  sourceApp.Start(Seconds(start));
  Simulator::Stop(Seconds(start + durationSeconds));
  Simulator::Run();

  const uint64_t received = DynamicCast<PacketSink>(sinkApp.Get(0))->GetTotalRx();
  const auto &a = wgA->GetCounters();
  const auto &b = wgB->GetCounters();
  std::cout << "wireguard-site-to-site: " << double(received) * 8.0 / durationSeconds / 1e6
            << " Mbit/s goodput over " << durationSeconds << " s\n"
            << "  gwA: " << a.handshakesCompleted << " handshakes, " << a.dataPacketsSent
            << " data packets sent, " << a.TotalDrops() << " drops\n"
            << "  gwB: " << b.dataPacketsReceived << " data packets received, " << b.TotalDrops()
            << " drops\n";
  for (const auto *counters : {&a, &b}) {
    for (size_t r = 0; r < tunnelsim::wireguard::kDropReasonCount; ++r) {
      if (counters->drops[r] == 0) continue;
      // With IPv6 on, the stack's own link-local chatter (DAD, router solicitations) reaches
      // wg0 and matches no peer, as on Linux.
      std::cout << "  " << (counters == &a ? "gwA" : "gwB") << " drops "
                << tunnelsim::wireguard::DropReasonName(
                       static_cast<tunnelsim::wireguard::DropReason>(r))
                << ": " << counters->drops[r] << "\n";
    }
  }
  Simulator::Destroy();
  return 0;
}
