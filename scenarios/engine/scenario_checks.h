// Rules that involve more than one key (a jitter needs a delay, a flow must start before the
// run ends, a pasted netem string excludes the netem keys, ...), checked after defaults.
#pragma once

#include "scenario_error.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace tunnelsim::scenario {

struct KeyOrigin {
  std::string origin;
  int line = 0;
};

using OriginLookup = std::function<KeyOrigin(const std::string &path)>;

std::vector<ScenarioError> CheckCombinations(const nlohmann::json &resolved,
                                             const OriginLookup &originOf);

} // namespace tunnelsim::scenario
