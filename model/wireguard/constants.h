// The protocol's numeric constants (whitepaper section 6.1 and the Linux/wireguard-go
// implementation limits), gathered in one struct so a simulation can change any of them per
// device for what-if experiments. Default-constructed values are the specification's.
#pragma once

#include "common/time.h"

#include <cstddef>
#include <cstdint>

namespace tunnelsim::wireguard {

struct Constants {
  // Whitepaper 6.1.
  uint64_t rekeyAfterMessages = uint64_t{1} << 60;
  // 2^64 - 2^13 - 1: the last counters are kept out of reach of the replay window.
  uint64_t rejectAfterMessages = UINT64_MAX - (uint64_t{1} << 13);
  Duration rekeyAfterTime = Seconds(120);
  Duration rejectAfterTime = Seconds(180);
  Duration rekeyAttemptTime = Seconds(90);
  Duration rekeyTimeout = Seconds(5);
  Duration keepaliveTimeout = Seconds(10);

  // Random extra delay added to REKEY_TIMEOUT-based timers, drawn uniformly from
  // [0, rekeyTimeoutJitterMax] (the kernel's 333 ms).
  Duration rekeyTimeoutJitterMax = Milliseconds(333);
  // Keys are wiped this long after the last session was derived (3 x REJECT_AFTER_TIME).
  Duration zeroKeyMaterialAfter = Seconds(540);

  // Cookies (whitepaper 5.4.7): the responder's secret changes every two minutes; an
  // initiator stops using a cookie a little before that.
  Duration cookieSecretMaxAge = Seconds(120);
  Duration cookieSecretLatency = Seconds(5);

  // Handshake flood protection. The kernel is "under load" while its handshake queue is an
  // eighth full; a sans-IO core has no queue, so load is the number of handshake messages
  // received in the last second. Zero means always under load.
  uint32_t underLoadHandshakesPerSecond = 128;
  // Once under load, stay so this long after the last busy moment (wireguard-go: 1 s).
  Duration underLoadHoldTime = Seconds(1);
  // Per-source token bucket (kernel ratelimiter.c: 20 per second, burst 5, per IPv4 address
  // or IPv6 /64), applied to handshakes that carry a valid MAC2 while under load.
  uint32_t ratelimitPacketsPerSecond = 20;
  uint32_t ratelimitBurst = 5;
  size_t ratelimitMaxEntries = 8192;
  // A peer consumes at most one initiation per this interval (kernel INITIATIONS_PER_SECOND).
  Duration minInitiationInterval = Milliseconds(20);

  // Transport counters tracked behind the newest by the anti-replay filter (a multiple of 64;
  // Linux and wireguard-go: 8128, a ring of 8192 bits less the word being recycled).
  uint64_t replayWindow = 8128;

  // Packets waiting for a session, per peer; the oldest is dropped when full (kernel 128).
  size_t maxStagedPackets = 128;

  // Retries before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT (18). As in Linux and
  // wireguard-go, that many retries after the first one are allowed plus a final one, so a
  // handshake that never completes sends 20 initiations over ~100 s.
  uint64_t MaxHandshakeAttempts() const {
    return rekeyTimeout.count() > 0 ? static_cast<uint64_t>(rekeyAttemptTime / rekeyTimeout) : 0;
  }
};

} // namespace tunnelsim::wireguard
