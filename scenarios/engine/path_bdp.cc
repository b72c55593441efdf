#include "path_bdp.h"

#include "units.h"

#include <algorithm>
#include <string>

namespace tunnelsim::scenario {
namespace {

int64_t DurationKeyNs(const nlohmann::json &table, const char *key) {
  if (!table.contains(key) || !table.at(key).is_string()) return 0;
  return ParseDurationNs(table.at(key).get<std::string>()).value_or(0);
}

uint64_t RateKeyBps(const nlohmann::json &table, const char *key) {
  return ParseDataRateBps(table.at(key).get<std::string>()).value_or(0);
}

} // namespace

uint64_t PathRateBps(const nlohmann::json &resolved) {
  const nlohmann::json &topology = resolved.at("topology");
  const uint64_t access =
      std::max(RateKeyBps(topology, "access_down_rate"), RateKeyBps(topology, "access_up_rate"));
  return std::min({access, RateKeyBps(topology, "lan_rate"), RateKeyBps(topology, "wan_rate")});
}

int64_t PathRoundTripNs(const nlohmann::json &resolved) {
  // Summed as double and saturated: each duration key may be up to 9e18 ns, and validation
  // (BuffersBelowPathBdp) calls this on any valid scenario.
  const nlohmann::json &topology = resolved.at("topology");
  double rttNs = 2.0 * (2.0 * double(DurationKeyNs(topology, "lan_delay")) +
                        double(DurationKeyNs(topology, "access_delay")) +
                        double(DurationKeyNs(topology, "wan_delay")));
  if (resolved.contains("impairment"))
    for (const auto &link : resolved.at("impairment"))
      if (link.is_object())
        for (const auto &direction : link)
          if (direction.is_object())
            for (const char *key : {"delay", "jitter", "ack_delay", "ack_delay_jitter"})
              rttNs += double(DurationKeyNs(direction, key));
  return rttNs >= 9.0e18 ? int64_t{9'000'000'000'000'000'000} : static_cast<int64_t>(rttNs);
}

uint64_t PathBdpBytes(const nlohmann::json &resolved) {
  const double bytes = static_cast<double>(PathRateBps(resolved)) / 8.0 *
                       static_cast<double>(PathRoundTripNs(resolved)) / 1e9;
  return bytes >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(bytes);
}

} // namespace tunnelsim::scenario
