// tunnelsim-ipsec-up: one IPsec tunnel in user space, configured by a strongSwan swanctl.conf
// and driven by tunnelsim's IKEv2 and ESP cores. Also reached as `tunnelsim ipsec-up ...`.
#include "ipsec/swanctl_config.h"
#include "realnet/ipsec_daemon.h"
#include "realnet/ipsec_setup.h"
#include "realnet/ipsec_up_options.h"
#include "realnet/log.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  using namespace tunnelsim::realnet;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string error;
  auto options = ParseIpsecUpOptions(args, error);
  if (!options) {
    std::fprintf(stderr, "ipsec-up: %s\n%s", error.c_str(), kIpsecUpUsage);
    return 2;
  }
  if (options->help) {
    std::fputs(kIpsecUpUsage, stdout);
    return 0;
  }
  Log::SetProgramName("ipsec-up");
  Log::SetVerbose(options->verbose);
  std::ifstream file(options->configPath);
  if (!file) {
    Log::Error("configuration: cannot read " + options->configPath);
    return 1;
  }
  std::stringstream text;
  text << file.rdbuf();
  tunnelsim::ipsec::SwanctlConfig config;
  try {
    config = tunnelsim::ipsec::ParseSwanctlConfig(text.str(), options->configPath);
  } catch (const tunnelsim::ipsec::SwanctlError &e) {
    Log::Error(std::string("configuration: ") + e.what());
    return 1;
  }
  auto setup = BuildIpsecSetup(config, options->connection, error);
  if (!setup) {
    Log::Error("configuration: " + options->configPath + ": " + error);
    return 1;
  }
  IpsecDaemon daemon(*options, std::move(*setup));
  return daemon.Run();
}
