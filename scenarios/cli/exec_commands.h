// Subcommands that hand over to another program: `sweep` and `report` to the Python package
// (`python3 -m tunnelsim ...`), `wg-up` to the real-interface driver. They replace this process
// (execv), so exit codes, signals and terminal output are the other program's own.
#pragma once

#include <string>
#include <vector>

namespace tunnelsim::cli {

// The environment and argument vector a hand-over uses; split from the exec itself so tests
// can check it without replacing the process.
struct ExecPlan {
  std::string program;             // absolute path passed to execv
  std::vector<std::string> argv;   // argv[0] first
  std::vector<std::string> setEnv; // "NAME=value" entries added to the environment
};

// `/usr/bin/python3 -m tunnelsim <command> <args...>` with PYTHONPATH = pythonDir (+ the
// existing PYTHONPATH) and TUNNELSIM_CLI = selfPath.
ExecPlan PythonPlan(const std::string &command, const std::vector<std::string> &args,
                    const std::string &pythonDir, const std::string &selfPath,
                    const char *existingPythonPath);
// `<wgUpPath> <args...>`.
ExecPlan WgUpPlan(const std::vector<std::string> &args, const std::string &wgUpPath);

// Carries out the plan: sets the variables and execs. Returns only on failure (after printing
// why), with exit code 1.
int Exec(const ExecPlan &plan);

// The subcommands, as main() calls them.
int PythonCommand(const std::string &command, const std::vector<std::string> &args);
int WgUpCommand(const std::vector<std::string> &args);

} // namespace tunnelsim::cli
