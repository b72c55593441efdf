// An IKE SA's counters as JSON; one definition for results.json (ns-3 engine and emulate
// relay, per gateway side) and ipsec-up's stats file, so every host writes the same keys.
#pragma once

#include "ipsec/ike_sa.h"

#include <nlohmann/json.hpp>

namespace tunnelsim::ipsec {

nlohmann::json IkeCountersJson(const IkeCounters &counters);

} // namespace tunnelsim::ipsec
