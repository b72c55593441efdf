// Installs the [impairment.<link>.<direction>] tables on the topology's devices ("up" on the
// home-side device of a link, "down" on the work-side one) and reports what they actually did.
#pragma once

#include "topology.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace tunnelsim::scenario {

class InstalledImpairments {
public:
  virtual ~InstalledImpairments() = default;
  // {"access.down": {"netem": {counters}, "ack": {counters}}, ...}
  virtual nlohmann::json Counters() const = 0;
};

// Throws std::invalid_argument when an impairment cannot be honoured.
std::unique_ptr<InstalledImpairments> InstallImpairments(const nlohmann::json &resolved,
                                                         const Topology &topology);

} // namespace tunnelsim::scenario
