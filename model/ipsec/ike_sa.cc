// IkeSa: construction, the entry points the host calls (Start, OnMessage, OnTimer, lifetime
// and operator actions), message framing and keys, failure, and the next timer. The concerns
// these entry points hand over to live beside it: ike_sa_proposals.cc, ike_sa_child_table.cc,
// ike_sa_requests.cc (our requests and their retransmission), ike_sa_responder.cc (requests
// from the peer), ike_sa_responses.cc (answers to ours), ike_sa_ike_rekey.cc.
#include "ipsec/ike_sa.h"

#include "ipsec/ike_sa_internal.h"

#include <algorithm>

namespace tunnelsim::ipsec {

using namespace ike_internal;

const char *IkeStateName(IkeState state) {
  switch (state) {
  case IkeState::Idle:
    return "idle";
  case IkeState::InitSent:
    return "init-sent";
  case IkeState::InitReplied:
    return "init-replied";
  case IkeState::AuthSent:
    return "auth-sent";
  case IkeState::Established:
    return "established";
  case IkeState::Deleted:
    return "deleted";
  case IkeState::Failed:
    return "failed";
  }
  return "?";
}

IkeSa::IkeSa(const IkeConfig &config, crypto::RandomSource &rng) : config_(config), rng_(rng) {
  if (config.psk.empty()) throw std::invalid_argument("IKEv2 PSK must not be empty");
  if (!EspCipherAvailable(config.ikeCipher) || !EspCipherAvailable(config.espCipher)) {
    throw std::invalid_argument("configured AEAD is not available on this CPU");
  }
}

std::optional<IkeSkKey> IkeSa::OutgoingKey() const {
  if (!keys_) return std::nullopt;
  return IkeSkKey{config_.ikeCipher, config_.initiator ? keys_->skEi : keys_->skEr};
}

std::optional<IkeSkKey> IkeSa::IncomingKey() const {
  if (!keys_) return std::nullopt;
  return IkeSkKey{config_.ikeCipher, config_.initiator ? keys_->skEr : keys_->skEi};
}

IkeMessage IkeSa::NewMessage(IkeExchange exchange, uint32_t messageId, bool response) const {
  IkeMessage m;
  m.spiI = spiI_;
  m.spiR = spiR_;
  m.exchange = exchange;
  m.fromInitiator = config_.initiator;
  m.response = response;
  m.messageId = messageId;
  return m;
}

crypto::Bytes IkeSa::Encode(IkeMessage &message, bool /*response*/) {
  std::array<uint8_t, 8> iv{};
  if (message.exchange == IkeExchange::IkeSaInit)
    return EncodeIkeMessage(message, std::nullopt, iv);
  rng_.Fill(iv.data(), iv.size());
  return EncodeIkeMessage(message, OutgoingKey(), iv);
}

void IkeSa::Fail(IkeEventType event, const std::string &detail, IkeActions &actions) {
  std::vector<uint32_t> spis;
  for (auto &[in, c] : children_)
    spis.push_back(in);
  for (uint32_t spi : spis)
    RemoveChild(spi, actions, "IKE SA failed");
  RemoveLingering(true, actions);
  state_ = IkeState::Failed;
  outstanding_.reset();
  queue_.clear();
  actions.events.push_back({event, 0, detail});
}

void IkeSa::DeleteLocally(const char *detail, IkeActions &actions) {
  std::vector<uint32_t> spis;
  for (auto &[in, c] : children_)
    spis.push_back(in);
  for (uint32_t spi : spis)
    RemoveChild(spi, actions, "IKE SA deleted");
  RemoveLingering(true, actions);
  state_ = IkeState::Deleted;
  outstanding_.reset();
  queue_.clear();
  actions.events.push_back({IkeEventType::IkeSaDeleted, 0, detail});
}

void IkeSa::Finish(IkeActions &actions) {
  Time next = kNever;
  if (outstanding_) next = std::min(next, outstanding_->deadline);
  for (const auto &[spi, at] : lingeringInbound_)
    next = std::min(next, at);
  if (state_ == IkeState::Established && config_.dpdDelay.count() > 0 && !outstanding_ &&
      queue_.empty()) {
    next = std::min(next, lastPeerAlive_ + config_.dpdDelay);
  }
  for (const OldIkeSa &old : oldIkeSas_)
    next = std::min({next, old.deleteDeadline, old.expireAt});
  if (state_ == IkeState::Established) {
    next = std::min(next, ikeRekeyAt_);
    for (const auto &[in, c] : children_) {
      next = std::min({next, c.hardDeadline, c.deleteAt, c.retryRekeyAt});
      if (!c.rekeying && !c.rekeyed && !c.deleting) next = std::min(next, c.softDeadline);
    }
  }
  actions.nextTimer = next;
}

IkeActions IkeSa::Start(Time now) {
  IkeActions actions;
  now_ = now;
  if (config_.initiator && state_ == IkeState::Idle) {
    Send({RequestKind::IkeSaInit, 0, false}, now, actions);
  }
  Finish(actions);
  return actions;
}

IkeActions IkeSa::OnTimer(Time now) {
  IkeActions actions;
  now_ = now;
  if (!RetransmitOutstanding(now, actions)) {
    if (outstanding_->request.kind == RequestKind::DeleteIke) {
      // Our Delete was never answered: the SA is gone for us anyway (RFC 7296 1.4.1), and the
      // peer removes it when it sees the Delete or when its own checks time out.
      outstanding_.reset();
      DeleteLocally("by us, unanswered", actions);
      Finish(actions);
      return actions;
    }
    Fail(IkeEventType::Timeout, "no answer after retransmissions", actions);
    Finish(actions);
    return actions;
  }
  RetransmitOldIkeSaDeletes(now, actions);
  ProcessChildTimers(now, actions);
  if (state_ == IkeState::Established && ikeRekeyAt_ <= now) {
    ikeRekeyAt_ = kNever;
    Enqueue({RequestKind::RekeyIke, 0, false}, now, actions);
  }
  if (state_ == IkeState::Established && config_.dpdDelay.count() > 0 && !outstanding_ &&
      queue_.empty() && now >= lastPeerAlive_ + config_.dpdDelay) {
    Send({RequestKind::Liveness, 0, false}, now, actions);
  }
  Finish(actions);
  return actions;
}

IkeActions IkeSa::OnChildSaLifetime(uint32_t spi, bool hard, Time now) {
  IkeActions actions;
  now_ = now;
  Child *c = FindByInbound(spi);
  if (!c) c = FindByOutbound(spi);
  if (c && state_ == IkeState::Established) {
    if (hard) {
      const uint32_t inbound = c->inboundSpi;
      RemoveChild(inbound, actions, "hard lifetime");
      Enqueue({RequestKind::DeleteChild, inbound, false}, now, actions);
    } else if (!c->rekeying && !c->rekeyed && !c->deleting) {
      StartRekey(*c, now, actions);
    }
  }
  Finish(actions);
  return actions;
}

IkeActions IkeSa::RekeyChildSa(Time now) {
  IkeActions actions;
  now_ = now;
  if (state_ == IkeState::Established) {
    if (Child *c = NewestActiveChild(); c && !c->rekeying) StartRekey(*c, now, actions);
  }
  Finish(actions);
  return actions;
}

IkeActions IkeSa::DeleteChildSa(Time now) {
  IkeActions actions;
  now_ = now;
  if (state_ == IkeState::Established) {
    if (Child *c = NewestActiveChild()) {
      c->deleting = true;
      Enqueue({RequestKind::DeleteChild, c->inboundSpi, false}, now, actions);
    }
  }
  Finish(actions);
  return actions;
}

IkeActions IkeSa::DeleteIkeSa(Time now) {
  IkeActions actions;
  now_ = now;
  if (state_ == IkeState::Established) Enqueue({RequestKind::DeleteIke, 0, false}, now, actions);
  Finish(actions);
  return actions;
}

IkeActions IkeSa::OnMessage(crypto::ByteView datagram, Time now) {
  IkeActions actions;
  now_ = now;
  auto header = ParseIkeHeader(datagram);
  if (!header) {
    ++counters_.dropMalformed;
    Finish(actions);
    return actions;
  }
  for (auto old = oldIkeSas_.begin(); old != oldIkeSas_.end(); ++old) {
    if (header->spiI != old->spiI || header->spiR != old->spiR) continue;
    if (!HandleOldIkeSaMessage(*old, datagram, actions)) oldIkeSas_.erase(old);
    Finish(actions);
    return actions;
  }
  const bool response = header->flags & flags::kResponse;
  const bool fromInitiator = header->flags & flags::kInitiator;
  bool expected = fromInitiator != config_.initiator;
  if (state_ == IkeState::Idle) {
    // Only a responder in Idle takes a message: the IKE_SA_INIT request that creates the SA.
    expected = expected && !config_.initiator && !response &&
               header->exchange == IkeExchange::IkeSaInit && header->spiR == 0 &&
               header->spiI != 0 && header->messageId == 0;
  } else {
    const bool initExchange = header->exchange == IkeExchange::IkeSaInit;
    const bool spiROk = header->spiR == spiR_ || (initExchange && !response && header->spiR == 0) ||
                        (initExchange && response && state_ == IkeState::InitSent);
    // A deleted SA still takes requests, to answer a retransmitted Delete from the response
    // cache (our answer to it may have been lost); anything else is dropped in HandleRequest.
    expected = expected && header->spiI == spiI_ && spiROk && state_ != IkeState::Failed &&
               (state_ != IkeState::Deleted || !response);
  }
  if (!expected) {
    ++counters_.dropUnexpected;
    Finish(actions);
    return actions;
  }
  std::optional<IkeSkKey> key;
  if (header->exchange != IkeExchange::IkeSaInit) {
    key = IncomingKey();
    if (!key) {
      ++counters_.dropUnexpected;
      Finish(actions);
      return actions;
    }
  }
  IkeParseResult parsed = ParseIkeMessage(datagram, key);
  if (!parsed.message) {
    if (parsed.error == IkeParseError::Integrity) {
      ++counters_.dropIntegrity;
    } else {
      ++counters_.dropMalformed;
    }
    Finish(actions);
    return actions;
  }
  ++counters_.messagesReceived;
  lastPeerAlive_ = std::max(lastPeerAlive_, now);
  if (response) {
    HandleResponse(*parsed.message, datagram, now, actions);
  } else {
    HandleRequest(*parsed.message, datagram, now, actions);
  }
  SendNextQueued(now, actions);
  Finish(actions);
  return actions;
}

} // namespace tunnelsim::ipsec
