// The impairment cores' counters as the "impairments" section of results.json has them; one
// definition for the ns-3 engine and the emulate relay, so both write the same keys.
#pragma once

#include "impairment/ack_impairment.h"
#include "impairment/impairment_core.h"

#include <nlohmann/json.hpp>

namespace tunnelsim::impairment {

nlohmann::json CountersJson(const ImpairmentCounters &counters);
nlohmann::json CountersJson(const AckImpairmentCounters &counters);

} // namespace tunnelsim::impairment
