// Runs one validated scenario in this process (ns-3's simulator is process-global, so one
// scenario per process) and writes results.json and timeseries.csv (and, on request, pcaps and
// key logs) under the output directory. The scenario and seed decide results.json byte for
// byte except its "provenance" object (provenance.h: commit, host, wall time), which says what
// produced the run and is the one part that differs between equal runs.
#pragma once

#include "scenario_loader.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace tunnelsim::scenario {

struct RunOptions {
  std::filesystem::path outDir;
  bool showProgress = false; // progress line on stderr (the CLI sets it when stderr is a TTY)
};

struct RunOutcome {
  nlohmann::json results;
  std::string timeseriesCsv;
  double wallSeconds = 0;
};

// Builds, runs and measures the scenario; throws (std::exception) on failure, including
// TunnelNotAvailable for a tunnel type this build lacks. Writes pcaps/key logs if asked.
RunOutcome RunScenario(const LoadedScenario &scenario, const RunOptions &options);

// results.json and timeseries.csv, each written atomically.
void WriteRunOutputs(const RunOutcome &outcome, const std::filesystem::path &outDir);

} // namespace tunnelsim::scenario
