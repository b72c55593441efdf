#include "emulate_runner.h"

#include "emulate_limits.h"
#include "kernel_flows.h"
#include "kernel_udp_flow.h"
#include "network_namespace.h"
#include "provenance.h"
#include "relay_driver.h"
#include "relay_from_scenario.h"
#include "strongswan_gateways.h"
#include "units.h"

#include "realnet/clock.h"
#include "realnet/tun_device.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#ifndef TUNNELSIM_VERSION
#define TUNNELSIM_VERSION "unknown"
#endif

namespace tunnelsim::emulate {
namespace {

using nlohmann::json;

constexpr const char *kTunName = "emu0";
// The hosts' TUN transmit ring (txqueuelen, default 500). The kernel drops a packet when the
// ring is full, which a slow-start burst did while the relay was reading the one before it:
// drops that are no part of the scenario's path (its LAN hop models the host's queue), and
// which capped the unimpaired carry at 110-250 Mbit/s (docs/tcp-fidelity.md). 20000 packets
// hold more than a 16 MB window of full-size segments; the relay reads them in order.
constexpr int kTunQueuePackets = 20000;
// Setting up takes well under this; flows start at their scenario time after it.
constexpr Duration kStartMargin = Milliseconds(200);

Duration DurationOf(const json &table, const char *key, Duration fallback) {
  if (!table.contains(key)) return fallback;
  return Duration(*scenario::ParseDurationNs(table.at(key).get<std::string>()));
}

std::string Dotted(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::string KernelCongestionName(const std::string &scenarioName) {
  if (scenarioName == "newreno") return "reno";
  if (scenarioName == "cubic-linux") return "cubic"; // the model's reference is the real one
  return scenarioName;
}

// An exclusive lock on a file for the whole run, so emulations never overlap in time.
class RunLock {
public:
  explicit RunLock(const std::filesystem::path &path) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open lock file " + path.string());
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      std::fprintf(stderr, "tunnelsim emulate: waiting for another emulation to finish (%s)\n",
                   path.c_str());
      if (flock(fd_, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + path.string());
    }
  }
  ~RunLock() { close(fd_); }

private:
  int fd_ = -1;
};

// The TcpExt counters of the calling thread's namespace (/proc/net/netstat).
std::map<std::string, uint64_t> TcpExtCounters() {
  std::ifstream in("/proc/thread-self/net/netstat");
  std::string header, values;
  std::map<std::string, uint64_t> counters;
  while (std::getline(in, header) && std::getline(in, values)) {
    if (header.rfind("TcpExt:", 0) != 0) continue;
    std::istringstream names(header.substr(7)), numbers(values.substr(7));
    std::string name;
    uint64_t value = 0;
    while (names >> name && numbers >> value)
      counters[name] = value;
  }
  return counters;
}

std::map<std::string, uint64_t> CountersIn(const NetworkNamespace &ns) {
  std::map<std::string, uint64_t> counters;
  ns.Run([&] { counters = TcpExtCounters(); });
  return counters;
}

uint64_t Delta(const std::map<std::string, uint64_t> &before,
               const std::map<std::string, uint64_t> &after,
               std::initializer_list<const char *> names) {
  uint64_t sum = 0;
  for (const char *name : names) {
    auto a = after.find(name);
    auto b = before.find(name);
    if (a != after.end()) sum += a->second - (b != before.end() ? b->second : 0);
  }
  return sum;
}

std::unique_ptr<realnet::TunDevice> ConfigureHost(const NetworkNamespace &ns, uint32_t address,
                                                  uint32_t farNetwork, size_t mtu,
                                                  const json &tcp) {
  std::unique_ptr<realnet::TunDevice> tun;
  ns.Run([&] {
    std::string error;
    tun = realnet::TunDevice::Open(kTunName, error);
    if (!tun) throw std::runtime_error("cannot create a TUN device in " + ns.name() + ": " + error);
  });
  const std::string &n = ns.name();
  RunProgram({"ip", "-n", n, "link", "set", "lo", "up"});
  RunProgram({"ip", "-n", n, "link", "set", kTunName, "mtu", std::to_string(mtu), "txqueuelen",
              std::to_string(kTunQueuePackets), "up"});
  RunProgram({"ip", "-n", n, "address", "add", Dotted(address) + "/24", "dev", kTunName});
  const int64_t minRtoMs =
      *scenario::ParseDurationNs(tcp.at("min_rto").get<std::string>()) / 1000000;
  RunProgram({"ip", "-n", n, "route", "add", Dotted(farNetwork) + "/24", "dev", kTunName,
              "initcwnd", std::to_string(tcp.at("initial_cwnd").get<int>()), "rto_min",
              std::to_string(minRtoMs) + "ms"});
  const bool rack = tcp.at("loss_detection").get<std::string>() == "rack";
  const auto flag = [&](const char *key) { return tcp.at(key).get<bool>() ? "1" : "0"; };
  const std::vector<std::pair<std::string, std::string>> sysctls = {
      {"ipv4/tcp_sack", flag("sack")},
      {"ipv4/tcp_timestamps", flag("timestamps")},
      {"ipv4/tcp_dsack", flag("dsack")},
      {"ipv4/tcp_recovery", rack ? "1" : "0"},
      {"ipv4/tcp_early_retrans", rack && tcp.at("tlp").get<bool>() ? "3" : "0"},
      {"ipv4/tcp_no_metrics_save", "1"},
      // IPv4 only, as the ns-3 topology: no router solicitations or MLD on the TUN.
      {"ipv6/conf/all/disable_ipv6", "1"},
      {"ipv6/conf/default/disable_ipv6", "1"}};
  // /proc/sys/net shows the namespace of the thread that opens it.
  ns.Run([&] {
    for (const auto &[key, value] : sysctls) {
      std::ofstream out("/proc/sys/net/" + key);
      out << value << "\n";
      out.flush();
      if (!out) throw std::runtime_error("cannot set net." + key + " in " + ns.name());
    }
  });
  return tun;
}

// The linux_tcp object of `run` from the namespaces' MIB counters; fields the kernel does not
// count separately are null (docs/tcp-fidelity.md).
json LinuxTcpFromMib(const std::map<std::string, uint64_t> &senderBefore,
                     const std::map<std::string, uint64_t> &senderAfter,
                     const std::map<std::string, uint64_t> &receiverBefore,
                     const std::map<std::string, uint64_t> &receiverAfter, const json &flow) {
  json spurious = nullptr;
  if (flow.contains("kernel_tcp_info")) spurious = flow.at("kernel_tcp_info").at("dsack_dups");
  return {
      {"spurious_retransmissions", spurious},
      {"undone_cwnd_reductions",
       Delta(senderBefore, senderAfter,
             {"TCPFullUndo", "TCPPartialUndo", "TCPDSACKUndo", "TCPLossUndo"})},
      {"dsacks_received", Delta(senderBefore, senderAfter, {"TCPDSACKRecv", "TCPDSACKOfoRecv"})},
      {"dsacks_sent", Delta(receiverBefore, receiverAfter, {"TCPDSACKOldSent", "TCPDSACKOfoSent"})},
      {"rack_losses", nullptr},
      {"dup_ack_losses", nullptr},
      {"tlps_sent", Delta(senderBefore, senderAfter, {"TCPLossProbes"})},
      {"tlp_loss_repairs", Delta(senderBefore, senderAfter, {"TCPLossProbeRecovery"})},
      {"fast_recoveries", Delta(senderBefore, senderAfter, {"TCPSackRecovery", "TCPRenoRecovery"})},
      {"retransmission_timeouts", Delta(senderBefore, senderAfter, {"TCPTimeouts"})},
      // Linux counts RTOs F-RTO proved spurious; the model also counts timestamp/D-SACK proof.
      {"spurious_rtos", Delta(senderBefore, senderAfter, {"TCPSpuriousRTOs"})},
      {"max_reo_wnd_mult", nullptr}};
}

class ThreadJoiner {
public:
  explicit ThreadJoiner(std::atomic<bool> &stop) : stop_(stop) {}
  ~ThreadJoiner() { Join(); }
  void Join() {
    stop_ = true;
    if (thread.joinable()) thread.join();
  }
  std::thread thread;

private:
  std::atomic<bool> &stop_;
};

} // namespace

EmulateOutcome RunEmulation(const scenario::LoadedScenario &scenario,
                            const EmulateOptions &options) {
  scenario::ProvenanceRun provenanceRun; // started now
  provenanceRun.ns3Simulation = false;
  const auto wallStart = std::chrono::steady_clock::now();
  const json &resolved = scenario.resolved;

  // Before any thread exists, so every thread inherits the mask and the signals reach only
  // the relay loop's signalfd, which ends the run in order (and the cleanup runs).
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  const RelaySettings relaySettings = RelaySettingsFrom(resolved, options.enforceLimits);
  const json &tcp = resolved.at("tcp");
  const std::string congestion = KernelCongestionName(tcp.at("congestion").get<std::string>());

  if (geteuid() != 0) throw EmulateUnavailable("emulate needs root (network namespaces, TUN)");
  if (access("/dev/net/tun", R_OK | W_OK) != 0) {
    throw EmulateUnavailable("emulate needs /dev/net/tun");
  }
  try {
    RequireCongestionControl(congestion);
  } catch (const std::runtime_error &error) {
    throw EmulateUnsupported(std::string("tcp.congestion: ") + error.what());
  }

  // strongswan: charon is each side's gateway, in the host's namespace (strongswan_gateways.h).
  const bool strongswan = relaySettings.tunnel.spec.StrongSwan() != nullptr;
  if (strongswan && !StrongSwanMissing().empty()) {
    throw EmulateUnavailable("tunnel.type = strongswan needs " + StrongSwanMissing());
  }

  RunLock lock(options.lockFile);
  RemoveStaleNamespaces(kNamespacePrefix);
  const std::string prefix = kNamespacePrefix + std::to_string(getpid());
  NetworkNamespace homeNs(prefix + "-home");
  NetworkNamespace workNs(prefix + "-work");

  const size_t mtu = HostMtu(resolved);
  // With strongswan the TUNs carry charon's outer packets: they hold the gateways' WAN
  // addresses, and the hosts' own addresses are routed into charon's ipsec0.
  constexpr uint32_t kSlash24 = 0xffffff00;
  auto homeTun = strongswan
                     ? ConfigureHost(homeNs, kHomeGatewayWan, kWorkGatewayWan & kSlash24, mtu, tcp)
                     : ConfigureHost(homeNs, kHomeHostAddress, kWorkLanNetwork, mtu, tcp);
  auto workTun = strongswan
                     ? ConfigureHost(workNs, kWorkGatewayWan, kHomeGatewayWan & kSlash24, mtu, tcp)
                     : ConfigureHost(workNs, kWorkHostAddress, kHomeLanNetwork, mtu, tcp);
  std::unique_ptr<StrongSwanGateways> charon; // stopped before the namespaces are removed
  if (strongswan) {
    StrongSwanRouteOptions routes;
    routes.initialCwnd = tcp.at("initial_cwnd").get<int>();
    routes.minRtoMs = *scenario::ParseDurationNs(tcp.at("min_rto").get<std::string>()) / 1000000;
    charon = StartStrongSwanGateways(homeNs, workNs, *homeTun, *workTun, relaySettings, routes);
  }
  // What the kernel's TCP actually runs with, read back in each namespace after setting it
  // (/proc/sys/net shows the namespace of the thread that opens it).
  json kernelTcp = json::object();
  for (const NetworkNamespace *ns : {&homeNs, &workNs}) {
    json settings;
    ns->Run([&] { settings = scenario::KernelTcpSettingsJson(); });
    kernelTcp[ns == &homeNs ? "home" : "work"] = settings;
  }

  KernelTcpOptions tcpOptions;
  tcpOptions.congestion = congestion;
  // ns-3's segment size is the payload; the kernel's MSS option counts the timestamps too.
  tcpOptions.maxSegment =
      tcp.at("segment_size").get<int>() + (tcp.at("timestamps").get<bool>() ? 12 : 0);
  tcpOptions.sendBuffer = tcp.at("send_buffer").get<int>();
  tcpOptions.receiveBuffer = tcp.at("receive_buffer").get<int>();

  const Duration runEnd(*scenario::ParseDurationNs(resolved.at("duration").get<std::string>()));
  const Time origin = realnet::MonotonicNow() + kStartMargin;
  const json &traffic = resolved.at("traffic");
  std::vector<std::unique_ptr<KernelFlow>> flows;
  std::vector<std::string> flowSenders; // "home"/"work" per flow, for the MIB counters
  auto endsFor = [&](const std::string &direction, bool download) {
    FlowEndpoints ends;
    ends.sender = download ? &workNs : &homeNs;
    ends.receiver = download ? &homeNs : &workNs;
    ends.senderAddress = download ? kWorkHostAddress : kHomeHostAddress;
    ends.receiverAddress = download ? kHomeHostAddress : kWorkHostAddress;
    (void)direction;
    return ends;
  };
  auto timingFor = [&](const json &flow) {
    FlowTiming timing;
    timing.origin = origin;
    timing.start = DurationOf(flow, "start", Duration(0));
    timing.stop = DurationOf(flow, "stop", runEnd);
    timing.runEnd = runEnd;
    return timing;
  };
  std::vector<size_t> bulkIndices;
  if (traffic.contains("bulk")) {
    // A table with count = N is N flows, numbered on across tables as `run` numbers them.
    size_t i = 0;
    for (const json &flow : traffic.at("bulk")) {
      const std::string direction = flow.at("direction");
      const size_t count = flow.contains("count") ? flow.at("count").get<size_t>() : 1;
      for (size_t copy = 0; copy < count; ++copy, ++i) {
        bulkIndices.push_back(flows.size());
        flowSenders.push_back(direction == "download" ? "work" : "home");
        flows.push_back(MakeBulkFlow("bulk" + std::to_string(i), direction,
                                     endsFor(direction, direction == "download"), timingFor(flow),
                                     flow.at("bytes").get<uint64_t>(),
                                     static_cast<uint16_t>(5001 + i), tcpOptions));
      }
    }
  }
  if (traffic.contains("ping")) {
    for (size_t i = 0; i < traffic.at("ping").size(); ++i) {
      const json &flow = traffic.at("ping")[i];
      const std::string direction = flow.at("direction");
      // A ping "upload" is the home host pinging the work host.
      flowSenders.push_back(direction == "upload" ? "home" : "work");
      flows.push_back(MakePingFlow(
          "ping" + std::to_string(i), direction, endsFor(direction, direction == "download"),
          timingFor(flow), DurationOf(flow, "interval", Milliseconds(100)),
          flow.at("size").get<size_t>(), static_cast<uint16_t>((getpid() + i) & 0xffff)));
    }
  }

  if (traffic.contains("udp")) {
    for (size_t i = 0; i < traffic.at("udp").size(); ++i) {
      const json &flow = traffic.at("udp")[i];
      const std::string direction = flow.at("direction");
      flowSenders.push_back(direction == "download" ? "work" : "home");
      UdpFlowSettings udp;
      udp.rateBitsPerSecond = *scenario::ParseDataRateBps(flow.at("rate").get<std::string>());
      udp.packetSize = flow.at("packet_size").get<size_t>();
      // The engine's ports: `port`, or 6000 + the flow's index.
      udp.port =
          flow.contains("port") ? flow.at("port").get<uint16_t>() : static_cast<uint16_t>(6000 + i);
      flows.push_back(MakeUdpFlow("udp" + std::to_string(i), direction,
                                  endsFor(direction, direction == "download"), timingFor(flow),
                                  udp));
    }
  }

  const auto homeBefore = CountersIn(homeNs);
  const auto workBefore = CountersIn(workNs);
  Relay relay(relaySettings, realnet::MonotonicNow());
  for (auto &flow : flows)
    flow->Start();

  // Time series: one row per bulk flow per interval, as `run` writes them.
  // The kernel's TCP_INFO state follows the common columns (issue 16 part 4).
  std::string csv = "time_s,flow,kind,goodput_mbps,cwnd_bytes,rtt_ms,ssthresh_segments,ca_state,"
                    "total_retrans,reord_seen,reordering\n";
  const Duration interval = DurationOf(resolved.at("output"), "interval", Milliseconds(100));
  std::atomic<bool> samplerStop{false};
  ThreadJoiner sampler(samplerStop);
  sampler.thread = std::thread([&] {
    for (Time next = origin + interval; next <= origin + runEnd && !samplerStop; next += interval) {
      while (realnet::MonotonicNow() < next && !samplerStop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (samplerStop) break;
      for (size_t index : bulkIndices) {
        flows[index]->Sample(ToSeconds(next - origin), ToSeconds(interval), csv);
      }
    }
  });

  const RelayDriverStats stats = RunRelay(relay, *homeTun, *workTun, origin + runEnd);
  sampler.Join();
  const auto homeAfter = CountersIn(homeNs);
  const auto workAfter = CountersIn(workNs);
  for (auto &flow : flows)
    flow->RequestStop();
  for (auto &flow : flows)
    flow->Join();
  if (stats.signal != 0) {
    throw std::runtime_error(std::string("interrupted by ") + strsignal(stats.signal) +
                             "; namespaces removed");
  }
  for (const auto &flow : flows) {
    if (!flow->Failure().empty()) throw std::runtime_error(flow->Failure());
  }

  json flowsJson = json::array();
  std::map<std::string, int> bulkSendersPerSide;
  for (size_t index : bulkIndices)
    ++bulkSendersPerSide[flowSenders[index]];
  for (size_t i = 0; i < flows.size(); ++i) {
    json flow = flows[i]->ResultsJson();
    if (flow.at("kind") == "bulk") {
      const bool fromWork = flowSenders[i] == "work";
      // Namespace-wide counters belong to a flow only when it is its side's only sender.
      if (bulkSendersPerSide[flowSenders[i]] == 1) {
        flow["linux_tcp"] = LinuxTcpFromMib(
            fromWork ? workBefore : homeBefore, fromWork ? workAfter : homeAfter,
            fromWork ? homeBefore : workBefore, fromWork ? homeAfter : workAfter, flow);
        // How slow start ended (issue 16 part 4): HyStart exits and the cwnd at each.
        const auto &before = fromWork ? workBefore : homeBefore;
        const auto &after = fromWork ? workAfter : homeAfter;
        flow["kernel_mib"] = {
            {"hystart_train_detect", Delta(before, after, {"TCPHystartTrainDetect"})},
            {"hystart_train_cwnd", Delta(before, after, {"TCPHystartTrainCwnd"})},
            {"hystart_delay_detect", Delta(before, after, {"TCPHystartDelayDetect"})},
            {"hystart_delay_cwnd", Delta(before, after, {"TCPHystartDelayCwnd"})},
            {"sack_reorder", Delta(before, after, {"TCPSACKReorder"})},
            {"ts_reorder", Delta(before, after, {"TCPTSReorder"})}};
      } else {
        flow["linux_tcp"] = nullptr;
      }
    }
    flowsJson.push_back(flow);
  }

  utsname uts{};
  uname(&uts);
  const double seconds = ToSeconds(runEnd);
  const RelayCounters &counters = relay.Counters();
  EmulateOutcome outcome;
  outcome.results = {
      {"scenario", resolved},
      {"description", scenario.description},
      {"versions",
       {{"tunnelsim", TUNNELSIM_VERSION}, {"kernel", uts.release}, {"results_schema", 1}}},
      {"flows", flowsJson},
      {"impairments", relay.ImpairmentsJson()},
      {"tunnel",
       {{"type", resolved.at("tunnel").at("type")},
        {"counters", charon ? charon->TunnelCountersJson(relay.Hop(kHomeLanUp).Counters().bytes +
                                                         relay.Hop(kWorkLanDown).Counters().bytes)
                            : relay.TunnelCountersJson()},
        {"events", json::array()}}},
      {"emulation",
       {{"mode", "kernel"},
        {"host_mtu", mtu},
        {"kernel_congestion", congestion},
        {"tcp_mss_option", tcpOptions.maxSegment},
        {"tcp_keys_not_applied",
         {"undo", "quick_ack_segments", "max_ack_delay", "delayed_ack_count",
          "delayed_ack_timeout"}},
        {"ipsec_keying", strongswan ? "IKEv2 by strongSwan's charon (PSK), ESP by kernel-libipsec"
                                    : "IKEv2 by tunnelsim's IKE core (PSK from the seed) over "
                                      "the relay's path"},
        {"limits_enforced", options.enforceLimits},
        {"limits",
         {{"max_bottleneck_rate_bps", kMaxBottleneckRateBps},
          {"min_impairment_delay_ns", kMinImpairmentDelayNs}}},
        {"relay",
         {{"packets_from_home", counters.fromHome},
          {"packets_from_work", counters.fromWork},
          {"packets_to_home", counters.toHome},
          {"packets_to_work", counters.toWork},
          {"tun_write_errors", stats.tunWriteErrors},
          {"wakeups", stats.wakeups},
          {"realtime_priority", stats.realtimePriority},
          {"timer_expiries", stats.timerExpiries},
          {"cpu_seconds", stats.cpuSeconds},
          {"cpu_fraction", seconds > 0 ? stats.cpuSeconds / seconds : 0.0},
          {"lateness", LatenessJson(stats.latenessNs)},
          {"hops", relay.HopsJson()}}}}},
  };
  if (const EspReplayAnalysis *analysis = relay.EspAnalysis()) {
    outcome.results["emulation"]["esp_replay_analysis"] = analysis->Json();
  }
  outcome.timeseriesCsv = csv;
  outcome.wallSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
  provenanceRun.wallSeconds = outcome.wallSeconds;
  provenanceRun.simulatedSeconds = seconds;
  json provenance = scenario::ProvenanceJson(resolved, provenanceRun);
  provenance["kernel_tcp"] = {{"congestion_control", congestion},
                              {"kernel_release", uts.release},
                              {"namespaces", kernelTcp}};
  outcome.results["provenance"] = provenance;
  return outcome;
}

} // namespace tunnelsim::emulate
