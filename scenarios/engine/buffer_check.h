// A TCP buffer the scenario fixes below the path's bandwidth-delay product caps every flow's
// goodput at buffer / RTT, whatever the link rate: Linux would autotune past it, so a run that
// silently stays below the link rate for this reason is a configuration mistake worth naming.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tunnelsim::scenario {

struct BufferBelowBdp {
  std::string key;       // "tcp.receive_buffer", "tcp.send_buffer_max", ...
  uint64_t bufferBytes;  // the configured value
  uint64_t bdpBytes;     // PathBdpBytes
  double pathRateMbps;   // PathRateBps
  double roundTripMs;    // PathRoundTripNs: the base RTT, no queueing
  double goodputCapMbps; // bufferBytes per base RTT: no flow can exceed it

  std::string Message() const;
  nlohmann::json ToJson() const; // {kind, key, buffer_bytes, bdp_bytes, ..., message}
};

// The buffers the resolved scenario fixes (send_buffer and receive_buffer with tcp.stack ns3 or
// kernel, or linux with autotune_buffers = false; the autotuning maxima when the scenario sets
// them) that are smaller than the path's BDP. Empty without bulk TCP traffic.
std::vector<BufferBelowBdp> BuffersBelowPathBdp(const nlohmann::json &resolved);

} // namespace tunnelsim::scenario
