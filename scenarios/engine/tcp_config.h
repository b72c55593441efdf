// Applies [tcp] as ns-3 attribute defaults, before any socket exists.
#pragma once

#include <nlohmann/json.hpp>

namespace tunnelsim::scenario {

void ApplyTcpDefaults(const nlohmann::json &tcp);

} // namespace tunnelsim::scenario
