// tunnelsim-wg-up: a WireGuard interface in user space, driven by tunnelsim's protocol core.
// Also reached as `tunnelsim wg-up ...` (the project CLI passes "wg-up" as the first word).
#include "realnet/log.h"
#include "realnet/wg_daemon.h"
#include "realnet/wg_up_options.h"
#include "wireguard/config.h"

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  using namespace tunnelsim::realnet;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string error;
  auto options = ParseWgUpOptions(args, error);
  if (!options) {
    std::fprintf(stderr, "wg-up: %s\n%s", error.c_str(), kWgUpUsage);
    return 2;
  }
  if (options->help) {
    std::fputs(kWgUpUsage, stdout);
    return 0;
  }
  Log::SetVerbose(options->verbose);
  tunnelsim::wireguard::DeviceConfig config;
  try {
    config = tunnelsim::wireguard::LoadWgQuickConfig(options->configPath);
  } catch (const tunnelsim::wireguard::ConfigError &e) {
    Log::Error(std::string("configuration: ") + e.what());
    return 1;
  }
  WgDaemon daemon(*options, std::move(config));
  return daemon.Run();
}
