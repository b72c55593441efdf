// Reads the options of a `tc qdisc ... netem` command into NetemSettings, so a user can paste
// what they run on Linux. Accepts the whole command ("tc qdisc add dev eth0 root netem delay
// 20ms") or just the options ("delay 20ms 5ms 25% loss gemodel 1% 10%"). Keywords may be
// abbreviated as tc allows (any prefix, first match in tc's order).
#pragma once

#include "impairment/netem_settings.h"

#include <stdexcept>
#include <string>

namespace tunnelsim::impairment {

class NetemParseError : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

// Throws NetemParseError naming the offending token and what was expected there.
NetemSettings ParseNetemArguments(const std::string &arguments);

} // namespace tunnelsim::impairment
