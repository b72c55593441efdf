#include "exec_commands.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#ifndef TUNNELSIM_PYTHON_DIR
#define TUNNELSIM_PYTHON_DIR ""
#endif
#ifndef TUNNELSIM_WG_UP
#define TUNNELSIM_WG_UP ""
#endif

namespace tunnelsim::cli {
namespace {

constexpr const char *kPython = "/usr/bin/python3"; // Debian's, with numpy/pandas/matplotlib

std::string SelfPath() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : self.string();
}

} // namespace

ExecPlan PythonPlan(const std::string &command, const std::vector<std::string> &args,
                    const std::string &pythonDir, const std::string &selfPath,
                    const char *existingPythonPath) {
  ExecPlan plan;
  plan.program = kPython;
  plan.argv = {kPython, "-m", "tunnelsim", command};
  plan.argv.insert(plan.argv.end(), args.begin(), args.end());
  std::string pythonPath = pythonDir;
  if (existingPythonPath && *existingPythonPath)
    pythonPath += std::string(":") + existingPythonPath;
  plan.setEnv.push_back("PYTHONPATH=" + pythonPath);
  if (!selfPath.empty()) plan.setEnv.push_back("TUNNELSIM_CLI=" + selfPath);
  return plan;
}

ExecPlan WgUpPlan(const std::vector<std::string> &args, const std::string &wgUpPath) {
  ExecPlan plan;
  plan.program = wgUpPath;
  plan.argv = {wgUpPath};
  plan.argv.insert(plan.argv.end(), args.begin(), args.end());
  return plan;
}

int Exec(const ExecPlan &plan) {
  if (plan.program.empty()) {
    std::fprintf(stderr, "tunnelsim: this build has no program for this command\n");
    return 1;
  }
  for (const std::string &entry : plan.setEnv) {
    const size_t equals = entry.find('=');
    setenv(entry.substr(0, equals).c_str(), entry.substr(equals + 1).c_str(), 1);
  }
  std::vector<char *> argv;
  for (const std::string &arg : plan.argv)
    argv.push_back(const_cast<char *>(arg.c_str()));
  argv.push_back(nullptr);
  execv(plan.program.c_str(), argv.data());
  std::fprintf(stderr, "tunnelsim: cannot run %s: %s\n", plan.program.c_str(),
               std::strerror(errno));
  return 1;
}

int PythonCommand(const std::string &command, const std::vector<std::string> &args) {
  return Exec(
      PythonPlan(command, args, TUNNELSIM_PYTHON_DIR, SelfPath(), std::getenv("PYTHONPATH")));
}

int WgUpCommand(const std::vector<std::string> &args) {
  return Exec(WgUpPlan(args, TUNNELSIM_WG_UP));
}

} // namespace tunnelsim::cli
