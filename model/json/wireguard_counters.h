// A WireGuard device's counters as results.json's per-side "extra" tunnel counters; one
// definition for the ns-3 engine and the emulate relay, so both write the same keys.
#pragma once

#include "wireguard/events.h"

#include <nlohmann/json.hpp>

namespace tunnelsim::wireguard {

nlohmann::json CountersJson(const DeviceCounters &counters);

} // namespace tunnelsim::wireguard
