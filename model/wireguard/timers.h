// The per-peer timer state machine of whitepaper 6 as Linux (timers.c) and wireguard-go
// (timers.go) implement it: five one-shot timers held as deadlines on the caller's clock and
// the hooks that arm or cancel them when packets are sent and received.
#pragma once

#include "common/time.h"
#include "constants.h"
#include "crypto/random.h"

#include <cstdint>
#include <optional>

namespace tunnelsim::wireguard {

enum class TimerKind : uint8_t {
  RetransmitHandshake, // no response REKEY_TIMEOUT (+jitter) after an initiation
  SendKeepalive,       // data received, nothing sent back for KEEPALIVE_TIMEOUT
  NewHandshake,        // data sent, nothing received for KEEPALIVE + REKEY_TIMEOUT (+jitter)
  ZeroKeyMaterial,     // 3 x REJECT_AFTER_TIME after the last session was derived
  PersistentKeepalive, // the configured interval after the last authenticated packet
};
const char *TimerKindName(TimerKind kind);

class PeerTimers {
public:
  // Deadlines; kNever means not armed.
  Time retransmitHandshake = kNever;
  Time sendKeepalive = kNever;
  Time newHandshake = kNever;
  Time zeroKeyMaterial = kNever;
  Time persistentKeepalive = kNever;

  uint64_t handshakeAttempts = 0;
  bool needAnotherKeepalive = false;
  bool sentLastMinuteHandshake = false;

  // Hooks, named after the events that call them.
  void AnyAuthenticatedPacketSent() { sendKeepalive = kNever; }
  void AnyAuthenticatedPacketReceived() { newHandshake = kNever; }
  void AnyAuthenticatedPacketTraversal(Time now, Duration persistentInterval);
  void DataSent(Time now, const Constants &c, crypto::RandomSource &rng);
  void DataReceived(Time now, const Constants &c);
  void HandshakeInitiated(Time now, const Constants &c, crypto::RandomSource &rng);
  void HandshakeComplete();
  void SessionDerived(Time now, const Constants &c);

  // Disarms and returns the earliest timer due at `now`, if any.
  std::optional<TimerKind> PopExpired(Time now);
  Time NextDeadline() const;
  void StopAll();

  static Duration Jitter(const Constants &c, crypto::RandomSource &rng);
};

} // namespace tunnelsim::wireguard
