// The emulation half of `tunnelsim emulate` and of `tunnelsim run` with tcp.stack = "kernel"
// (commands.cc parses the arguments): the scenario with the Linux kernel's TCP between two
// network namespaces and the relay in this process (scenarios/emulate/emulate_runner.h). Exit
// codes as `run`: 0 ok, 1 run failure (including no root/TUN, or an interrupting signal), 2 a
// scenario emulate cannot honour.
#include "commands.h"

#include "atomic_file.h"
#include "emulate_runner.h"
#include "relay_from_scenario.h" // EmulateUnsupported
#include "scenario_loader.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace tunnelsim::cli {

namespace fs = std::filesystem;

int EmulateLoadedScenario(const scenario::LoadedScenario &loaded,
                          const std::optional<std::string> &out, bool enforceLimits) {
  emulate::EmulateOptions options;
  options.outDir =
      out ? fs::path(*out)
          : fs::path("results") / (loaded.resolved.at("name").get<std::string>() + "-emulate");
  options.enforceLimits = enforceLimits;
  if (!OutputDirWritable(options.outDir, "emulate")) return kExitUsage;
  try {
    const emulate::EmulateOutcome outcome = emulate::RunEmulation(loaded, options);
    fs::create_directories(options.outDir);
    scenario::WriteFileAtomically(options.outDir / "timeseries.csv", outcome.timeseriesCsv);
    scenario::WriteFileAtomically(options.outDir / "results.json", outcome.results.dump(2) + "\n");
    const auto &lateness = outcome.results.at("emulation").at("relay").at("lateness");
    if (lateness.contains("p99_us")) {
      std::cout << "relay lateness p50 " << lateness.at("p50_us").get<double>() << " us, p99 "
                << lateness.at("p99_us").get<double>() << " us\n";
    }
    PrintRunSummary(outcome.results, options.outDir);
    std::fprintf(stderr, "wall time %.2f s\n", outcome.wallSeconds);
    return kExitOk;
  } catch (const emulate::EmulateUnsupported &error) {
    std::fprintf(stderr, "tunnelsim emulate: %s: %s\n", loaded.file.c_str(), error.what());
    return kExitUsage;
  } catch (const std::invalid_argument &error) {
    std::fprintf(stderr, "tunnelsim emulate: %s: %s\n", loaded.file.c_str(), error.what());
    return kExitUsage;
  } catch (const std::exception &error) {
    std::fprintf(stderr, "tunnelsim emulate: %s: %s\n", loaded.file.c_str(), error.what());
    return kExitRunFailure;
  }
}

} // namespace tunnelsim::cli
