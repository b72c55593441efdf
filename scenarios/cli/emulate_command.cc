// `tunnelsim emulate SCENARIO [--set key=value]... [--out DIR] [--no-limits]`: the scenario with
// the Linux kernel's TCP between two network namespaces and the relay in this process (see
// scenarios/emulate/emulate_runner.h). Exit codes as `run`: 0 ok, 1 run failure (including no
// root/TUN, or an interrupting signal), 2 usage error or a scenario emulate cannot honour.
#include "commands.h"

#include "atomic_file.h"
#include "emulate_runner.h"
#include "relay_from_scenario.h"
#include "scenario_loader.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#ifndef TUNNELSIM_LIBRARY_DIR
#define TUNNELSIM_LIBRARY_DIR "scenarios/library"
#endif

namespace tunnelsim::cli {
namespace {

namespace fs = std::filesystem;

struct EmulateArgs {
  std::string scenario;
  std::vector<scenario::Override> overrides;
  std::optional<std::string> out;
  std::optional<std::string> library;
  bool enforceLimits = true;
};

EmulateArgs ParseEmulateArgs(const std::vector<std::string> &args) {
  EmulateArgs parsed;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    auto valueOf = [&](const std::string &option) -> std::optional<std::string> {
      if (arg == option) {
        if (i + 1 >= args.size()) throw std::invalid_argument(option + " needs a value");
        return args[++i];
      }
      if (arg.rfind(option + "=", 0) == 0) return arg.substr(option.size() + 1);
      return std::nullopt;
    };
    if (auto value = valueOf("--set")) {
      parsed.overrides.push_back(scenario::ParseOverride(*value));
    } else if (auto out = valueOf("--out")) {
      parsed.out = *out;
    } else if (auto library = valueOf("--library")) {
      parsed.library = *library;
    } else if (arg == "--no-limits") {
      parsed.enforceLimits = false;
    } else if (!arg.empty() && arg[0] == '-') {
      throw std::invalid_argument("unknown option '" + arg + "'");
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 1) {
    throw std::invalid_argument("emulate takes exactly one SCENARIO (a .toml file or a library "
                                "name)");
  }
  parsed.scenario = positional[0];
  return parsed;
}

std::string ResolveScenario(const EmulateArgs &args) {
  if (fs::exists(args.scenario)) return args.scenario;
  fs::path library = TUNNELSIM_LIBRARY_DIR;
  if (args.library) {
    library = *args.library;
  } else if (const char *env = std::getenv("TUNNELSIM_LIBRARY")) {
    library = env;
  }
  const fs::path inLibrary = library / (args.scenario + ".toml");
  if (args.scenario.find('/') == std::string::npos && fs::exists(inLibrary)) {
    return inLibrary.string();
  }
  return args.scenario;
}

} // namespace

int EmulateCommand(const std::vector<std::string> &argv) {
  EmulateArgs args;
  scenario::LoadedScenario loaded;
  try {
    args = ParseEmulateArgs(argv);
    loaded = scenario::LoadScenarioFile(ResolveScenario(args), args.overrides);
  } catch (const scenario::ScenarioErrors &errors) {
    for (const auto &error : errors.errors()) {
      std::fprintf(stderr, "error: %s\n", error.Format().c_str());
    }
    return kExitUsage;
  } catch (const std::exception &error) {
    std::fprintf(stderr, "tunnelsim emulate: %s\n", error.what());
    PrintUsage(true);
    return kExitUsage;
  }

  // emulate always runs the kernel's TCP, whatever model the scenario names for ns-3 runs.
  loaded.resolved["tcp"]["stack"] = "kernel";
  return EmulateLoadedScenario(loaded, args.out, args.enforceLimits);
}

int EmulateLoadedScenario(const scenario::LoadedScenario &loaded,
                          const std::optional<std::string> &out, bool enforceLimits) {
  emulate::EmulateOptions options;
  options.outDir =
      out ? fs::path(*out)
          : fs::path("results") / (loaded.resolved.at("name").get<std::string>() + "-emulate");
  options.enforceLimits = enforceLimits;
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
