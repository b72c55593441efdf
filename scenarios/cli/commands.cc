#include "commands.h"

#include "runner.h"
#include "scenario_loader.h"
#include "schema.h"
#include "tunnel_registry.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#ifndef TUNNELSIM_LIBRARY_DIR
#define TUNNELSIM_LIBRARY_DIR "scenarios/library"
#endif

namespace tunnelsim::cli {
namespace {

namespace fs = std::filesystem;
using scenario::LoadedScenario;
using scenario::Override;
using scenario::ScenarioErrors;

fs::path LibraryDir(const std::optional<std::string> &library) {
  if (library) return *library;
  if (const char *env = std::getenv("TUNNELSIM_LIBRARY")) return env;
  return TUNNELSIM_LIBRARY_DIR;
}

// A path to a .toml file, or the name of a library scenario ("reorder-collapse").
std::string ResolveScenarioPath(const std::string &argument,
                                const std::optional<std::string> &library) {
  if (fs::exists(argument)) return argument;
  const fs::path inLibrary = LibraryDir(library) / (argument + ".toml");
  if (argument.find('/') == std::string::npos && fs::exists(inLibrary)) return inLibrary.string();
  return argument; // the loader reports that it cannot be opened
}

// The scenario file and its --set overrides, loaded and validated (throws ScenarioErrors).
LoadedScenario Load(const ScenarioArgs &args, std::string *path = nullptr) {
  std::vector<Override> overrides;
  for (const std::string &set : args.sets)
    overrides.push_back(scenario::ParseOverride(set));
  const std::string resolved = ResolveScenarioPath(args.scenario, args.library);
  if (path) *path = resolved;
  return scenario::LoadScenarioFile(resolved, overrides);
}

void PrintErrors(const ScenarioErrors &errors) {
  for (const auto &error : errors.errors()) {
    std::fprintf(stderr, "error: %s\n", error.Format().c_str());
  }
}

template <typename Body> int WithUsageErrors(Body body) {
  try {
    return body();
  } catch (const UsageError &error) {
    std::fprintf(stderr, "tunnelsim: %s\n", error.what());
    PrintUsage(true);
    return kExitUsage;
  } catch (const ScenarioErrors &errors) {
    PrintErrors(errors);
    return kExitUsage;
  }
}

void PrintWarnings(const LoadedScenario &loaded) {
  for (const std::string &warning : loaded.warnings)
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
}

bool TunnelAvailable(const std::string &type) {
  const auto available = scenario::AvailableTunnels();
  return std::find(available.begin(), available.end(), type) != available.end();
}

} // namespace

void PrintUsage(bool toStderr) {
  std::FILE *out = toStderr ? stderr : stdout;
  std::fprintf(out,
               "usage: tunnelsim run SCENARIO [--set key=value]... [--out DIR]\n"
               "       tunnelsim emulate SCENARIO [--set key=value]... [--out DIR] [--no-limits]\n"
               "       tunnelsim validate SCENARIO [--set key=value]... [--print]\n"
               "       tunnelsim list [--library DIR]\n"
               "       tunnelsim keys\n"
               "       tunnelsim sweep SWEEP.toml [--out DIR] [-j N] [--set key=value]...\n"
               "                       [--ci-target 5%% --max-seeds N]\n"
               "       tunnelsim report DIR [--figure-format pdf,pgf] [--width column|page]\n"
               "       tunnelsim diagnose CAPTURE [--json] [--window W]... [--scenario OUT.toml]\n"
               "                       [--report DIR [--seeds N] [--duration D]]\n"
               "       tunnelsim rerun RESULTS.json [--out DIR]\n"
               "       tunnelsim compare A B [--csv FILE]\n"
               "       tunnelsim compare SCENARIO --set-a key=value --set-b key=value [--seeds N]\n"
               "       tunnelsim wg-up [tunnelsim-wg-up options]\n"
               "       tunnelsim ipsec-up [tunnelsim-ipsec-up options]\n"
               "Each command's --help lists all its options. SCENARIO is a .toml file or the name\n"
               "of a scenario in the library"
               " (--library DIR, $TUNNELSIM_LIBRARY, default %s).\n"
               "Exit codes: 0 ok, 1 run failure, 2 usage or validation error.\n",
               TUNNELSIM_LIBRARY_DIR);
}

bool OutputDirWritable(const fs::path &outDir, const char *command) {
  std::error_code error;
  fs::create_directories(outDir, error);
  if (!error && !fs::is_directory(outDir, error)) {
    error = std::make_error_code(std::errc::not_a_directory);
  }
  if (!error) {
    // Creating a file is the only reliable test (read-only mounts, ACLs, /proc).
    std::string probe = (outDir / ".tunnelsim-write-check-XXXXXX").string();
    const int fd = mkstemp(probe.data());
    if (fd < 0) {
      error = std::error_code(errno, std::generic_category());
    } else {
      close(fd);
      fs::remove(probe, error);
      error.clear();
    }
  }
  if (!error) return true;
  std::fprintf(stderr, "tunnelsim %s: cannot write the output directory %s: %s\n", command,
               outDir.string().c_str(), error.message().c_str());
  return false;
}

void PrintRunSummary(const nlohmann::json &results, const fs::path &outDir) {
  for (const auto &flow : results.at("flows")) {
    std::cout << flow.at("id").get<std::string>() << " (" << flow.at("direction").get<std::string>()
              << ")";
    if (flow.contains("goodput_mbps")) {
      std::cout << ": goodput " << flow.at("goodput_mbps").get<double>() << " Mbit/s";
    }
    if (flow.contains("retransmissions") && !flow.at("retransmissions").is_null()) {
      std::cout << ", " << flow.at("retransmissions").get<uint64_t>() << " retransmissions";
    }
    if (flow.contains("rtt_ms") && flow.at("rtt_ms").contains("p50")) {
      std::cout << ", rtt p50 " << flow.at("rtt_ms").at("p50").get<double>() << " ms";
    }
    std::cout << "\n";
  }
  std::cout << "results in " << (outDir / "results.json").string() << "\n";
}

int ValidateCommand(const ScenarioArgs &args) {
  return WithUsageErrors([&] {
    std::string path;
    const LoadedScenario loaded = Load(args, &path);
    PrintWarnings(loaded);
    if (args.print) {
      std::cout << loaded.resolved.dump(2) << "\n";
      return kExitOk;
    }
    const std::string type = loaded.resolved.at("tunnel").at("type");
    std::cout << path << ": ok";
    if (!TunnelAvailable(type)) {
      std::cout << " (but tunnel.type \"" << type << "\" is not available in this build)";
    }
    std::cout << "\n";
    return kExitOk;
  });
}

int RunCommand(const ScenarioArgs &args) {
  LoadedScenario loaded;
  const int status = WithUsageErrors([&] {
    loaded = Load(args);
    return kExitOk;
  });
  if (status != kExitOk) return status;
  PrintWarnings(loaded);
  if (loaded.resolved.at("tcp").at("stack") == "kernel") {
    return EmulateLoadedScenario(loaded, args.out, true);
  }

  const fs::path outDir = args.out
                              ? fs::path(*args.out)
                              : fs::path("results") / loaded.resolved.at("name").get<std::string>();
  scenario::RunOptions options;
  // Before the run, not after it: a run whose results cannot be written is wasted.
  if (!OutputDirWritable(outDir, "run")) return kExitUsage;
  options.outDir = outDir;
  options.showProgress = isatty(STDERR_FILENO) == 1;
  try {
    const scenario::RunOutcome outcome = scenario::RunScenario(loaded, options);
    scenario::WriteRunOutputs(outcome, outDir);
    PrintRunSummary(outcome.results, outDir);
    std::fprintf(stderr, "wall time %.2f s\n", outcome.wallSeconds);
    return kExitOk;
  } catch (const std::exception &error) {
    std::fprintf(stderr, "tunnelsim run: %s: %s\n", loaded.file.c_str(), error.what());
    return kExitRunFailure;
  }
}

int EmulateCommand(const ScenarioArgs &args) {
  LoadedScenario loaded;
  const int status = WithUsageErrors([&] {
    loaded = Load(args);
    return kExitOk;
  });
  if (status != kExitOk) return status;
  PrintWarnings(loaded);
  // emulate always runs the kernel's TCP, whatever model the scenario names for ns-3 runs.
  loaded.resolved["tcp"]["stack"] = "kernel";
  return EmulateLoadedScenario(loaded, args.out, !args.noLimits);
}

int ListCommand(const std::optional<std::string> &library) {
  return WithUsageErrors([&] {
    const fs::path dir = LibraryDir(library);
    if (!fs::is_directory(dir)) throw UsageError("no scenario library at " + dir.string());
    std::vector<fs::path> files;
    for (const auto &entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".toml") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    size_t width = 0;
    for (const auto &file : files)
      width = std::max(width, file.stem().string().size());
    for (const auto &file : files) {
      std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      std::string name = file.stem().string();
      std::cout << name << std::string(width + 2 - name.size(), ' ')
                << scenario::HeaderDescription(text.str()) << "\n";
    }
    return kExitOk;
  });
}

int KeysCommand() {
  return WithUsageErrors([&] {
    for (const scenario::KeySpec &spec : scenario::Schema()) {
      std::cout << spec.path << "\t" << scenario::DescribeAllowed(spec) << "\t"
                << (spec.defaultValue.is_null() ? "-" : spec.defaultValue.dump()) << "\t"
                << spec.doc << "\n";
    }
    return kExitOk;
  });
}

} // namespace tunnelsim::cli
