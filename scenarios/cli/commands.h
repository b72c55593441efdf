// The subcommands of `tunnelsim`. Each returns the process exit code: 0 ok, 1 run failure,
// 2 usage or validation error (see docs/scenarios.md).
#pragma once

#include <string>
#include <vector>

namespace tunnelsim::cli {

constexpr int kExitOk = 0;
constexpr int kExitRunFailure = 1;
constexpr int kExitUsage = 2;

int RunCommand(const std::vector<std::string> &args);
int ValidateCommand(const std::vector<std::string> &args);
int ListCommand(const std::vector<std::string> &args);
int KeysCommand(const std::vector<std::string> &args);
void PrintUsage(bool toStderr);

} // namespace tunnelsim::cli
