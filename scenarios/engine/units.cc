#include "units.h"

#include <cmath>
#include <utility>

namespace tunnelsim::scenario {
namespace {

// Splits "12.5ms" into 12.5 and "ms"; whitespace between number and unit is allowed.
std::optional<std::pair<double, std::string_view>> SplitNumberAndUnit(std::string_view text) {
  size_t i = 0;
  bool digits = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    ++i;
    digits = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
      digits = true;
    }
  }
  if (!digits) return std::nullopt;
  const double number = std::stod(std::string(text.substr(0, i)));
  while (i < text.size() && text[i] == ' ')
    ++i;
  return std::make_pair(number, text.substr(i));
}

} // namespace

std::optional<int64_t> ParseDurationNs(std::string_view text) {
  const auto split = SplitNumberAndUnit(text);
  if (!split) return std::nullopt;
  const auto [number, unit] = *split;
  double scale = 0;
  if (unit == "ns")
    scale = 1;
  else if (unit == "us")
    scale = 1e3;
  else if (unit == "ms")
    scale = 1e6;
  else if (unit == "s")
    scale = 1e9;
  else if (unit == "min")
    scale = 60e9;
  else
    return std::nullopt;
  const double ns = std::round(number * scale);
  if (ns > 9.0e18) return std::nullopt;
  return static_cast<int64_t>(ns);
}

std::optional<uint64_t> ParseDataRateBps(std::string_view text) {
  const auto split = SplitNumberAndUnit(text);
  if (!split) return std::nullopt;
  const auto [number, unit] = *split;
  double scale = 0;
  if (unit == "bps" || unit == "bit")
    scale = 1;
  else if (unit == "kbps" || unit == "Kbps" || unit == "kbit")
    scale = 1e3;
  else if (unit == "Mbps" || unit == "mbit")
    scale = 1e6;
  else if (unit == "Gbps" || unit == "gbit")
    scale = 1e9;
  else
    return std::nullopt;
  const double bps = std::round(number * scale);
  if (bps < 1 || bps > 1.0e15) return std::nullopt;
  return static_cast<uint64_t>(bps);
}

std::string DurationText(std::chrono::nanoseconds value) {
  const int64_t ns = value.count();
  if (ns % 1000000000 == 0) return std::to_string(ns / 1000000000) + "s";
  if (ns % 1000000 == 0) return std::to_string(ns / 1000000) + "ms";
  if (ns % 1000 == 0) return std::to_string(ns / 1000) + "us";
  return std::to_string(ns) + "ns";
}

} // namespace tunnelsim::scenario
