// How evenly concurrent bulk flows share the path: Jain's fairness index over their goodputs.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <vector>

namespace tunnelsim::scenario {

// Jain's index (sum x)^2 / (n * sum x^2): 1 when every x is equal, 1/n when one flow has it
// all. nullopt for no values or all zero (no share to compare).
std::optional<double> JainIndex(const std::vector<double> &values);

// results.json's "fairness" from its "flows": {flows, jain, min_goodput_mbps, max_goodput_mbps}
// over the bulk flows, or nullopt with fewer than two of them.
std::optional<nlohmann::json> BulkFairnessJson(const nlohmann::json &flows);

} // namespace tunnelsim::scenario
