// Time as every protocol core sees it: a count of nanoseconds on a clock the caller owns
// (simulation time in ns-3, CLOCK_MONOTONIC on a real interface). Cores never read a clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace tunnelsim {

using Duration = std::chrono::nanoseconds;
// A point on the caller's clock, as the duration since that clock's zero.
using Time = std::chrono::nanoseconds;

constexpr Duration Seconds(double s) { return Duration(static_cast<int64_t>(s * 1e9)); }
constexpr Duration Milliseconds(double ms) { return Duration(static_cast<int64_t>(ms * 1e6)); }
constexpr double ToSeconds(Duration d) { return static_cast<double>(d.count()) / 1e9; }

// "No deadline": later than any real time.
constexpr Time kNever = Time::max();

// t + d, clamped to kNever instead of overflowing: configured delays and serialisation times
// can be large enough (hours at a few bytes per second) that their sum leaves int64.
constexpr Time SaturatingAdd(Time t, Duration d) {
  if (d.count() > 0 && t.count() > kNever.count() - d.count()) return kNever;
  if (d.count() < 0 && t.count() < Time::min().count() - d.count()) return Time::min();
  return t + d;
}

} // namespace tunnelsim
