// The resolved scenario's path as a TCP flow sees it before any queue: its bottleneck rate, its
// base round trip and their product. Pure JSON arithmetic (no ns-3), so validation can use it
// in every build, the fuzzed scenario loader's included.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

namespace tunnelsim::scenario {

// The bandwidth-delay product of the resolved scenario's path, bytes: PathRateBps times
// PathRoundTripNs.
uint64_t PathBdpBytes(const nlohmann::json &resolved);
// The fastest access direction capped by the LAN and WAN rates, bit/s.
uint64_t PathRateBps(const nlohmann::json &resolved);
// The round trip of the links' propagation delays plus every impairment's delay, jitter and
// ACK delay keys (netem strings not parsed), nanoseconds.
int64_t PathRoundTripNs(const nlohmann::json &resolved);

} // namespace tunnelsim::scenario
