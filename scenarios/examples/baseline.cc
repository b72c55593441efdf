// Baseline experiment: a plain (untunnelled) TCP bulk transfer over the default home-to-work
// path, the reference every tunnel is compared with. Writes a results JSON with goodput.
//
// Topology (model/ns3/five_node_path.h; every rate and delay is a command-line option, their
// defaults the scenario engine's [topology] defaults):
//   homeHost --LAN-- homeGateway ==access link (asymmetric)== wanRouter --WAN-- workGateway
//   --LAN-- workHost
#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/five_node_path.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

using namespace ns3;

namespace {

struct PathConfig {
  std::string lanRate = "1Gbps";
  std::string lanDelay = "100us";
  std::string accessDownRate = "100Mbps"; // towards the home
  std::string accessUpRate = "20Mbps";    // towards work
  std::string accessDelay = "5ms";
  std::string wanRate = "1Gbps";
  std::string wanDelay = "15ms";
};

// The engine's five-node path (same builder, addresses, build order, and no queue disc: the
// device's drop-tail queue holds packets) with this program's rates and delays; queue and MTU
// are the builder's defaults, which are the engine's (five_node_path_tests checks). So
// `scripts/bench` compares `tunnelsim run` with plain ns-3 on the same path.
tunnelsim::FiveNodePath BuildPath(const PathConfig &path) {
  tunnelsim::FiveNodePathConfig config;
  const DataRate lan(path.lanRate), wan(path.wanRate);
  const Time lanDelay(path.lanDelay);
  config.links = {
      {{lan, lan, lanDelay},
       {DataRate(path.accessUpRate), DataRate(path.accessDownRate), Time(path.accessDelay)},
       {wan, wan, Time(path.wanDelay)},
       {lan, lan, lanDelay}}};
  config.subnets = tunnelsim::HomeToWorkSubnets();
  return tunnelsim::BuildFiveNodePath(config);
}

// Writes through a temporary file and renames it, so a failed run never leaves half a file.
void WriteJsonAtomically(const std::filesystem::path &path, const nlohmann::json &json) {
  // A bare file name has no parent: create_directories("") throws.
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary);
    out << json.dump(2) << "\n";
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, path);
}

} // namespace

int main(int argc, char *argv[]) {
  PathConfig path;
  double durationSeconds = 20.0;
  uint32_t seed = 1;
  std::string out = "results/baseline/results.json";
  std::string tcpVariant = "ns3::TcpCubic";
  uint32_t segmentSize = 1448;

  CommandLine cmd(__FILE__);
  cmd.AddValue("duration", "Simulated seconds of bulk transfer", durationSeconds);
  cmd.AddValue("seed", "Run number for the random streams", seed);
  cmd.AddValue("out", "Path of the results JSON", out);
  cmd.AddValue("tcp", "TCP congestion control TypeId", tcpVariant);
  cmd.AddValue("segmentSize", "TCP payload bytes per segment (tcp.segment_size)", segmentSize);
  cmd.AddValue("accessDown", "Access link rate towards the home", path.accessDownRate);
  cmd.AddValue("accessUp", "Access link rate towards work", path.accessUpRate);
  cmd.AddValue("accessDelay", "Access link one-way delay", path.accessDelay);
  cmd.AddValue("wanRate", "WAN link rate", path.wanRate);
  cmd.AddValue("wanDelay", "WAN link one-way delay", path.wanDelay);
  cmd.Parse(argc, argv);
  if (durationSeconds <= 1.0) {
    std::cerr << "baseline: --duration must be more than 1 second\n";
    return 2;
  }

  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(seed);
  Config::SetDefault("ns3::TcpL4Protocol::SocketType", StringValue(tcpVariant));
  Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(4 << 20));
  Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(4 << 20));
  Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(segmentSize));

  const tunnelsim::FiveNodePath topology = BuildPath(path);
  const Ptr<Node> homeHost = topology.HomeHost(), workHost = topology.WorkHost();
  const Ipv4InterfaceContainer &homeLan = topology.Interfaces(tunnelsim::PathLink::kHomeLan);
  Ipv4GlobalRoutingHelper::PopulateRoutingTables();

  // Download: work host sends to the home host, the direction users notice collapsing.
  const uint16_t port = 5001;
  PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                              InetSocketAddress(Ipv4Address::GetAny(), port));
  ApplicationContainer sinkApp = sinkHelper.Install(homeHost);
  BulkSendHelper bulk("ns3::TcpSocketFactory", InetSocketAddress(homeLan.GetAddress(0), port));
  bulk.SetAttribute("MaxBytes", UintegerValue(0));
  ApplicationContainer sourceApp = bulk.Install(workHost);
  const double start = 0.5;
  sinkApp.Start(Seconds(0.0));
  sourceApp.Start(Seconds(start));
  Simulator::Stop(Seconds(start + durationSeconds));
  Simulator::Run();

  const uint64_t received = DynamicCast<PacketSink>(sinkApp.Get(0))->GetTotalRx();
  Simulator::Destroy();

  const double goodputMbps = double(received) * 8.0 / durationSeconds / 1e6;
  nlohmann::json results = {
      {"experiment", "baseline"},
      {"tunnel", "none"},
      {"seed", seed},
      {"duration_s", durationSeconds},
      {"tcp", tcpVariant},
      {"path",
       {{"lan_rate", path.lanRate},
        {"access_down_rate", path.accessDownRate},
        {"access_up_rate", path.accessUpRate},
        {"access_delay", path.accessDelay},
        {"wan_rate", path.wanRate},
        {"wan_delay", path.wanDelay}}},
      {"flows",
       {{{"direction", "work-to-home"},
         {"bytes_received", received},
         {"goodput_mbps", goodputMbps}}}},
      {"versions", {{"tunnelsim", TUNNELSIM_VERSION}, {"ns3", "3.37"}}},
  };
  WriteJsonAtomically(out, results);
  std::cout << "baseline: " << goodputMbps << " Mbit/s goodput over " << durationSeconds
            << " s; results in " << out << "\n";
  return 0;
}
