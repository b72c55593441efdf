// The daemon's counters as JSON (--stats-file, written on exit and on SIGUSR1): the core's
// device and per-peer counters plus the driver's. Public keys only; no secrets.
#pragma once

#include "common/mss_clamp.h"
#include "driver_counters.h"
#include "wireguard/device.h"

#include <nlohmann/json.hpp>
#include <string>

namespace tunnelsim::realnet {

struct StatsContext {
  std::string interfaceName;
  uint16_t listenPort = 0;
  Time startedAt{0}; // CLOCK_MONOTONIC
  Time now{0};
};

nlohmann::json StatsJson(const wireguard::Device &device, const DriverCounters &driver,
                         const StatsContext &context);

// The "mss_clamp" section of either daemon's stats (--clamp-mss): the limit and the SYNs seen,
// clamped and malformed.
nlohmann::json MssClampJson(const MssClamp &clamp);

// The TUN/UDP/loop counters both daemons keep (the stats file's "driver" object).
nlohmann::json DriverJson(const DriverCounters &driver);

// Writes `json` to `path` through a temporary file and rename, so readers never see half a
// file. False with `error` on failure.
bool WriteJsonFile(const std::string &path, const nlohmann::json &json, std::string &error);

} // namespace tunnelsim::realnet
