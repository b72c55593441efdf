// Answers to our requests: IKE_SA_INIT (keys, NAT detection), IKE_AUTH (the peer's AUTH, the
// first Child SA), CREATE_CHILD_SA (new or rekeyed Child SA), Deletes and liveness checks.
#include "ipsec/ike_sa.h"

#include "ipsec/ike_sa_internal.h"

namespace tunnelsim::ipsec {

using namespace ike_internal;

void IkeSa::HandleResponse(const IkeMessage &m, crypto::ByteView datagram, Time now,
                           IkeActions &actions) {
  if (!outstanding_ || m.messageId != outstanding_->messageId) {
    ++counters_.dropUnexpected;
    return;
  }
  const RequestKind kind = outstanding_->request.kind;
  const bool isInit = kind == RequestKind::IkeSaInit;
  if ((m.exchange == IkeExchange::IkeSaInit) != isInit) {
    ++counters_.dropUnexpected;
    return;
  }
  const IkeNotifyPayload *error = m.FindError();
  switch (kind) {
  case RequestKind::IkeSaInit:
    return HandleIkeSaInitResponse(m, datagram, error, now, actions);
  case RequestKind::IkeAuth:
    return HandleIkeAuthResponse(m, error, now, actions);
  case RequestKind::CreateChild:
    return HandleCreateChildResponse(m, error, now, actions);
  case RequestKind::DeleteChild: {
    const PendingRequest request = outstanding_->request;
    outstanding_.reset();
    RemoveChild(request.childSpi, actions, "deleted");
    if (request.recreate) Enqueue({RequestKind::CreateChild, 0, false}, now, actions);
    return;
  }
  case RequestKind::Liveness:
    outstanding_.reset(); // the peer answered: alive (lastPeerAlive_ was updated)
    return;
  case RequestKind::RekeyIke: {
    Outstanding out = std::move(*outstanding_);
    outstanding_.reset();
    return HandleIkeRekeyResponse(m, std::move(out), now, actions);
  }
  case RequestKind::DeleteIke:
    outstanding_.reset();
    return DeleteLocally("by us", actions);
  }
}

void IkeSa::HandleIkeSaInitResponse(const IkeMessage &m, crypto::ByteView datagram,
                                    const IkeNotifyPayload *error, Time now, IkeActions &actions) {
  if (error) {
    outstanding_.reset();
    Fail(IkeEventType::NoProposalChosen,
         error->type == notify::kInvalidKePayload ? "INVALID_KE_PAYLOAD" : "NO_PROPOSAL_CHOSEN",
         actions);
    return;
  }
  if (m.sa.size() != 1 || !m.ke || !m.nonce || m.spiR == 0 ||
      m.ke->data.size() != crypto::kX25519KeySize) {
    ++counters_.dropMalformed; // keep waiting: the genuine answer may still come
    return;
  }
  if (!AcceptIkeProposal(m.sa) || m.ke->group != transform::kDhCurve25519) {
    Fail(IkeEventType::NoProposalChosen, "responder chose a proposal we did not offer", actions);
    return;
  }
  crypto::X25519PublicKey peer{};
  std::copy(m.ke->data.begin(), m.ke->data.end(), peer.begin());
  auto shared = crypto::X25519(dh_->privateKey, peer);
  if (!shared) {
    ++counters_.dropMalformed;
    return;
  }
  outstanding_.reset();
  spiR_ = m.spiR;
  nonceR_ = *m.nonce;
  keys_ = DeriveIkeSaKeys(nonceI_, nonceR_, shared->view(), spiI_, spiR_, kEspKeymatSize);
  initMessageR_ = datagram.ToBytes();
  CheckNatDetection(m, spiR_);
  Send({RequestKind::IkeAuth, 0, false}, now, actions);
}

void IkeSa::HandleIkeAuthResponse(const IkeMessage &m, const IkeNotifyPayload *error, Time now,
                                  IkeActions &actions) {
  outstanding_.reset();
  if (m.FindNotify(notify::kAuthenticationFailed) || m.FindNotify(notify::kInvalidSyntax)) {
    ++counters_.authFailures;
    Fail(IkeEventType::AuthenticationFailed, "responder rejected our AUTH", actions);
    return;
  }
  if (!m.idr || !m.auth) {
    ++counters_.dropMalformed;
    Fail(IkeEventType::AuthenticationFailed, "IKE_AUTH response without IDr or AUTH", actions);
    return;
  }
  if (!PeerPskAuthVerifies(config_.psk, config_.remoteId, *m.idr, *m.auth, initMessageR_, nonceI_,
                           keys_->skPr)) {
    ++counters_.authFailures;
    Fail(IkeEventType::AuthenticationFailed, "responder AUTH did not verify", actions);
    return;
  }
  state_ = IkeState::Established;
  ScheduleIkeRekey(now);
  actions.events.push_back({IkeEventType::Established, 0, ""});
  auto peerSpi = AcceptEspProposal(m.sa);
  if (!error && peerSpi && TrafficSelectorsMatch(m, false)) {
    ChildSaKeys keys = DeriveChildSaKeys(keys_->skD, {}, nonceI_, nonceR_, kEspKeymatSize);
    CreateChild(firstChildInboundSpi_, peerSpi->spi, keys, true, true, now, actions);
  }
}

void IkeSa::HandleCreateChildResponse(const IkeMessage &m, const IkeNotifyPayload *error, Time now,
                                      IkeActions &actions) {
  Outstanding out = std::move(*outstanding_);
  outstanding_.reset();
  Child *old = out.request.childSpi ? FindByInbound(out.request.childSpi) : nullptr;
  if (old) old->rekeying = false;
  if (old && old->peerRekeySuccessor && !FindByInbound(old->peerRekeySuccessor)) {
    // The peer's new Child SA of the collision is gone already (deleted by the peer): there is
    // nothing left to choose between.
    old->peerRekeySuccessor = 0;
  }
  // A simultaneous rekey of the same Child SA by the peer was answered meanwhile; if ours
  // fails, the peer's new Child SA simply replaces the old one.
  auto adoptPeerRekey = [&] {
    if (!old || !old->peerRekeySuccessor) return false;
    ConcludeChildRekey(*old, old->peerRekeySuccessor, false, now, actions);
    return true;
  };
  if (error) {
    if (adoptPeerRekey()) return;
    if (error->type == notify::kTemporaryFailure && old) {
      ++counters_.rekeyCollisions;
      const double spread = 0.5 + double(rng_.Uniform(1000)) / 1000.0;
      old->retryRekeyAt = now + Duration(int64_t(double(config_.rekeyRetryDelay.count()) * spread));
    }
    return;
  }
  auto peerSpi = AcceptEspProposal(m.sa);
  if (!peerSpi || !m.nonce || m.ke.has_value() != config_.pfs || !TrafficSelectorsMatch(m, false)) {
    ++counters_.dropMalformed;
    adoptPeerRekey();
    return;
  }
  crypto::Bytes shared;
  if (config_.pfs) {
    if (m.ke->data.size() != crypto::kX25519KeySize) {
      ++counters_.dropMalformed;
      adoptPeerRekey();
      return;
    }
    crypto::X25519PublicKey peer{};
    std::copy(m.ke->data.begin(), m.ke->data.end(), peer.begin());
    auto secret = crypto::X25519(out.dh->privateKey, peer);
    if (!secret) {
      ++counters_.dropMalformed;
      adoptPeerRekey();
      return;
    }
    shared = secret->view().ToBytes();
  }
  ChildSaKeys keys = DeriveChildSaKeys(keys_->skD, shared, out.nonce, *m.nonce, kEspKeymatSize);
  crypto::SecureWipe(shared.data(), shared.size());
  // RFC 7296 2.8.1: after a simultaneous rekey, the new Child SA of the exchange with the lowest
  // of the four nonces is redundant; ours is never used for sending if it is.
  const bool oursRedundant =
      old && old->peerRekeySuccessor &&
      OurExchangeHasLowestNonce(out.nonce, *m.nonce, old->peerRekeyNonceI, old->peerRekeyNonceR);
  CreateChild(out.newInboundSpi, peerSpi->spi, keys, true, !oursRedundant, now, actions);
  old = out.request.childSpi ? FindByInbound(out.request.childSpi) : nullptr;
  if (!old) return;
  if (!old->peerRekeySuccessor)
    return ConcludeChildRekey(*old, out.newInboundSpi, true, now, actions);
  const uint32_t peers = old->peerRekeySuccessor;
  const uint32_t ours = out.newInboundSpi;
  if (oursRedundant) {
    // We created the redundant pair, so we delete it; the peer deletes the old one.
    Child *redundant = FindByInbound(ours);
    redundant->rekeyed = redundant->deleting = true;
    ConcludeChildRekey(*old, peers, false, now, actions);
    Enqueue({RequestKind::DeleteChild, ours, false}, now, actions);
  } else {
    // The peer's new pair is the redundant one: it deletes it; we delete the old one.
    FindByInbound(peers)->rekeyed = true; // present: checked above, nothing removed since
    ConcludeChildRekey(*old, ours, true, now, actions);
  }
}

void IkeSa::ConcludeChildRekey(Child &old, uint32_t successor, bool weDeleteOld, Time now,
                               IkeActions &actions) {
  old.rekeyed = true;
  old.successor = successor;
  old.peerRekeySuccessor = 0;
  old.peerRekeyNonceI.clear();
  old.peerRekeyNonceR.clear();
  // Make-before-break: the creator of the surviving Child SA deletes the old one after the
  // overlap; the other end switches its outbound traffic when that Delete arrives.
  if (weDeleteOld) old.deleteAt = now + config_.rekeyOverlap;
  ++counters_.childSasRekeyed;
  actions.events.push_back({IkeEventType::ChildSaRekeyed, old.inboundSpi, ""});
}

} // namespace tunnelsim::ipsec
