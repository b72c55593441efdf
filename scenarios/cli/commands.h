// The subcommands of `tunnelsim`. Each returns the process exit code: 0 ok, 1 run failure,
// 2 usage or validation error (see docs/scenarios.md).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tunnelsim::scenario {
struct LoadedScenario;
}

namespace tunnelsim::cli {

constexpr int kExitOk = 0;
constexpr int kExitRunFailure = 1;
constexpr int kExitUsage = 2;

int RunCommand(const std::vector<std::string> &args);
// emulate_command.cc: the scenario with the kernel's TCP between namespaces (needs root).
int EmulateCommand(const std::vector<std::string> &args);
// The emulation of a loaded scenario, results written to `out` (default results/NAME-emulate);
// `run` hands tcp.stack = "kernel" scenarios to it.
int EmulateLoadedScenario(const scenario::LoadedScenario &loaded,
                          const std::optional<std::string> &out, bool enforceLimits);
int ValidateCommand(const std::vector<std::string> &args);
int ListCommand(const std::vector<std::string> &args);
int KeysCommand(const std::vector<std::string> &args);
void PrintUsage(bool toStderr);
// Creates the output directory and checks a file can be made in it; false (after naming the
// path and the OS error on stderr) when not, so a run never ends unable to write its results.
bool OutputDirWritable(const std::filesystem::path &outDir, const char *command);
// One line per flow (goodput, retransmissions, median RTT) and where the results went.
void PrintRunSummary(const nlohmann::json &results, const std::filesystem::path &outDir);

} // namespace tunnelsim::cli
