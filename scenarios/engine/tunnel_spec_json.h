// The one place a resolved scenario's [tunnel] table becomes a typed tunnel::TunnelSpec. Both
// the ns-3 engine (runner.cc, for the tunnels/ installers) and the emulate relay
// (scenarios/emulate/relay_from_scenario.cc) decode through it, so a key is read once.
#pragma once

#include "tunnel/spec.h"

#include <nlohmann/json.hpp>

#include <string>

namespace tunnelsim::scenario {

// `resolved` is a loaded scenario (defaults filled in, validated). Only the option tables of
// tunnel.type are read: a scenario may carry others (e.g. [tunnel.gre] after --set switched
// the type) without their defaults. Throws std::invalid_argument for an unknown type.
tunnel::TunnelSpec TunnelSpecFrom(const nlohmann::json &resolved);

} // namespace tunnelsim::scenario
