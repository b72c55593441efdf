// The device's timer expiries (wireguard-go's timers.go): handshake retransmission and
// give-up, passive and persistent keepalives, new handshakes and zeroing stale keys. The
// deadlines themselves are kept per peer in timers.{h,cc}; the device indexes peers by their
// earliest deadline so that finding the next timer and the due peers costs O(log peers), not
// a walk over every peer after every packet.
#include "device.h"

#include <algorithm>

namespace tunnelsim::wireguard {

void Device::OnTimer(Time now, Actions &out) {
  X25519Meter meter(counters_.x25519Operations);
  ReindexTouchedPeers();
  // Only peers with a deadline at or before `now` can have an expiry. They fire in the order
  // of the peer map (by public key), as a walk over every peer would, so the random draws
  // (jitter, ephemeral keys) and the datagrams come out in the same order.
  std::vector<Peer *> due;
  for (auto it = timerIndex_.begin(); it != timerIndex_.end() && it->first <= now; ++it)
    due.push_back(it->second);
  std::sort(due.begin(), due.end(),
            [](const Peer *a, const Peer *b) { return a->publicKey_ < b->publicKey_; });
  for (Peer *peer : due) {
    // Each expiry disarms its timer; a handler may re-arm one only in the future unless a
    // constant is zero, so bound the loop for such what-if settings.
    for (int guard = 0; guard < 64; ++guard) {
      auto kind = Timers(*peer).PopExpired(now);
      if (!kind) break;
      FireTimer(*peer, *kind, now, out);
    }
  }
  ReindexTouchedPeers();
  out.nextTimer = NextTimer();
}

Time Device::NextTimer() const { return timerIndex_.empty() ? kNever : timerIndex_.begin()->first; }

PeerTimers &Device::Timers(Peer &peer) {
  if (!peer.timersTouched_) {
    peer.timersTouched_ = true;
    touchedPeers_.push_back(&peer);
  }
  return peer.timers_;
}

void Device::ReindexTouchedPeers() {
  for (Peer *peer : touchedPeers_) {
    peer->timersTouched_ = false;
    Reindex(*peer);
  }
  touchedPeers_.clear();
}

void Device::Reindex(Peer &peer) {
  const Time deadline = peer.timers_.NextDeadline();
  if (deadline == peer.indexedDeadline_) return;
  if (peer.indexedDeadline_ != kNever && deadline != kNever) {
    // A data flow moves the deadline on nearly every packet: move the set's node to its new
    // place rather than freeing one and allocating another.
    auto node = timerIndex_.extract({peer.indexedDeadline_, &peer});
    node.value().first = deadline;
    timerIndex_.insert(std::move(node));
  } else if (peer.indexedDeadline_ != kNever) {
    timerIndex_.erase({peer.indexedDeadline_, &peer});
  } else {
    timerIndex_.emplace(deadline, &peer);
  }
  peer.indexedDeadline_ = deadline;
}

void Device::FireTimer(Peer &peer, TimerKind kind, Time now, Actions &out) {
  const Constants &c = config_.constants;
  switch (kind) {
  case TimerKind::RetransmitHandshake:
    if (Timers(peer).handshakeAttempts > c.MaxHandshakeAttempts()) {
      Timers(peer).sendKeepalive = kNever;
      while (!peer.staged_.empty()) {
        peer.staged_.pop_front();
        Drop(DropReason::HandshakeGaveUp, now, &peer, peer.endpoint_);
      }
      ++counters_.handshakesFailed;
      Emit(EventType::HandshakeGaveUp, now, &peer, peer.endpoint_);
      if (Timers(peer).zeroKeyMaterial == kNever)
        Timers(peer).zeroKeyMaterial = now + c.zeroKeyMaterialAfter;
    } else {
      ++Timers(peer).handshakeAttempts;
      SendHandshakeInitiation(peer, now, out, true);
    }
    break;
  case TimerKind::SendKeepalive:
    SendKeepalive(peer, now, out);
    if (Timers(peer).needAnotherKeepalive) {
      Timers(peer).needAnotherKeepalive = false;
      Timers(peer).sendKeepalive = now + c.keepaliveTimeout;
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
