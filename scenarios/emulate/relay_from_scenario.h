// The relay's settings from a resolved scenario: the topology's links (rate, delay, queue),
// the [impairment] tables with the engine's own translation and seed derivation
// (ImpairmentSettingsFrom, ImpairmentSeed), and the tunnel's options. Also the checks that
// refuse what emulation cannot do (unsupported features, settings beyond the relay's limits).
#pragma once

#include "emulate/relay.h"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace tunnelsim::emulate {

// A scenario emulate cannot honour; the CLI exits 2 with its message.
class EmulateUnsupported : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// The addresses of the emulated path, as the ns-3 topology assigns them.
constexpr uint32_t kHomeHostAddress = 0xc0a80101; // 192.168.1.1 (home_lan, home host)
constexpr uint32_t kHomeLanNetwork = 0xc0a80100;  // 192.168.1.0/24
constexpr uint32_t kWorkHostAddress = 0x0a010002; // 10.1.0.2 (work_lan, work host)
constexpr uint32_t kWorkLanNetwork = 0x0a010000;  // 10.1.0.0/24
constexpr uint32_t kHomeGatewayWan = 0x64400001;  // 100.64.0.1 (access, home gateway)
constexpr uint32_t kWorkGatewayWan = 0xc6336402;  // 198.51.100.2 (wan, work gateway)

// Throws EmulateUnsupported (or std::invalid_argument from the impairment cores).
// `enforceLimits` false skips the relay-limit checks (for measuring those limits only).
RelaySettings RelaySettingsFrom(const nlohmann::json &resolved, bool enforceLimits = true);

// The MTU of the hosts' interfaces: the tunnel's inner MTU (the hosts see it directly, where
// ns-3 hosts have the link MTU and the gateway fragments).
size_t HostMtu(const nlohmann::json &resolved);

} // namespace tunnelsim::emulate
