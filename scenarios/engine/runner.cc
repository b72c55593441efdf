#include "runner.h"

#include "atomic_file.h"
#include "buffer_check.h"
#include "fairness.h"
#include "flow_probe.h"
#include "impairments.h"
#include "progress.h"
#include "provenance.h"
#include "roaming.h"
#include "tcp_config.h"
#include "timeseries.h"
#include "topology.h"
#include "traffic.h"
#include "tunnel_registry.h"
#include "tunnel_spec_json.h"
#include "units.h"

#include "ns3/point-to-point-helper.h"
#include "ns3/rng-seed-manager.h"
#include "ns3/simulator.h"
#include "ns3/version-defines.h"

#include <toml.hpp>

#include <chrono>

#ifndef TUNNELSIM_VERSION
#define TUNNELSIM_VERSION "unknown"
#endif

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;

json Versions() {
  return {{"tunnelsim", TUNNELSIM_VERSION},
          {"ns3", std::to_string(NS3_VERSION_MAJOR) + "." + std::to_string(NS3_VERSION_MINOR)},
          {"toml11", std::to_string(TOML11_VERSION_MAJOR) + "." +
                         std::to_string(TOML11_VERSION_MINOR) + "." +
                         std::to_string(TOML11_VERSION_PATCH)},
          {"results_schema", 1}};
}

void EnablePcaps(const Topology &topology, const std::filesystem::path &dir) {
  std::filesystem::create_directories(dir);
  const std::map<std::string, std::pair<std::string, std::string>> sides = {
      {"home_lan", {"home_host", "home_gateway"}},
      {"access", {"home_gateway", "wan_router"}},
      {"wan", {"wan_router", "work_gateway"}},
      {"work_lan", {"work_gateway", "work_host"}}};
  ns3::PointToPointHelper p2p;
  for (const auto &[link, names] : sides) {
    const ns3::NetDeviceContainer &devices = topology.links.at(link);
    p2p.EnablePcap((dir / (link + "-" + names.first + ".pcap")).string(), devices.Get(0), false,
                   true);
    p2p.EnablePcap((dir / (link + "-" + names.second + ".pcap")).string(), devices.Get(1), false,
                   true);
  }
}

TunnelContext MakeTunnelContext(const json &resolved, const Topology &topology,
                                const RunOptions &options) {
  TunnelContext context;
  context.home = {topology.homeGateway, topology.links.at("access").Get(0),
                  topology.interfaces.at("access").GetAddress(0), ns3::Ipv4Address("192.168.1.0"),
                  ns3::Ipv4Mask("255.255.255.0")};
  context.work = {topology.workGateway, topology.links.at("wan").Get(1),
                  topology.interfaces.at("wan").GetAddress(1), ns3::Ipv4Address("10.1.0.0"),
                  ns3::Ipv4Mask("255.255.255.0")};
  context.seed = resolved.at("seed").get<uint64_t>();
  context.spec = TunnelSpecFrom(resolved);
  context.outDir = options.outDir;
  context.keyLog = resolved.at("output").at("key_log").get<bool>();
  context.pcap = resolved.at("output").at("pcap").get<bool>();
  return context;
}

json TunnelJson(const json &type, const Tunnel &tunnel) {
  json events = json::array();
  for (const TunnelEvent &event : tunnel.Events())
    events.push_back({{"time_s", event.timeSeconds}, {"kind", event.kind}, {"side", event.side}});
  return {{"type", type}, {"counters", tunnel.Counters().ToJson()}, {"events", events}};
}

// Everything that lives while the simulator runs; destroyed after Simulator::Destroy.
struct Simulation {
  std::unique_ptr<Tunnel> tunnel;
  std::unique_ptr<InstalledImpairments> impairments;
  std::vector<std::unique_ptr<FlowProbe>> probes;
  std::unique_ptr<TimeseriesSampler> sampler;
  std::unique_ptr<ProgressReporter> progress;
};

} // namespace

