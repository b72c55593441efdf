#include "ratelimiter.h"

#include <algorithm>

namespace tunnelsim::wireguard {

namespace {
constexpr int64_t kNanosPerSecond = 1000000000;
// Buckets idle this long are full again, so forgetting them changes nothing.
constexpr Duration kIdleExpiry = Seconds(1);
} // namespace

RateLimiter::RateLimiter(uint32_t packetsPerSecond, uint32_t burst, size_t maxEntries)
    : packetCost_(kNanosPerSecond / std::max<uint32_t>(packetsPerSecond, 1)),
      maxTokens_(packetCost_ * std::max<uint32_t>(burst, 1)), maxEntries_(maxEntries) {}

void RateLimiter::CollectGarbage(Time now) {
  if (now - lastGarbageCollection_ < kIdleExpiry) return;
  lastGarbageCollection_ = now;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (now - it->second.lastRefill >= kIdleExpiry)
      it = buckets_.erase(it);
    else
      ++it;
  }
}

bool RateLimiter::Allow(const IpAddress &source, Time now) {
  CollectGarbage(now);
  Key key{};
  key[0] = source.IsV4() ? 4 : 6;
  std::copy_n(source.data(), source.IsV4() ? 4 : 8, key.begin() + 1);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= maxEntries_) return false;
    buckets_.emplace(key, Bucket{maxTokens_ - packetCost_, now});
    return true;
  }
  Bucket &bucket = it->second;
  const int64_t elapsed = std::max<int64_t>(0, (now - bucket.lastRefill).count());
  bucket.tokens = std::min(maxTokens_, bucket.tokens + std::min(elapsed, maxTokens_));
  bucket.lastRefill = now;
  if (bucket.tokens < packetCost_) return false;
  bucket.tokens -= packetCost_;
  return true;
}

} // namespace tunnelsim::wireguard
