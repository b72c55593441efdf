#include "hub_report.h"

#include <sys/resource.h>

#include <algorithm>
#include <iostream>

namespace tunnelsim::hub {

uint64_t PeersWithNone(const std::vector<uint64_t> &perPeer) {
  return uint64_t(std::count(perPeer.begin(), perPeer.end(), 0));
}

nlohmann::ordered_json PerPeerSummary(const std::vector<uint64_t> &perPeer) {
  if (perPeer.empty()) return {{"min", 0}, {"max", 0}, {"total", 0}, {"peers_with_none", 0}};
  const auto [lo, hi] = std::minmax_element(perPeer.begin(), perPeer.end());
  uint64_t total = 0;
  for (uint64_t n : perPeer)
    total += n;
  return {
      {"min", *lo}, {"max", *hi}, {"total", total}, {"peers_with_none", PeersWithNone(perPeer)}};
}

namespace {
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval &t) { return double(t.tv_sec) + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}
} // namespace

void WallClock::StartRun() {
  runStartCpu = ProcessCpuSeconds();
  runStart = std::chrono::steady_clock::now();
}

void WallClock::EndRun() {
  runEnd = std::chrono::steady_clock::now();
  runEndCpu = ProcessCpuSeconds();
}

nlohmann::ordered_json CostJson(const WallClock &clock, double simulatedSeconds, uint32_t peers) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double runWall = std::chrono::duration<double>(clock.runEnd - clock.runStart).count();
  const double setupWall = std::chrono::duration<double>(clock.runStart - clock.start).count();
  return {{"setup_wall_s", setupWall},
          {"wall_s", runWall},
          {"wall_per_sim_s", runWall / simulatedSeconds},
          {"run_cpu_s", clock.runEndCpu - clock.runStartCpu},
          {"cpu_per_sim_s", (clock.runEndCpu - clock.runStartCpu) / simulatedSeconds},
          {"max_rss_kib", usage.ru_maxrss}, // Linux: kibibytes
          {"rss_per_peer_kib", double(usage.ru_maxrss) / peers}};
}

void PrintResultLine(nlohmann::ordered_json out, const WallClock &clock, double simulatedSeconds,
                     uint32_t peers, bool ok, bool listPerPeer,
                     const std::vector<uint64_t> &deliveredPerPeer,
                     const std::vector<uint64_t> &echoedPerPeer) {
  out.update(CostJson(clock, simulatedSeconds, peers));
  out["ok"] = ok;
  if (listPerPeer) {
    out["delivered_per_peer"] = deliveredPerPeer;
    out["echoed_per_peer"] = echoedPerPeer;
  }
  std::cout << out.dump() << std::endl;
}

} // namespace tunnelsim::hub
