// `tunnelsim emulate`: the scenario with real end hosts. Two network namespaces (home, work),
// one TUN in each, the Linux kernel's TCP between them, and this process's relay carrying
// every packet through the scenario's path and tunnel in real time (see relay.h). Writes
// results.json in the schema of `tunnelsim run` (tcp_stack "kernel"), plus an "emulation"
// section with the relay's own counters and timing error. Runs are serialised machine-wide
// with an exclusive flock, and the namespaces are removed on every exit path.
#pragma once

#include "scenario_loader.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace tunnelsim::emulate {

// Root or /dev/net/tun is missing: emulation cannot run here at all.
class EmulateUnavailable : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct EmulateOptions {
  std::filesystem::path outDir;
  bool enforceLimits = true; // false: measuring the relay's limits (results say so)
  std::filesystem::path lockFile = "/run/tunnelsim-emulate.lock";
};

struct EmulateOutcome {
  nlohmann::json results;
  std::string timeseriesCsv;
  double wallSeconds = 0;
};

// Throws EmulateUnsupported (relay_from_scenario.h) or std::invalid_argument for a scenario
// emulate cannot honour, EmulateUnavailable without root/TUN, std::runtime_error when the run
// fails (including an interrupting SIGINT/SIGTERM). Blocks SIGINT and SIGTERM in the calling
// thread (they end the run through the relay's loop instead).
EmulateOutcome RunEmulation(const scenario::LoadedScenario &scenario,
                            const EmulateOptions &options);

// The namespace name prefix (followed by the pid): what a stale-namespace cleanup removes.
constexpr const char *kNamespacePrefix = "ts-emu-";

} // namespace tunnelsim::emulate
