// Requests from the peer: IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA (new or rekeyed Child SA)
// and INFORMATIONAL (Delete, liveness). The IKE SA rekey is in ike_sa_ike_rekey.cc.
#include "ipsec/ike_sa.h"

#include "ipsec/ike_sa_internal.h"

#include <algorithm>

namespace tunnelsim::ipsec {

using namespace ike_internal;

void IkeSa::HandleRequest(const IkeMessage &m, crypto::ByteView datagram, Time now,
                          IkeActions &actions) {
  if (expectedRequestId_ > 0 && m.messageId == expectedRequestId_ - 1 && lastResponse_) {
    // A retransmission: our answer was lost. Send the same bytes again (RFC 7296 2.1).
    actions.send.push_back(*lastResponse_);
    ++counters_.responsesResent;
    ++counters_.messagesSent;
    return;
  }
  if (m.messageId != expectedRequestId_) {
    ++counters_.dropUnexpected;
    return;
  }
  switch (m.exchange) {
  case IkeExchange::IkeSaInit:
    if (state_ == IkeState::Idle) return RespondIkeSaInit(m, datagram, now, actions);
    break;
  case IkeExchange::IkeAuth:
    if (state_ == IkeState::InitReplied) return RespondIkeAuth(m, now, actions);
    break;
  case IkeExchange::CreateChildSa:
    if (state_ == IkeState::Established) return RespondCreateChild(m, now, actions);
    break;
  case IkeExchange::Informational:
    if (state_ != IkeState::Established) break;
    if (peerIkeRekey_) {
      for (const IkeDeletePayload &d : m.deletes) {
        if (d.protocolId != kProtocolIke) continue;
        // Simultaneous IKE SA rekey whose other half reached the peer after it had moved on:
        // the peer's new SA survived and this is its Delete of the old one (RFC 7296 2.8.2).
        AdoptPeerIkeRekey(now, actions);
        if (!HandleOldIkeSaMessage(oldIkeSas_.back(), datagram, actions)) oldIkeSas_.pop_back();
        return;
      }
    }
    return RespondInformational(m, now, actions);
  }
  ++counters_.dropUnexpected;
}

void IkeSa::RespondIkeSaInit(const IkeMessage &m, crypto::ByteView datagram, Time /*now*/,
                             IkeActions &actions) {
  if (m.sa.empty() || !m.ke || !m.nonce) {
    ++counters_.dropMalformed;
    return;
  }
  spiI_ = m.spiI;
  const std::optional<uint8_t> proposal = AcceptIkeProposal(m.sa);
  if (!proposal) {
    IkeMessage r = NewMessage(IkeExchange::IkeSaInit, m.messageId, true);
    r.notifies.push_back(Notify(notify::kNoProposalChosen));
    SendResponse(r, actions);
    Fail(IkeEventType::NoProposalChosen, "IKE proposal not acceptable", actions);
    return;
  }
  if (m.ke->group != transform::kDhCurve25519) {
    // Stateless answer naming the group we want (RFC 7296 1.2); the SA stays Idle.
    IkeMessage r = NewMessage(IkeExchange::IkeSaInit, m.messageId, true);
    r.notifies.push_back(InvalidKeNotify());
    actions.send.push_back(Encode(r, true));
    ++counters_.messagesSent;
    return;
  }
  if (m.ke->data.size() != crypto::kX25519KeySize) {
    ++counters_.dropMalformed;
    return;
  }
  crypto::X25519PublicKey peer{};
  std::copy(m.ke->data.begin(), m.ke->data.end(), peer.begin());
  dh_ = crypto::GenerateX25519KeyPair(rng_);
  auto shared = crypto::X25519(dh_->privateKey, peer);
  if (!shared) {
    ++counters_.dropMalformed;
    return;
  }
  do {
    spiR_ = rng_.NextU64();
  } while (spiR_ == 0);
  nonceI_ = *m.nonce;
  nonceR_ = RandomBytes(rng_, kNonceSize);
  keys_ = DeriveIkeSaKeys(nonceI_, nonceR_, shared->view(), spiI_, spiR_, kEspKeymatSize);
  initMessageI_ = datagram.ToBytes();
  CheckNatDetection(m, 0);
  IkeMessage r = NewMessage(IkeExchange::IkeSaInit, m.messageId, true);
  r.sa = IkeProposals();
  r.sa[0].number = *proposal; // the answer names the proposal it accepts (RFC 7296 3.3)
  r.ke = IkeKePayload{transform::kDhCurve25519,
                      crypto::Bytes(dh_->publicKey.begin(), dh_->publicKey.end())};
  r.nonce = nonceR_;
  // Only answer NAT detection with NAT detection (RFC 7296 2.23).
  if (m.FindNotify(notify::kNatDetectionSourceIp)) AddNatDetection(r, spiR_);
  SendResponse(r, actions);
  initMessageR_ = *lastResponse_;
  state_ = IkeState::InitReplied;
}

void IkeSa::RespondIkeAuth(const IkeMessage &m, Time now, IkeActions &actions) {
  IkeMessage r = NewMessage(IkeExchange::IkeAuth, m.messageId, true);
  if (!m.idi || !m.auth) {
    ++counters_.dropMalformed;
    r.notifies.push_back(Notify(notify::kInvalidSyntax));
    SendResponse(r, actions);
    Fail(IkeEventType::AuthenticationFailed, "IKE_AUTH without IDi or AUTH", actions);
    return;
  }
  if (!PeerPskAuthVerifies(config_.psk, config_.remoteId, *m.idi, *m.auth, initMessageI_, nonceR_,
                           keys_->skPi)) {
    ++counters_.authFailures;
    r.notifies.push_back(Notify(notify::kAuthenticationFailed));
    SendResponse(r, actions);
    Fail(IkeEventType::AuthenticationFailed, "initiator AUTH did not verify", actions);
    return;
  }
  r.idr = config_.localId;
  r.auth = IkeAuthPayload{kAuthSharedKeyMic, ComputePskAuth(config_.psk, initMessageR_, nonceI_,
                                                            keys_->skPr, config_.localId.Body())};
  state_ = IkeState::Established;
  ScheduleIkeRekey(now);
  actions.events.push_back({IkeEventType::Established, 0, ""});
  auto peerSpi = AcceptEspProposal(m.sa);
  const bool transport = m.FindNotify(notify::kUseTransportMode) != nullptr;
  if (!peerSpi || transport != (config_.childMode == EspMode::Transport)) {
    r.notifies.push_back(Notify(notify::kNoProposalChosen));
  } else if (!TrafficSelectorsMatch(m, true)) {
    r.notifies.push_back(Notify(notify::kTsUnacceptable));
  } else {
    const uint32_t inbound = NewSpi();
    ChildSaKeys keys = DeriveChildSaKeys(keys_->skD, {}, nonceI_, nonceR_, kEspKeymatSize);
    CreateChild(inbound, peerSpi->spi, keys, false, true, now, actions);
    r.sa = EspProposals(inbound);
    r.sa[0].number = peerSpi->number;
    r.tsi = m.tsi;
    r.tsr = m.tsr;
    if (transport) r.notifies.push_back(Notify(notify::kUseTransportMode));
  }
  SendResponse(r, actions);
}

void IkeSa::RespondCreateChild(const IkeMessage &m, Time now, IkeActions &actions) {
  if (!m.sa.empty() && m.sa[0].protocolId == kProtocolIke) return RespondIkeRekey(m, now, actions);
  IkeMessage r = NewMessage(IkeExchange::CreateChildSa, m.messageId, true);
  if (m.sa.empty() || !m.nonce || !m.tsi || !m.tsr) {
    ++counters_.dropMalformed;
    r.notifies.push_back(Notify(notify::kInvalidSyntax));
    return SendResponse(r, actions);
  }
  Child *old = nullptr;
  bool collision = false;
  if (const IkeNotifyPayload *rekey = m.FindNotify(notify::kRekeySa)) {
    if (rekey->spi.size() == 4) old = FindByOutbound(GetU32(rekey->spi.data()));
    if (!old || old->rekeyed || old->deleting) {
      IkeNotifyPayload n = Notify(notify::kChildSaNotFound);
      n.protocolId = kProtocolEsp;
      n.spi = rekey->spi;
      r.notifies.push_back(n);
      return SendResponse(r, actions);
    }
    if (old->rekeying) {
      const bool oursInFlight = outstanding_ &&
                                outstanding_->request.kind == RequestKind::CreateChild &&
                                outstanding_->request.childSpi == old->inboundSpi;
      if (oursInFlight) {
        // Both ends rekey the same Child SA at once (RFC 7296 2.8.1): answer as usual; the
        // four nonces decide which new Child SA is redundant once our own exchange ends.
        collision = true;
      } else {
        // Our rekey of it is only queued: the peer's does the job.
        const uint32_t spi = old->inboundSpi;
        queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                                    [spi](const PendingRequest &q) {
                                      return q.kind == RequestKind::CreateChild &&
                                             q.childSpi == spi;
                                    }),
                     queue_.end());
        old->rekeying = false;
      }
    }
  }
  auto peerSpi = AcceptEspProposal(m.sa);
  const bool transport = m.FindNotify(notify::kUseTransportMode) != nullptr;
  if (!peerSpi || transport != (config_.childMode == EspMode::Transport) ||
      m.ke.has_value() != config_.pfs) {
    r.notifies.push_back(Notify(notify::kNoProposalChosen));
    return SendResponse(r, actions);
  }
  if (!TrafficSelectorsMatch(m, true)) {
    r.notifies.push_back(Notify(notify::kTsUnacceptable));
    return SendResponse(r, actions);
  }
  crypto::Bytes shared;
  if (config_.pfs) {
    if (m.ke->group != transform::kDhCurve25519 || m.ke->data.size() != crypto::kX25519KeySize) {
      r.notifies.push_back(InvalidKeNotify());
      return SendResponse(r, actions);
    }
    crypto::X25519KeyPair dh = crypto::GenerateX25519KeyPair(rng_);
    crypto::X25519PublicKey peer{};
    std::copy(m.ke->data.begin(), m.ke->data.end(), peer.begin());
    auto secret = crypto::X25519(dh.privateKey, peer);
    if (!secret) {
      r.notifies.push_back(Notify(notify::kNoProposalChosen));
      return SendResponse(r, actions);
    }
    shared = secret->view().ToBytes();
    r.ke = IkeKePayload{transform::kDhCurve25519,
                        crypto::Bytes(dh.publicKey.begin(), dh.publicKey.end())};
  }
  crypto::Bytes nonce = RandomBytes(rng_, kNonceSize);
  ChildSaKeys keys = DeriveChildSaKeys(keys_->skD, shared, *m.nonce, nonce, kEspKeymatSize);
  crypto::SecureWipe(shared.data(), shared.size());
  const uint32_t inbound = NewSpi();
  const uint32_t oldInbound = old ? old->inboundSpi : 0;
  // A rekey's new outbound SA waits for the Delete of the old one (the peer has the new
  // inbound SA only once it reads this response); a fresh Child SA can be used at once.
  CreateChild(inbound, peerSpi->spi, keys, false, old == nullptr, now, actions);
  if (oldInbound && collision) {
    ++counters_.rekeyCollisions;
    Child *replaced = FindByInbound(oldInbound);
    replaced->peerRekeySuccessor = inbound;
    replaced->peerRekeyNonceI = *m.nonce;
    replaced->peerRekeyNonceR = nonce;
  } else if (oldInbound) {
    Child *replaced = FindByInbound(oldInbound);
    replaced->rekeyed = true;
    replaced->successor = inbound;
    ++counters_.childSasRekeyed;
    actions.events.push_back({IkeEventType::ChildSaRekeyed, oldInbound, ""});
  }
  r.sa = EspProposals(inbound);
  r.sa[0].number = peerSpi->number;
  r.nonce = nonce;
  r.tsi = m.tsi;
  r.tsr = m.tsr;
  if (transport) r.notifies.push_back(Notify(notify::kUseTransportMode));
  SendResponse(r, actions);
}

void IkeSa::RespondInformational(const IkeMessage &m, Time /*now*/, IkeActions &actions) {
  IkeMessage r = NewMessage(IkeExchange::Informational, m.messageId, true);
  bool deleteIke = false;
  std::vector<uint32_t> ours;
  for (const IkeDeletePayload &d : m.deletes) {
    if (d.protocolId == kProtocolIke) {
      deleteIke = true;
    } else if (d.protocolId == kProtocolEsp) {
      for (uint32_t spi : d.spis) {
        if (Child *c = FindByOutbound(spi)) {
          const uint32_t inbound = c->inboundSpi;
          ours.push_back(inbound);
          RemoveChild(inbound, actions, "deleted by peer");
        }
      }
    }
  }
  if (!ours.empty()) r.deletes.push_back(IkeDeletePayload{kProtocolEsp, ours});
  SendResponse(r, actions);
  if (deleteIke) DeleteLocally("by peer", actions);
}

} // namespace tunnelsim::ipsec
