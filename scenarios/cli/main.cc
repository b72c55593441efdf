// tunnelsim: runs, validates and lists scenarios. One scenario per process, since ns-3's
// simulator is process-global.
#include "commands.h"
#include "exec_commands.h"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#ifndef TUNNELSIM_IPSEC_UP
#define TUNNELSIM_IPSEC_UP ""
#endif

int main(int argc, char *argv[]) {
  using namespace tunnelsim::cli;
  if (argc < 2) {
    PrintUsage(true);
    return kExitUsage;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "run") return RunCommand(args);
    if (command == "emulate") return EmulateCommand(args);
    if (command == "validate") return ValidateCommand(args);
    if (command == "list") return ListCommand(args);
    if (command == "keys") return KeysCommand(args);
    if (command == "sweep" || command == "report" || command == "diagnose" || command == "rerun" ||
        command == "compare")
      return PythonCommand(command, args);
    if (command == "wg-up") return WgUpCommand(args);
    if (command == "ipsec-up") return Exec(WgUpPlan(args, TUNNELSIM_IPSEC_UP)); // same hand-over
    if (command == "help" || command == "--help" || command == "-h") {
      PrintUsage(false);
      return kExitOk;
    }
    std::fprintf(stderr, "tunnelsim: unknown command '%s'\n", command.c_str());
    PrintUsage(true);
    return kExitUsage;
  } catch (const std::exception &error) {
    std::fprintf(stderr, "tunnelsim %s: %s\n", command.c_str(), error.what());
    return kExitRunFailure;
  }
}
