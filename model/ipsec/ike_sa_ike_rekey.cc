// Rekeying the IKE SA itself (RFC 7296 1.3.2, 2.8, 2.18), started by either side: the new SA
// takes over the Child SAs and the request state; the old one is kept only until its Delete
// exchange is over (answered when the peer started the rekey, sent and retransmitted when we
// did).
#include "ipsec/ike_sa.h"

#include "ipsec/ike_sa_internal.h"

#include <algorithm>

namespace tunnelsim::ipsec {

using namespace ike_internal;

void IkeSa::RespondIkeRekey(const IkeMessage &m, Time now, IkeActions &actions) {
  IkeMessage r = NewMessage(IkeExchange::CreateChildSa, m.messageId, true);
  if (outstanding_ || oldIkeSa_) {
    // A request of ours is in flight (or the last rekey is not finished): let the peer retry.
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
  // The peer started the rekey, so it is the original initiator of the new IKE SA and deletes
  // the old one; we keep the old SA only to answer that Delete.
  SwitchToRekeyedIkeSa(newSpiI, newSpiR, std::move(newKeys), false, *m.nonce, nonce);
  ScheduleIkeRekey(now);
  actions.events.push_back({IkeEventType::IkeSaRekeyed, 0, "by peer"});
}

void IkeSa::HandleIkeRekeyResponse(const IkeMessage &m, Outstanding out, Time now,
                                   IkeActions &actions) {
  // Whatever went wrong, the old IKE SA stays usable: try again later.
  const double spread = 0.5 + double(rng_.Uniform(1000)) / 1000.0;
  const Time retryAt = now + Duration(int64_t(double(config_.rekeyRetryDelay.count()) * spread));
  if (const IkeNotifyPayload *error = m.FindError()) {
    if (error->type == notify::kTemporaryFailure) ++counters_.rekeyCollisions;
    ikeRekeyAt_ = retryAt;
    return;
  }
  const IkeProposal *accepted = AcceptIkeRekeyProposal(m.sa);
  if (m.sa.size() != 1 || !accepted || !m.nonce || !m.ke ||
      m.ke->group != transform::kDhCurve25519 || m.ke->data.size() != crypto::kX25519KeySize) {
    ++counters_.dropMalformed;
    ikeRekeyAt_ = retryAt;
    return;
  }
  crypto::X25519PublicKey peer{};
  std::copy(m.ke->data.begin(), m.ke->data.end(), peer.begin());
  auto shared = crypto::X25519(out.dh->privateKey, peer);
  if (!shared) {
    ++counters_.dropMalformed;
    ikeRekeyAt_ = retryAt;
    return;
  }
  const uint64_t newSpiR = GetU64(accepted->spi.data());
  IkeSaKeys newKeys = DeriveRekeyedIkeSaKeys(keys_->skD, out.nonce, *m.nonce, shared->view(),
                                             out.newIkeSpi, newSpiR, kEspKeymatSize);
  SwitchToRekeyedIkeSa(out.newIkeSpi, newSpiR, std::move(newKeys), true, out.nonce, *m.nonce);
  ++counters_.ikeSaRekeysStarted;
  SendOldIkeSaDelete(now, actions);
  ScheduleIkeRekey(now);
  actions.events.push_back({IkeEventType::IkeSaRekeyed, 0, "by us"});
}

void IkeSa::SwitchToRekeyedIkeSa(uint64_t newSpiI, uint64_t newSpiR, IkeSaKeys newKeys,
                                 bool weStartedRekey, crypto::Bytes nonceI, crypto::Bytes nonceR) {
  OldIkeSa &old = oldIkeSa_.emplace();
  old.spiI = spiI_;
  old.spiR = spiR_;
  old.initiator = config_.initiator;
  old.incomingKey = crypto::Bytes(IncomingKey()->keymat.begin(), IncomingKey()->keymat.end());
  old.outgoingKey = crypto::Bytes(OutgoingKey()->keymat.begin(), OutgoingKey()->keymat.end());
  old.expectedRequestId = expectedRequestId_;
  old.lastResponse = lastResponse_;
  old.nextRequestId = nextRequestId_;
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

void IkeSa::SendOldIkeSaDelete(Time now, IkeActions &actions) {
  OldIkeSa &old = *oldIkeSa_;
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
  actions.send.push_back(*old.deleteRequest);
  ++counters_.messagesSent;
}

void IkeSa::RetransmitOldIkeSaDelete(Time now, IkeActions &actions) {
  if (!oldIkeSa_ || !oldIkeSa_->deleteRequest || now < oldIkeSa_->deleteDeadline) return;
  OldIkeSa &old = *oldIkeSa_;
  if (old.deleteRetransmits >= config_.retransmit.maxRetransmits) {
    oldIkeSa_.reset(); // the new IKE SA works; the peer lets the old one expire
    return;
  }
  ++old.deleteRetransmits;
  ++counters_.retransmissions;
  ++counters_.messagesSent;
  actions.send.push_back(*old.deleteRequest);
  old.deleteDeadline = now + RetransmitTimeout(old.deleteRetransmits);
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

void IkeSa::HandleOldIkeSaMessage(crypto::ByteView datagram, IkeActions &actions) {
  OldIkeSa &old = *oldIkeSa_;
  IkeParseResult parsed = ParseIkeMessage(datagram, IkeSkKey{config_.ikeCipher, old.incomingKey});
  if (!parsed.message) {
    if (parsed.error == IkeParseError::Integrity) {
      ++counters_.dropIntegrity;
    } else {
      ++counters_.dropMalformed;
    }
    return;
  }
  const IkeMessage &m = *parsed.message;
  ++counters_.messagesReceived;
  if (m.response) { // our only request on the old SA is its Delete
    if (old.deleteRequest && m.messageId == old.deleteMessageId) {
      oldIkeSa_.reset();
    } else {
      ++counters_.dropUnexpected;
    }
    return;
  }
  if (old.expectedRequestId > 0 && m.messageId == old.expectedRequestId - 1 && old.lastResponse) {
    actions.send.push_back(*old.lastResponse); // e.g. a retransmitted rekey request
    ++counters_.responsesResent;
    ++counters_.messagesSent;
    return;
  }
  if (m.messageId != old.expectedRequestId || m.exchange != IkeExchange::Informational) {
    ++counters_.dropUnexpected;
    return;
  }
  bool deletesIke = false;
  for (const IkeDeletePayload &d : m.deletes)
    deletesIke = deletesIke || d.protocolId == kProtocolIke;
  IkeMessage r;
  r.spiI = old.spiI;
  r.spiR = old.spiR;
  r.exchange = IkeExchange::Informational;
  r.fromInitiator = old.initiator;
  r.response = true;
  r.messageId = m.messageId;
  std::array<uint8_t, 8> iv{};
  rng_.Fill(iv.data(), iv.size());
  crypto::Bytes response = EncodeIkeMessage(r, IkeSkKey{config_.ikeCipher, old.outgoingKey}, iv);
  actions.send.push_back(response);
  ++counters_.messagesSent;
  ++old.expectedRequestId;
  old.lastResponse = response;
  if (deletesIke) oldIkeSa_.reset();
}

} // namespace tunnelsim::ipsec
