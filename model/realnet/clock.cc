#include "clock.h"

#include <cstdio>
#include <ctime>

namespace tunnelsim::realnet {

namespace {
int64_t ReadClock(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
} // namespace

Time MonotonicNow() { return Time(ReadClock(CLOCK_MONOTONIC)); }

uint64_t WallClockUnixNanos() { return static_cast<uint64_t>(ReadClock(CLOCK_REALTIME)); }

std::string FormatWallClock() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                ts.tv_nsec / 1000000);
  return text;
}

} // namespace tunnelsim::realnet
