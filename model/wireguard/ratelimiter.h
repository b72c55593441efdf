// Per-source token bucket for handshake messages, in the manner of the Linux driver's
// ratelimiter: one bucket per IPv4 address or IPv6 /64, refilled continuously at
// `packetsPerSecond`, holding at most `burst` packets; idle buckets are forgotten.
#pragma once

#include "common/ip_address.h"
#include "common/time.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>

namespace tunnelsim::wireguard {

class RateLimiter {
public:
  RateLimiter(uint32_t packetsPerSecond, uint32_t burst, size_t maxEntries);

  // True when a handshake from `source` may be processed now (and takes a token).
  bool Allow(const IpAddress &source, Time now);
  size_t size() const { return buckets_.size(); }

private:
  using Key = std::array<uint8_t, 9>; // family tag, then address (v4) or /64 (v6)
  struct Bucket {
    int64_t tokens; // nanoseconds of credit; one packet costs packetCost_
    Time lastRefill;
  };
  void CollectGarbage(Time now);

  int64_t packetCost_;
  int64_t maxTokens_;
  size_t maxEntries_;
  std::map<Key, Bucket> buckets_;
  Time lastGarbageCollection_{0};
};

} // namespace tunnelsim::wireguard
