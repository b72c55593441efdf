#include "timers.h"

#include <algorithm>

namespace tunnelsim::wireguard {

const char *TimerKindName(TimerKind kind) {
  switch (kind) {
  case TimerKind::RetransmitHandshake:
    return "retransmit_handshake";
  case TimerKind::SendKeepalive:
    return "send_keepalive";
  case TimerKind::NewHandshake:
    return "new_handshake";
  case TimerKind::ZeroKeyMaterial:
    return "zero_key_material";
  case TimerKind::PersistentKeepalive:
    return "persistent_keepalive";
  }
  return "unknown";
}

Duration PeerTimers::Jitter(const Constants &c, crypto::RandomSource &rng) {
  if (c.rekeyTimeoutJitterMax.count() <= 0) return Duration(0);
  return Duration(static_cast<int64_t>(
      rng.Uniform(static_cast<uint64_t>(c.rekeyTimeoutJitterMax.count()) + 1)));
}

void PeerTimers::AnyAuthenticatedPacketTraversal(Time now, Duration persistentInterval) {
  if (persistentInterval.count() > 0) persistentKeepalive = now + persistentInterval;
}

void PeerTimers::DataSent(Time now, const Constants &c, crypto::RandomSource &rng) {
  if (newHandshake == kNever)
    newHandshake = now + c.keepaliveTimeout + c.rekeyTimeout + Jitter(c, rng);
}

void PeerTimers::DataReceived(Time now, const Constants &c) {
  if (sendKeepalive == kNever)
    sendKeepalive = now + c.keepaliveTimeout;
  else
    needAnotherKeepalive = true;
}

void PeerTimers::HandshakeInitiated(Time now, const Constants &c, crypto::RandomSource &rng) {
  retransmitHandshake = now + c.rekeyTimeout + Jitter(c, rng);
}

void PeerTimers::HandshakeComplete() {
  retransmitHandshake = kNever;
  handshakeAttempts = 0;
  sentLastMinuteHandshake = false;
}

void PeerTimers::SessionDerived(Time now, const Constants &c) {
  zeroKeyMaterial = now + c.zeroKeyMaterialAfter;
}

std::optional<TimerKind> PeerTimers::PopExpired(Time now) {
  struct Slot {
    Time *deadline;
    TimerKind kind;
  };
  Slot slots[] = {{&retransmitHandshake, TimerKind::RetransmitHandshake},
                  {&sendKeepalive, TimerKind::SendKeepalive},
                  {&newHandshake, TimerKind::NewHandshake},
                  {&zeroKeyMaterial, TimerKind::ZeroKeyMaterial},
                  {&persistentKeepalive, TimerKind::PersistentKeepalive}};
  Slot *earliest = nullptr;
  for (Slot &slot : slots)
    if (*slot.deadline != kNever && *slot.deadline <= now &&
        (!earliest || *slot.deadline < *earliest->deadline))
      earliest = &slot;
  if (!earliest) return std::nullopt;
  *earliest->deadline = kNever;
  return earliest->kind;
}

Time PeerTimers::NextDeadline() const {
  return std::min(
      {retransmitHandshake, sendKeepalive, newHandshake, zeroKeyMaterial, persistentKeepalive});
}

void PeerTimers::StopAll() {
  retransmitHandshake = sendKeepalive = newHandshake = zeroKeyMaterial = persistentKeepalive =
      kNever;
}

} // namespace tunnelsim::wireguard
