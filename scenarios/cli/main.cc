// tunnelsim: runs, validates and lists scenarios. One scenario per process, since ns-3's
// simulator is process-global.
//
// The command line is parsed by CLI11 (subcommands, options, --help and parse errors); the
// commands themselves are commands.cc and exec_commands.cc. Exit codes: 0 ok, 1 run failure,
// 2 usage or validation error.
#include "commands.h"
#include "exec_commands.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#ifndef TUNNELSIM_IPSEC_UP
#define TUNNELSIM_IPSEC_UP ""
#endif

namespace tunnelsim::cli {
namespace {

// Subcommands that hand everything after their name, options and --help included, to another
// program (exec_commands.h). A new one is one line here.
struct HandOver {
  const char *name;
  const char *description;
  std::function<int(const std::string &command, const std::vector<std::string> &args)> exec;
};

const std::vector<HandOver> &HandOvers() {
  const auto python = [](const std::string &command, const std::vector<std::string> &args) {
    return PythonCommand(command, args);
  };
  static const std::vector<HandOver> handOvers = {
      {"sweep", "run a parameter sweep (python -m tunnelsim sweep)", python},
      {"report", "summarise a sweep directory (python -m tunnelsim report)", python},
      {"diagnose", "analyse a packet capture (python -m tunnelsim diagnose)", python},
      {"rerun", "run a results.json's scenario again (python -m tunnelsim rerun)", python},
      {"compare", "compare two results (python -m tunnelsim compare)", python},
      {"wg-up", "bring up WireGuard on a real interface (tunnelsim-wg-up)",
       [](const std::string &, const std::vector<std::string> &args) { return WgUpCommand(args); }},
      {"ipsec-up", "bring up IPsec on a real interface (tunnelsim-ipsec-up)",
       [](const std::string &, const std::vector<std::string> &args) {
         return Exec(WgUpPlan(args, TUNNELSIM_IPSEC_UP)); // the same hand-over as wg-up
       }},
  };
  return handOvers;
}

// The options every scenario command shares; `--set` may be given any number of times, one
// key=value each ("--set k=v" or "--set=k=v").
void AddScenarioOptions(CLI::App &command, ScenarioArgs &args,
                        std::vector<std::string> &positional) {
  command.add_option("scenario", positional, "a .toml file or the name of a library scenario");
  command.add_option("--set", args.sets, "override one scenario key (key=value)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command.add_option("--library", args.library, "scenario library directory")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // Unknown options are collected, not thrown, so the message names them as before:
  // "unknown option '--bogus'".
  command.allow_extras();
}

void AddOutOption(CLI::App &command, ScenarioArgs &args) {
  command.add_option("--out", args.out, "output directory")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// The one SCENARIO of run/emulate/validate, or a usage error naming what is wrong.
void CheckScenarioArguments(const CLI::App &command, const std::vector<std::string> &positional,
                            ScenarioArgs &args) {
  for (const std::string &extra : command.remaining()) {
    if (!extra.empty() && extra[0] == '-') throw UsageError("unknown option '" + extra + "'");
  }
  if (positional.size() != 1 || !command.remaining().empty()) {
    throw UsageError(command.get_name() +
                     " takes exactly one SCENARIO (a .toml file or a library name)");
  }
  args.scenario = positional.front();
}

int UsageFailure(const std::string &message) {
  std::fprintf(stderr, "tunnelsim: %s\n", message.c_str());
  PrintUsage(true);
  return kExitUsage;
}

int Main(int argc, char *argv[]) {
  if (argc < 2) {
    PrintUsage(true);
    return kExitUsage;
  }
  const std::string command = argv[1];
  if (command == "help" || command == "--help" || command == "-h") {
    PrintUsage(false);
    return kExitOk;
  }

  CLI::App app{"tunnelsim: tunnel simulations, emulations and their analysis", "tunnelsim"};
  app.require_subcommand(1);

  ScenarioArgs scenarioArgs;
  std::vector<std::string> positional;
  CLI::App *run = app.add_subcommand("run", "simulate a scenario (ns-3)");
  AddScenarioOptions(*run, scenarioArgs, positional);
  AddOutOption(*run, scenarioArgs);
  CLI::App *emulate =
      app.add_subcommand("emulate", "the scenario with the kernel's TCP between namespaces");
  AddScenarioOptions(*emulate, scenarioArgs, positional);
  AddOutOption(*emulate, scenarioArgs);
  emulate->add_flag("--no-limits", scenarioArgs.noLimits, "skip the relay's measured limits");
  CLI::App *validate = app.add_subcommand("validate", "check a scenario without running it");
  AddScenarioOptions(*validate, scenarioArgs, positional);
  validate->add_flag("--print", scenarioArgs.print, "print the resolved scenario as JSON");

  std::optional<std::string> library;
  std::vector<std::string> listExtras;
  CLI::App *list = app.add_subcommand("list", "the scenarios of the library");
  list->add_option("--library", library, "scenario library directory");
  list->add_option("extra", listExtras)->group(""); // refused below: list takes no arguments
  CLI::App *keys = app.add_subcommand("keys", "every scenario key: type, default, meaning");
  keys->allow_extras();

  for (const HandOver &handOver : HandOvers()) {
    CLI::App *sub = app.add_subcommand(handOver.name, handOver.description);
    sub->prefix_command(); // everything after the name goes to the other program
    sub->set_help_flag();  // ... --help included
  }

  try {
    app.get_subcommand(command); // throws for a name that is no subcommand
  } catch (const CLI::OptionNotFound &) {
    return UsageFailure("unknown command '" + command + "'");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &help) {
    return app.exit(help);
  } catch (const CLI::ParseError &error) {
    return UsageFailure(error.what());
  }

  try {
    if (run->parsed() || emulate->parsed() || validate->parsed()) {
      CLI::App *parsed = run->parsed() ? run : emulate->parsed() ? emulate : validate;
      try {
        CheckScenarioArguments(*parsed, positional, scenarioArgs);
      } catch (const UsageError &error) {
        return UsageFailure(error.what());
      }
      if (parsed == run) return RunCommand(scenarioArgs);
      if (parsed == emulate) return EmulateCommand(scenarioArgs);
      return ValidateCommand(scenarioArgs);
    }
    if (list->parsed()) {
      if (!listExtras.empty()) return UsageFailure("list takes no arguments");
      return ListCommand(library);
    }
    if (keys->parsed()) {
      if (!keys->remaining().empty()) return UsageFailure("keys takes no arguments");
      return KeysCommand();
    }
    for (const HandOver &handOver : HandOvers()) {
      const CLI::App *sub = app.get_subcommand(handOver.name);
      if (sub->parsed()) return handOver.exec(handOver.name, sub->remaining());
    }
    return UsageFailure("no command");
  } catch (const std::exception &error) {
    std::fprintf(stderr, "tunnelsim %s: %s\n", command.c_str(), error.what());
    return kExitRunFailure;
  }
}

} // namespace
} // namespace tunnelsim::cli

int main(int argc, char *argv[]) { return tunnelsim::cli::Main(argc, argv); }
