#include "buffer_check.h"

#include "path_bdp.h"

#include <cstdio>

namespace tunnelsim::scenario {
namespace {

bool HasBulkTraffic(const nlohmann::json &resolved) {
  if (!resolved.contains("traffic")) return false;
  const nlohmann::json &traffic = resolved.at("traffic");
  return traffic.contains("bulk") && traffic.at("bulk").is_array() && !traffic.at("bulk").empty();
}

// The keys whose value bounds the bytes a connection keeps in flight.
std::vector<const char *> BindingBufferKeys(const nlohmann::json &tcp) {
  const bool autotuned = tcp.at("stack") == "linux" && tcp.at("autotune_buffers").get<bool>();
  if (!autotuned) return {"send_buffer", "receive_buffer"};
  // Absent maxima are raised to twice the BDP (tcp_config.cc), so only set ones can bind.
  std::vector<const char *> keys;
  for (const char *key : {"send_buffer_max", "receive_buffer_max"})
    if (tcp.contains(key) && !tcp.at(key).is_null()) keys.push_back(key);
  return keys;
}

} // namespace

std::string BufferBelowBdp::Message() const {
  const bool isMaximum = key.size() > 4 && key.compare(key.size() - 4, 4, "_max") == 0;
  const char *remedy = isMaximum ? "raise it, or leave it unset (autotuning then grows to "
                                   "twice the path's BDP)"
                                 : "raise it, or let the Linux-like stack autotune (tcp.stack = "
                                   "\"linux\", tcp.autotune_buffers = true)";
  char text[512];
  std::snprintf(text, sizeof text,
                "%s = %llu bytes is below the path's bandwidth-delay product of %llu bytes "
                "(%.1f Mbit/s x %.1f ms base RTT): each TCP flow's goodput is capped at "
                "%.2f Mbit/s (buffer / RTT); %s",
                key.c_str(), static_cast<unsigned long long>(bufferBytes),
                static_cast<unsigned long long>(bdpBytes), pathRateMbps, roundTripMs,
                goodputCapMbps, remedy);
  return text;
}

nlohmann::json BufferBelowBdp::ToJson() const {
  return {{"kind", "buffer_below_bdp"},         {"key", key},
          {"buffer_bytes", bufferBytes},        {"bdp_bytes", bdpBytes},
          {"path_rate_mbps", pathRateMbps},     {"base_rtt_ms", roundTripMs},
          {"goodput_cap_mbps", goodputCapMbps}, {"message", Message()}};
}

std::vector<BufferBelowBdp> BuffersBelowPathBdp(const nlohmann::json &resolved) {
  std::vector<BufferBelowBdp> found;
  if (!HasBulkTraffic(resolved)) return found;
  const nlohmann::json &tcp = resolved.at("tcp");
  const uint64_t bdp = PathBdpBytes(resolved);
  const double roundTripS = static_cast<double>(PathRoundTripNs(resolved)) / 1e9;
  if (roundTripS <= 0) return found;
  for (const char *key : BindingBufferKeys(tcp)) {
    const uint64_t buffer = tcp.at(key).get<uint64_t>();
    if (buffer >= bdp) continue;
    found.push_back({std::string("tcp.") + key, buffer, bdp,
                     static_cast<double>(PathRateBps(resolved)) / 1e6, roundTripS * 1e3,
                     static_cast<double>(buffer) * 8.0 / roundTripS / 1e6});
  }
  return found;
}

} // namespace tunnelsim::scenario
