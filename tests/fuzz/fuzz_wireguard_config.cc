// The wg-quick INI parser (ParseWgQuickConfig) and a Device built from what it accepts.
//
// Input: the file's text. Checked besides memory safety: the parser throws nothing but
// ConfigError; an accepted configuration with distinct peers builds a Device (whose only
// documented exception is std::invalid_argument for a duplicate peer or our own key), and
// every accepted peer has a usable configuration (a prefix length within its family).
#include "crypto/random.h"
#include "wireguard/config.h"
#include "wireguard/device.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

using namespace tunnelsim;
using namespace tunnelsim::wireguard;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return -1;
  const std::string text(reinterpret_cast<const char *>(data), size);
  DeviceConfig config;
  try {
    config = ParseWgQuickConfig(text, "fuzz.conf");
  } catch (const ConfigError &) {
    return 0;
  }
  for (const PeerConfig &peer : config.peers)
    for (const IpPrefix &prefix : peer.allowedIps)
      if (prefix.length > (prefix.address.IsV4() ? 32u : 128u)) abort();
  if (config.peers.size() > 64) return 0; // a valid but slow-to-build device
  crypto::DeterministicRandom rng(7);
  try {
    Device device(std::move(config), rng);
    (void)device.NextTimer();
  } catch (const std::invalid_argument &) {
  }
  return 0;
}
