// An ESP SA's counters as JSON; one definition for results.json (ns-3 engine and emulate
// relay) and ipsec-up's stats file, so every host writes the same keys.
#pragma once

#include "ipsec/esp_sa.h"

#include <nlohmann/json.hpp>

namespace tunnelsim::ipsec {

nlohmann::json EspCountersJson(const EspCounters &counters);

} // namespace tunnelsim::ipsec
