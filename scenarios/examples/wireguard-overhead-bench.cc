// Benchmark: wall-clock cost of simulating WireGuard. Runs the same bulk-TCP simulation
// (100 Mbit/s, 20 ms path) with the traffic through a WireGuard tunnel and without it, side by
// side, and prints the ratio of the wall-clock times (target: at most 1.5).
//
//   tunnelsim-wireguard-overhead-bench [--duration=20] [--repeat=3]
#include "ns3/wireguard_helper.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <algorithm>
#include <chrono>
#include <iostream>

using namespace ns3;

namespace {

struct Result {
  double wallSeconds;
  uint64_t bytes;
};

Result RunOnce(bool tunnel, double durationSeconds) {
  const auto wallStart = std::chrono::steady_clock::now();
  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(1);
  Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1368));
  Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(4 << 20));
  Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(4 << 20));
  NodeContainer nodes;
  nodes.Create(4);
  InternetStackHelper internet;
  internet.Install(nodes);
  PointToPointHelper p2p;
  p2p.SetQueue("ns3::DropTailQueue", "MaxSize", StringValue("1000p"));
  p2p.SetDeviceAttribute("DataRate", StringValue("1Gbps"));
  p2p.SetChannelAttribute("Delay", StringValue("100us"));
  NetDeviceContainer lanA = p2p.Install(nodes.Get(0), nodes.Get(1));
  NetDeviceContainer lanB = p2p.Install(nodes.Get(2), nodes.Get(3));
  p2p.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
  p2p.SetChannelAttribute("Delay", StringValue("20ms"));
  NetDeviceContainer path = p2p.Install(nodes.Get(1), nodes.Get(2));
  Ipv4AddressHelper addresses;
  addresses.SetBase("10.1.0.0", "255.255.255.0");
  addresses.Assign(lanA);
  addresses.SetBase("10.2.0.0", "255.255.255.0");
  Ipv4InterfaceContainer lanBIf = addresses.Assign(lanB);
  addresses.SetBase("198.51.100.0", "255.255.255.252");
  Ipv4InterfaceContainer pathIf = addresses.Assign(path);
  TrafficControlHelper tc;
  tc.Uninstall(path);
  if (tunnel) {
    WireGuardHelper wireguard;
    Ptr<WireGuardApplication> a = wireguard.Install(nodes.Get(1)),
                              b = wireguard.Install(nodes.Get(2));
    WireGuardHelper::AssignAddress(a, "10.99.0.1/24");
    WireGuardHelper::AssignAddress(b, "10.99.0.2/24");
    WireGuardHelper::AddPeer(a, b, {"10.2.0.0/24"}, InetSocketAddress(pathIf.GetAddress(1), 51820));
    WireGuardHelper::AddPeer(b, a, {"10.1.0.0/24"});
  }
  Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                              InetSocketAddress(Ipv4Address::GetAny(), 5001));
  ApplicationContainer sink = sinkHelper.Install(nodes.Get(3));
  BulkSendHelper bulk("ns3::TcpSocketFactory", InetSocketAddress(lanBIf.GetAddress(1), 5001));
  bulk.SetAttribute("MaxBytes", UintegerValue(0));
  bulk.Install(nodes.Get(0)).Start(Seconds(0.5));
  Simulator::Stop(Seconds(0.5 + durationSeconds));
  Simulator::Run();
  const uint64_t bytes = DynamicCast<PacketSink>(sink.Get(0))->GetTotalRx();
  Simulator::Destroy();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
  return {wall, bytes};
}

} // namespace

int main(int argc, char *argv[]) {
  double durationSeconds = 20.0;
  uint32_t repeat = 3;
  CommandLine cmd(__FILE__);
  cmd.AddValue("duration", "Simulated seconds of bulk transfer per run", durationSeconds);
  cmd.AddValue("repeat", "Runs of each variant (the fastest counts)", repeat);
  cmd.Parse(argc, argv);
  if (durationSeconds <= 0 || repeat == 0) {
    std::cerr << "wireguard-overhead-bench: --duration and --repeat must be positive\n";
    return 2;
  }
  double bestPlain = 1e300, bestTunnel = 1e300;
  uint64_t plainBytes = 0, tunnelBytes = 0;
  // Alternating runs, so both variants see the same machine load.
  for (uint32_t i = 0; i < repeat; ++i) {
    const Result plain = RunOnce(false, durationSeconds);
    const Result tunnelled = RunOnce(true, durationSeconds);
    bestPlain = std::min(bestPlain, plain.wallSeconds);
    bestTunnel = std::min(bestTunnel, tunnelled.wallSeconds);
    plainBytes = plain.bytes;
    tunnelBytes = tunnelled.bytes;
  }
  std::cout << "plain:     " << bestPlain << " s wall, " << plainBytes * 8.0 / durationSeconds / 1e6
            << " Mbit/s simulated goodput\n"
            << "wireguard: " << bestTunnel << " s wall, "
            << tunnelBytes * 8.0 / durationSeconds / 1e6 << " Mbit/s simulated goodput\n"
            << "wall-clock ratio (wireguard / plain): " << bestTunnel / bestPlain
            << " (target <= 1.5)\n";
  return 0;
}
