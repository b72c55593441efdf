// The subcommands of `tunnelsim`. Each returns the process exit code: 0 ok, 1 run failure,
// 2 usage or validation error (see docs/scenarios.md).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tunnelsim::scenario {
struct LoadedScenario;
}

namespace tunnelsim::cli {

constexpr int kExitOk = 0;
constexpr int kExitRunFailure = 1;
constexpr int kExitUsage = 2;

// A usage error: main() prints it with the usage and exits 2.
class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// The arguments of run, emulate and validate, as main.cc's CLI11 parser collected them.
struct ScenarioArgs {
  std::string scenario;               // a .toml file or the name of a library scenario
  std::vector<std::string> sets;      // --set key=value, in order
  std::optional<std::string> out;     // run, emulate
  std::optional<std::string> library; // --library DIR
  bool print = false;                 // validate --print
  bool noLimits = false;              // emulate --no-limits
};

int RunCommand(const ScenarioArgs &args);
// The scenario with the kernel's TCP between namespaces (needs root).
int EmulateCommand(const ScenarioArgs &args);
// The emulation of a loaded scenario, results written to `out` (default results/NAME-emulate);
// `run` hands tcp.stack = "kernel" scenarios to it.
int EmulateLoadedScenario(const scenario::LoadedScenario &loaded,
                          const std::optional<std::string> &out, bool enforceLimits);
int ValidateCommand(const ScenarioArgs &args);
int ListCommand(const std::optional<std::string> &library);
int KeysCommand();
void PrintUsage(bool toStderr);
// Creates the output directory and checks a file can be made in it; false (after naming the
// path and the OS error on stderr) when not, so a run never ends unable to write its results.
bool OutputDirWritable(const std::filesystem::path &outDir, const char *command);
// One line per flow (goodput, retransmissions, median RTT) and where the results went.
void PrintRunSummary(const nlohmann::json &results, const std::filesystem::path &outDir);

} // namespace tunnelsim::cli
