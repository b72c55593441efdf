// The device's timer expiries (wireguard-go's timers.go): handshake retransmission and
// give-up, passive and persistent keepalives, new handshakes and zeroing stale keys. The
// deadlines themselves are kept per peer in timers.{h,cc}.
#include "device.h"

namespace tunnelsim::wireguard {

void Device::OnTimer(Time now, Actions &out) {
  for (auto &entry : peers_) {
    Peer &peer = *entry.second;
    // Each expiry disarms its timer; a handler may re-arm one only in the future unless a
    // constant is zero, so bound the loop for such what-if settings.
    for (int guard = 0; guard < 64; ++guard) {
      auto kind = peer.timers_.PopExpired(now);
      if (!kind) break;
      FireTimer(peer, *kind, now, out);
    }
  }
  out.nextTimer = NextTimer();
}

void Device::FireTimer(Peer &peer, TimerKind kind, Time now, Actions &out) {
  const Constants &c = config_.constants;
  switch (kind) {
  case TimerKind::RetransmitHandshake:
    if (peer.timers_.handshakeAttempts > c.MaxHandshakeAttempts()) {
      peer.timers_.sendKeepalive = kNever;
      while (!peer.staged_.empty()) {
        peer.staged_.pop_front();
        Drop(DropReason::HandshakeGaveUp, now, &peer, peer.endpoint_);
      }
      ++counters_.handshakesFailed;
      Emit(EventType::HandshakeGaveUp, now, &peer, peer.endpoint_);
      if (peer.timers_.zeroKeyMaterial == kNever)
        peer.timers_.zeroKeyMaterial = now + c.zeroKeyMaterialAfter;
    } else {
      ++peer.timers_.handshakeAttempts;
      SendHandshakeInitiation(peer, now, out, true);
    }
    break;
  case TimerKind::SendKeepalive:
    SendKeepalive(peer, now, out);
    if (peer.timers_.needAnotherKeepalive) {
      peer.timers_.needAnotherKeepalive = false;
      peer.timers_.sendKeepalive = now + c.keepaliveTimeout;
    }
    break;
  case TimerKind::NewHandshake:
    SendQueuedHandshakeInitiation(peer, now, out, false);
    break;
  case TimerKind::ZeroKeyMaterial:
    ZeroKeyMaterial(peer, now);
    break;
  case TimerKind::PersistentKeepalive:
    if (peer.persistentKeepalive_.count() > 0) SendKeepalive(peer, now, out);
    break;
  }
}

} // namespace tunnelsim::wireguard
