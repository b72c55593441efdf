// Parsing of the unit-bearing values scenario files use: durations ("15ms") and data rates
// ("100Mbps", or netem's "100mbit"). Kept free of ns-3 so validation needs no simulator.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tunnelsim::scenario {

// Nanoseconds; accepts ns, us, ms, s and min with an optional decimal fraction.
std::optional<int64_t> ParseDurationNs(std::string_view text);

// Bits per second; accepts bps, kbps/Kbps/kbit, Mbps/mbit, Gbps/gbit.
std::optional<uint64_t> ParseDataRateBps(std::string_view text);

// A duration as the scenario language writes it, in the largest unit that divides it exactly
// ("120s", "2us", "0s"): how the schema shows the tunnel spec's duration defaults.
std::string DurationText(std::chrono::nanoseconds value);

} // namespace tunnelsim::scenario
