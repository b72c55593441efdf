// The two clocks of the real-interface mode: CLOCK_MONOTONIC drives the protocol core (it
// never jumps), the wall clock supplies handshake timestamps and log stamps.
#pragma once

#include "common/time.h"

#include <cstdint>
#include <string>

namespace tunnelsim::realnet {

// CLOCK_MONOTONIC as a tunnelsim::Time.
Time MonotonicNow();

// CLOCK_REALTIME in nanoseconds since the Unix epoch (input to TAI64N timestamps).
uint64_t WallClockUnixNanos();

// CLOCK_REALTIME as "2024-05-01T12:34:56.789Z" (UTC, milliseconds).
std::string FormatWallClock();

} // namespace tunnelsim::realnet