RunOutcome RunScenario(const LoadedScenario &scenario, const RunOptions &options) {
  const json &resolved = scenario.resolved;
  if (resolved.at("tcp").at("stack") == "kernel") {
    // Not a simulation: stock ns-3 TCP must not stand in for it silently.
    throw std::invalid_argument("tcp.stack = \"kernel\" is real Linux TCP, not a simulation: "
                                "run it with `tunnelsim emulate` (or `tunnelsim run`, which "
                                "hands it over)");
  }
  ProvenanceRun provenanceRun; // started now
  const auto wallStart = std::chrono::steady_clock::now();
  const ns3::Time end =
      ns3::NanoSeconds(*ParseDurationNs(resolved.at("duration").get<std::string>()));

  Simulation sim;
  sim.tunnel = MakeTunnel(resolved.at("tunnel").at("type").get<std::string>());

  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(resolved.at("seed").get<uint64_t>());
  ApplyTcpDefaults(resolved.at("tcp"));

  const json &output = resolved.at("output");
  if (output.at("pcap").get<bool>()) std::filesystem::create_directories(options.outDir / "pcap");
  if (output.at("key_log").get<bool>()) std::filesystem::create_directories(options.outDir);

  Topology topology = BuildTopology(resolved.at("topology"));
  sim.impairments = InstallImpairments(resolved, topology);
  sim.tunnel->Install(MakeTunnelContext(resolved, topology, options));
  const std::optional<LinuxTcpOptions> linuxTcp =
      LinuxTcpOptionsFor(resolved.at("tcp"), PathBdpBytes(resolved));
  if (linuxTcp) {
    InstallLinuxLikeTcp(ns3::NodeContainer(topology.homeHost, topology.workHost), *linuxTcp);
  }
  sim.probes = InstallTraffic(resolved.at("traffic"), topology, end,
                              linuxTcp ? LinuxTcpSocketFactoryTypeId()
                                       : ns3::TypeId::LookupByName("ns3::TcpSocketFactory"));
  sim.sampler = std::make_unique<TimeseriesSampler>(
      sim.probes,
      ns3::NanoSeconds(*ParseDurationNs(resolved.at("output").at("interval").get<std::string>())),
      end);
  sim.sampler->Start();
  if (const json &t = resolved.at("topology"); t.contains("roam_at")) {
    ScheduleRoaming(topology,
                    ns3::NanoSeconds(*ParseDurationNs(t.at("roam_at").get<std::string>())));
  }
  if (resolved.at("output").at("pcap").get<bool>()) EnablePcaps(topology, options.outDir / "pcap");
  if (options.showProgress) {
    sim.progress = std::make_unique<ProgressReporter>(end, stderr);
    sim.progress->Start();
  }

  // Just past the end, so the last time-series sample (due at `end`) is taken.
  ns3::Simulator::Stop(end + ns3::NanoSeconds(1));
  ns3::Simulator::Run();
  if (sim.progress) sim.progress->Finish();

  RunOutcome outcome;
  json flows = json::array();
  for (const auto &probe : sim.probes)
    flows.push_back(probe->ResultsJson(end));
  outcome.results = {
      {"scenario", resolved},
      {"description", scenario.description},
      {"versions", Versions()},
      {"flows", flows},
      {"impairments", sim.impairments->Counters()},
      {"tunnel", TunnelJson(resolved.at("tunnel").at("type"), *sim.tunnel)},
  };
  // Only when there is something to say, so other runs' results.json stay as they were.
  if (const std::optional<json> fairness = BulkFairnessJson(flows))
    outcome.results["fairness"] = *fairness;
  json warnings = json::array();
  for (const BufferBelowBdp &buffer : BuffersBelowPathBdp(resolved))
    warnings.push_back(buffer.ToJson());
  if (!warnings.empty()) outcome.results["warnings"] = warnings;
  outcome.timeseriesCsv = sim.sampler->Csv();
  ns3::Simulator::Destroy();
  outcome.wallSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
  provenanceRun.wallSeconds = outcome.wallSeconds;
  provenanceRun.simulatedSeconds = end.GetSeconds();
  outcome.results["provenance"] = ProvenanceJson(resolved, provenanceRun);
  return outcome;
}

void WriteRunOutputs(const RunOutcome &outcome, const std::filesystem::path &outDir) {
  // The time series first: results.json appearing means the run is complete.
  WriteFileAtomically(outDir / "timeseries.csv", outcome.timeseriesCsv);
  WriteFileAtomically(outDir / "results.json", outcome.results.dump(2) + "\n");
}

} // namespace tunnelsim::scenario
