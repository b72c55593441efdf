// Rekeying the IKE SA itself (RFC 7296 1.3.2, 2.8, 2.18), started by either side: the new SA
// takes over the Child SAs and the request state; the old one is kept only until its Delete
// exchange is over (answered when the peer started the rekey, sent and retransmitted when we
// did). When both ends start a rekey at once (2.8.2), both exchanges complete; the new IKE SA
// created with the lowest of the four nonces is redundant and deleted by its creator, the other
// inherits the Child SAs, and its creator deletes the old IKE SA.
#include "ipsec/ike_sa.h"

#include "ipsec/ike_sa_internal.h"

#include <algorithm>

namespace tunnelsim::ipsec {

using namespace ike_internal;

void IkeSa::RespondIkeRekey(const IkeMessage &m, Time now, IkeActions &actions) {
  IkeMessage r = NewMessage(IkeExchange::CreateChildSa, m.messageId, true);
  // Our own IKE SA rekey in flight: a simultaneous rekey (RFC 7296 2.8.2), answered as usual.
  const bool collision = outstanding_ && outstanding_->request.kind == RequestKind::RekeyIke &&
                         oldIkeSas_.empty() && !peerIkeRekey_;
  if ((outstanding_ && !collision) || !oldIkeSas_.empty()) {
    // Another request of ours is in flight (or the last rekey is not finished): let the peer
    // retry.
    r.notifies.push_back(Notify(notify::kTemporaryFailure));
    return SendResponse(r, actions);
  }
  const IkeProposal *accepted = AcceptIkeRekeyProposal(m.sa);
  if (!accepted || !m.nonce) {
    r.notifies.push_back(Notify(notify::kNoProposalChosen));
    return SendResponse(r, actions);
  }
  if (!m.ke || m.ke->group != transform::kDhCurve25519 ||
      m.ke->data.size() != crypto::kX25519KeySize) {
    r.notifies.push_back(InvalidKeNotify());
    return SendResponse(r, actions);
  }
  crypto::X25519KeyPair dh = crypto::GenerateX25519KeyPair(rng_);
  crypto::X25519PublicKey peer{};
  std::copy(m.ke->data.begin(), m.ke->data.end(), peer.begin());
  auto shared = crypto::X25519(dh.privateKey, peer);
  if (!shared) {
    r.notifies.push_back(Notify(notify::kNoProposalChosen));
    return SendResponse(r, actions);
  }
  const uint64_t newSpiI = GetU64(accepted->spi.data());
  const uint64_t newSpiR = NewIkeSpi(rng_);
  crypto::Bytes nonce = RandomBytes(rng_, kNonceSize);
  IkeSaKeys newKeys = DeriveRekeyedIkeSaKeys(keys_->skD, *m.nonce, nonce, shared->view(), newSpiI,
                                             newSpiR, kEspKeymatSize);
  r.sa = IkeProposals();
  r.sa[0].number = accepted->number;
  r.sa[0].spi = IkeSpiBytes(newSpiR);
  r.nonce = nonce;
  r.ke = IkeKePayload{transform::kDhCurve25519, PublicKeyBytes(dh)};
  SendResponse(r, actions); // under the old SA
  if (collision) {
    // Which new IKE SA survives is known once our own exchange ends (its nonces are the other
    // two of the four); until then the old SA stays current.
    ++counters_.rekeyCollisions;
    peerIkeRekey_ = PeerIkeRekey{}; // not emplace(): clang rejects it for a nested NSDMI struct
    PeerIkeRekey &pending = *peerIkeRekey_;
    pending.spiI = newSpiI;
    pending.spiR = newSpiR;
    pending.keys = std::move(newKeys);
    pending.nonceI = *m.nonce;
    pending.nonceR = std::move(nonce);
    return;
  }
  // The peer started the rekey, so it is the original initiator of the new IKE SA and deletes
  // the old one; we keep the old SA only to answer that Delete.
  SwitchToRekeyedIkeSa(newSpiI, newSpiR, std::move(newKeys), false, *m.nonce, nonce);
  ScheduleIkeRekey(now);
  actions.events.push_back({IkeEventType::IkeSaRekeyed, 0, "by peer"});
}

void IkeSa::AdoptPeerIkeRekey(Time now, IkeActions &actions) {
  PeerIkeRekey peer = std::move(*peerIkeRekey_);
  peerIkeRekey_.reset();
  // Our own rekey request, if still in flight, belonged to the old SA: it is abandoned.
  if (outstanding_ && outstanding_->request.kind == RequestKind::RekeyIke) outstanding_.reset();
  SwitchToRekeyedIkeSa(peer.spiI, peer.spiR, std::move(peer.keys), false, std::move(peer.nonceI),
                       std::move(peer.nonceR));
  ScheduleIkeRekey(now);
  actions.events.push_back({IkeEventType::IkeSaRekeyed, 0, "by peer"});
}

namespace {

// A retired IKE SA from its SPIs and keys, seen from our role in it.
template <typename OldIkeSa>
OldIkeSa RetiredIkeSa(uint64_t spiI, uint64_t spiR, bool initiator, const IkeSaKeys &keys) {
  OldIkeSa old;
  old.spiI = spiI;
  old.spiR = spiR;
  old.initiator = initiator;
  old.incomingKey = initiator ? keys.skEr : keys.skEi;
  old.outgoingKey = initiator ? keys.skEi : keys.skEr;
  return old;
}

} // namespace

void IkeSa::HandleIkeRekeyResponse(const IkeMessage &m, Outstanding out, Time now,
                                   IkeActions &actions) {
  // Whatever went wrong, the old IKE SA stays usable: try again later (or, when the peer's
  // simultaneous rekey was answered, move to its new SA).
  const double spread = 0.5 + double(rng_.Uniform(1000)) / 1000.0;
  const Time retryAt = now + Duration(int64_t(double(config_.rekeyRetryDelay.count()) * spread));
  auto failed = [&] {
    if (peerIkeRekey_) {
      AdoptPeerIkeRekey(now, actions);
    } else {
      ikeRekeyAt_ = retryAt;
    }
  };
  if (const IkeNotifyPayload *error = m.FindError()) {
    if (error->type == notify::kTemporaryFailure) ++counters_.rekeyCollisions;
    return failed();
  }
  const IkeProposal *accepted = AcceptIkeRekeyProposal(m.sa);
  if (m.sa.size() != 1 || !accepted || !m.nonce || !m.ke ||
      m.ke->group != transform::kDhCurve25519 || m.ke->data.size() != crypto::kX25519KeySize) {
    ++counters_.dropMalformed;
    return failed();
  }
  crypto::X25519PublicKey peer{};
  std::copy(m.ke->data.begin(), m.ke->data.end(), peer.begin());
  auto shared = crypto::X25519(out.dh->privateKey, peer);
  if (!shared) {
    ++counters_.dropMalformed;
    return failed();
  }
  const uint64_t newSpiR = GetU64(accepted->spi.data());
  IkeSaKeys newKeys = DeriveRekeyedIkeSaKeys(keys_->skD, out.nonce, *m.nonce, shared->view(),
                                             out.newIkeSpi, newSpiR, kEspKeymatSize);
  if (peerIkeRekey_ && OurExchangeHasLowestNonce(out.nonce, *m.nonce, peerIkeRekey_->nonceI,
                                                 peerIkeRekey_->nonceR)) {
    // RFC 7296 2.8.2: the SA we just created is the redundant one, so we delete it; the peer's
    // new SA inherits the Child SAs and the peer deletes the old SA.
    OldIkeSa redundant = RetiredIkeSa<OldIkeSa>(out.newIkeSpi, newSpiR, true, newKeys);
    AdoptPeerIkeRekey(now, actions);
    oldIkeSas_.push_back(std::move(redundant));
    SendOldIkeSaDelete(oldIkeSas_.back(), now, actions);
    return;
  }
  SwitchToRekeyedIkeSa(out.newIkeSpi, newSpiR, std::move(newKeys), true, out.nonce, *m.nonce);
  ++counters_.ikeSaRekeysStarted;
  SendOldIkeSaDelete(oldIkeSas_.back(), now, actions);
  if (peerIkeRekey_) {
    // The peer's new SA of a simultaneous rekey is the redundant one: the peer deletes it, and
    // we keep it only to answer that Delete.
    oldIkeSas_.push_back(RetiredIkeSa<OldIkeSa>(peerIkeRekey_->spiI, peerIkeRekey_->spiR, false,
                                                peerIkeRekey_->keys));
    oldIkeSas_.back().expireAt = now + RetransmitBudget();
    peerIkeRekey_.reset();
  }
  ScheduleIkeRekey(now);
  actions.events.push_back({IkeEventType::IkeSaRekeyed, 0, "by us"});
}

void IkeSa::SwitchToRekeyedIkeSa(uint64_t newSpiI, uint64_t newSpiR, IkeSaKeys newKeys,
                                 bool weStartedRekey, crypto::Bytes nonceI, crypto::Bytes nonceR) {
  OldIkeSa &old = oldIkeSas_.emplace_back();
  old.spiI = spiI_;
  old.spiR = spiR_;
  old.initiator = config_.initiator;
  old.incomingKey = crypto::Bytes(IncomingKey()->keymat.begin(), IncomingKey()->keymat.end());
  old.outgoingKey = crypto::Bytes(OutgoingKey()->keymat.begin(), OutgoingKey()->keymat.end());
  old.expectedRequestId = expectedRequestId_;
  old.lastResponse = lastResponse_;
  old.nextRequestId = nextRequestId_;
  // When we started the rekey, our Delete follows (SendOldIkeSaDelete clears this).
  old.expireAt = now_ + RetransmitBudget();
  // The Child SAs, the request queue and the timers stay: they belong to the new IKE SA now.
  spiI_ = newSpiI;
  spiR_ = newSpiR;
  keys_ = std::move(newKeys);
  config_.initiator = weStartedRekey; // the rekey's initiator is the new SA's initiator
  nonceI_ = std::move(nonceI);
  nonceR_ = std::move(nonceR);
  nextRequestId_ = 0;
  expectedRequestId_ = 0;
  lastResponse_.reset();
  ++counters_.ikeSasRekeyed;
}

void IkeSa::SendOldIkeSaDelete(OldIkeSa &old, Time now, IkeActions &actions) {
  IkeMessage d;
  d.spiI = old.spiI;
  d.spiR = old.spiR;
  d.exchange = IkeExchange::Informational;
  d.fromInitiator = old.initiator;
  d.messageId = old.nextRequestId;
  d.deletes.push_back(IkeDeletePayload{kProtocolIke, {}});
  std::array<uint8_t, 8> iv{};
  rng_.Fill(iv.data(), iv.size());
  old.deleteRequest = EncodeIkeMessage(d, IkeSkKey{config_.ikeCipher, old.outgoingKey}, iv);
  old.deleteMessageId = d.messageId;
  old.deleteDeadline = now + config_.retransmit.initialTimeout;
  old.expireAt = kNever; // ends with the answer or the retransmission limit
  actions.send.push_back(*old.deleteRequest);
  ++counters_.messagesSent;
}

void IkeSa::RetransmitOldIkeSaDeletes(Time now, IkeActions &actions) {
  for (auto old = oldIkeSas_.begin(); old != oldIkeSas_.end();) {
    if (now >= old->expireAt) {
      old = oldIkeSas_.erase(old); // the peer's Delete of it never came
      continue;
    }
    if (!old->deleteRequest || now < old->deleteDeadline) {
      ++old;
      continue;
    }
    if (old->deleteRetransmits >= config_.retransmit.maxRetransmits) {
      old = oldIkeSas_.erase(old); // the new IKE SA works; the peer lets the old one expire
      continue;
    }
    ++old->deleteRetransmits;
    ++counters_.retransmissions;
    ++counters_.messagesSent;
    actions.send.push_back(*old->deleteRequest);
    old->deleteDeadline = now + RetransmitTimeout(old->deleteRetransmits);
    ++old;
  }
}

void IkeSa::ScheduleIkeRekey(Time now) {
  ikeRekeyAt_ = kNever;
  if (config_.ikeRekeyTime.count() <= 0) return;
  // No random draw without jitter: a host that sets only a rekey time keeps the random stream
  // (SPIs, nonces, keys) of runs made before IKE SA rekeying existed.
  const double jitter = std::clamp(config_.ikeRekeyJitter, 0.0, 1.0);
  const double fraction =
      jitter > 0 ? jitter * double(rng_.Uniform(1u << 20)) / double(1u << 20) : 0.0;
  ikeRekeyAt_ = now + Duration(int64_t(double(config_.ikeRekeyTime.count()) * (1.0 - fraction)));
}

bool IkeSa::HandleOldIkeSaMessage(OldIkeSa &old, crypto::ByteView datagram, IkeActions &actions) {
  IkeParseResult parsed = ParseIkeMessage(datagram, IkeSkKey{config_.ikeCipher, old.incomingKey});
  if (!parsed.message) {
    if (parsed.error == IkeParseError::Integrity) {
      ++counters_.dropIntegrity;
    } else {
      ++counters_.dropMalformed;
    }
    return true;
  }
  const IkeMessage &m = *parsed.message;
  ++counters_.messagesReceived;
  if (m.response) { // our only request on a retired SA is its Delete
    if (old.deleteRequest && m.messageId == old.deleteMessageId) return false;
    ++counters_.dropUnexpected;
    return true;
  }
  if (old.expectedRequestId > 0 && m.messageId == old.expectedRequestId - 1 && old.lastResponse) {
    actions.send.push_back(*old.lastResponse); // e.g. a retransmitted rekey request
    ++counters_.responsesResent;
    ++counters_.messagesSent;
    return true;
  }
  const bool rekeyRequest = m.exchange == IkeExchange::CreateChildSa;
  if (m.messageId != old.expectedRequestId ||
      (m.exchange != IkeExchange::Informational && !rekeyRequest)) {
    ++counters_.dropUnexpected;
    return true;
  }
  bool deletesIke = false;
  for (const IkeDeletePayload &d : m.deletes)
    deletesIke = deletesIke || d.protocolId == kProtocolIke;
  IkeMessage r;
  r.spiI = old.spiI;
  r.spiR = old.spiR;
  r.exchange = m.exchange;
  r.fromInitiator = old.initiator;
  r.response = true;
  r.messageId = m.messageId;
  // A rekey that crossed ours and arrived after we moved on (RFC 7296 2.25.2): this SA is
  // being closed, so the peer is told to retry; it moves to our new SA.
  if (rekeyRequest) r.notifies.push_back(Notify(notify::kTemporaryFailure));
  std::array<uint8_t, 8> iv{};
  rng_.Fill(iv.data(), iv.size());
  crypto::Bytes response = EncodeIkeMessage(r, IkeSkKey{config_.ikeCipher, old.outgoingKey}, iv);
  actions.send.push_back(response);
  ++counters_.messagesSent;
  ++old.expectedRequestId;
  old.lastResponse = response;
  return !deletesIke;
}

} // namespace tunnelsim::ipsec
