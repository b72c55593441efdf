// The JSON pieces the hub programs print: per-peer counts as min/max/total/peers with none, and
// wall time and memory of the run.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

namespace tunnelsim::hub {

// {"min", "max", "total", "peers_with_none"} of one count per peer.
nlohmann::ordered_json PerPeerSummary(const std::vector<uint64_t> &perPeer);
uint64_t PeersWithNone(const std::vector<uint64_t> &perPeer);

// Wall clock from program start, the simulation's start and end, and the process's CPU time
// (user + system) at the simulation's start and end: on a shared machine the run's CPU time
// shows its cost where the wall time also holds the waits for a core.
struct WallClock {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), runStart, runEnd;
  double runStartCpu = 0, runEndCpu = 0; // seconds
  void StartRun();
  void EndRun();
};

// setup_wall_s, wall_s, wall_per_sim_s, run_cpu_s, cpu_per_sim_s, max_rss_kib (getrusage),
// rss_per_peer_kib.
nlohmann::ordered_json CostJson(const WallClock &clock, double simulatedSeconds, uint32_t peers);

// Completes a hub program's JSON line and prints it on stdout: the run's cost, "ok", and with
// `listPerPeer` every peer's delivered and echoed counts.
void PrintResultLine(nlohmann::ordered_json out, const WallClock &clock, double simulatedSeconds,
                     uint32_t peers, bool ok, bool listPerPeer,
                     const std::vector<uint64_t> &deliveredPerPeer,
                     const std::vector<uint64_t> &echoedPerPeer);

} // namespace tunnelsim::hub
