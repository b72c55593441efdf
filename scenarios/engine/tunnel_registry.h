// The tunnel types this build provides, by the names scenario files use for tunnel.type.
#pragma once

#include "tunnel.h"

#include <memory>
#include <string>
#include <vector>

namespace tunnelsim::scenario {

// Names of the tunnel types this build can run, in registry order.
std::vector<std::string> AvailableTunnels();

// A new tunnel of type `name`, or throws TunnelNotAvailable naming the available ones.
std::unique_ptr<Tunnel> MakeTunnel(const std::string &name);

class TunnelNotAvailable : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace tunnelsim::scenario
