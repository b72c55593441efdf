// Our requests: built per kind, one outstanding at a time (window size 1, RFC 7296 2.3) with
// the rest queued, retransmitted with exponential back-off (2.1, 2.4); and the response cache
// that answers a retransmitted request of the peer with the same bytes.
#include "ipsec/ike_sa.h"

#include "ipsec/ike_sa_internal.h"

#include <algorithm>
#include <cmath>

namespace tunnelsim::ipsec {

using namespace ike_internal;

void IkeSa::Enqueue(const PendingRequest &request, Time now, IkeActions &actions) {
  if (outstanding_) {
    queue_.push_back(request);
  } else {
    Send(request, now, actions);
  }
}

void IkeSa::SendNextQueued(Time now, IkeActions &actions) {
  while (!outstanding_ && !queue_.empty() && state_ == IkeState::Established) {
    PendingRequest next = queue_.front();
    queue_.pop_front();
    Send(next, now, actions);
  }
}

void IkeSa::Send(const PendingRequest &request, Time now, IkeActions &actions) {
  Outstanding out;
  out.request = request;
  out.messageId = nextRequestId_++;
  IkeMessage m;
  switch (request.kind) {
  case RequestKind::IkeSaInit: {
    do {
      spiI_ = rng_.NextU64();
    } while (spiI_ == 0);
    nonceI_ = RandomBytes(rng_, kNonceSize);
    dh_ = crypto::GenerateX25519KeyPair(rng_);
    m = NewMessage(IkeExchange::IkeSaInit, out.messageId, false);
    m.sa = IkeProposals();
    m.ke = IkeKePayload{transform::kDhCurve25519,
                        crypto::Bytes(dh_->publicKey.begin(), dh_->publicKey.end())};
    m.nonce = nonceI_;
    AddNatDetection(m, 0);
    out.datagram = Encode(m, false);
    initMessageI_ = out.datagram;
    state_ = IkeState::InitSent;
    break;
  }
  case RequestKind::IkeAuth: {
    m = NewMessage(IkeExchange::IkeAuth, out.messageId, false);
    m.idi = config_.localId;
    m.idr = config_.remoteId;
    m.auth = IkeAuthPayload{kAuthSharedKeyMic, ComputePskAuth(config_.psk, initMessageI_, nonceR_,
                                                              keys_->skPi, config_.localId.Body())};
    firstChildInboundSpi_ = NewSpi();
    AddChildRequestPayloads(m, firstChildInboundSpi_);
    out.datagram = Encode(m, false);
    state_ = IkeState::AuthSent;
    break;
  }
  case RequestKind::CreateChild: {
    m = NewMessage(IkeExchange::CreateChildSa, out.messageId, false);
    if (request.childSpi) {
      IkeNotifyPayload rekey = Notify(notify::kRekeySa);
      rekey.protocolId = kProtocolEsp;
      rekey.spi = SpiBytes(request.childSpi);
      m.notifies.push_back(rekey);
    }
    out.nonce = RandomBytes(rng_, kNonceSize);
    out.newInboundSpi = NewSpi();
    m.nonce = out.nonce;
    if (config_.pfs) {
      out.dh = crypto::GenerateX25519KeyPair(rng_);
      m.ke = IkeKePayload{transform::kDhCurve25519,
                          crypto::Bytes(out.dh->publicKey.begin(), out.dh->publicKey.end())};
    }
    AddChildRequestPayloads(m, out.newInboundSpi);
    out.datagram = Encode(m, false);
    break;
  }
  case RequestKind::DeleteChild: {
    m = NewMessage(IkeExchange::Informational, out.messageId, false);
    m.deletes.push_back(IkeDeletePayload{kProtocolEsp, {request.childSpi}});
    // Stop sending on it now; its inbound half stays until the peer confirms.
    if (Child *c = FindByInbound(request.childSpi); c && c->outboundInstalled) {
      actions.remove.push_back({false, c->outboundSpi});
      c->outboundInstalled = false;
    }
    out.datagram = Encode(m, false);
    break;
  }
  case RequestKind::DeleteIke: {
    m = NewMessage(IkeExchange::Informational, out.messageId, false);
    m.deletes.push_back(IkeDeletePayload{kProtocolIke, {}});
    out.datagram = Encode(m, false);
    break;
  }
  case RequestKind::Liveness: {
    m = NewMessage(IkeExchange::Informational, out.messageId, false); // no payloads
    out.datagram = Encode(m, false);
    ++counters_.livenessChecksSent;
    break;
  }
  case RequestKind::RekeyIke: {
    // RFC 7296 1.3.2: an SA payload of protocol IKE carrying our SPI of the new IKE SA, a
    // nonce and a fresh key share; no traffic selectors.
    m = NewMessage(IkeExchange::CreateChildSa, out.messageId, false);
    out.newIkeSpi = NewIkeSpi(rng_);
    m.sa = IkeProposals();
    m.sa[0].spi = IkeSpiBytes(out.newIkeSpi);
    out.nonce = RandomBytes(rng_, kNonceSize);
    m.nonce = out.nonce;
    out.dh = crypto::GenerateX25519KeyPair(rng_);
    m.ke = IkeKePayload{transform::kDhCurve25519, PublicKeyBytes(*out.dh)};
    out.datagram = Encode(m, false);
    break;
  }
  }
  out.deadline = now + config_.retransmit.initialTimeout;
  actions.send.push_back(out.datagram);
  ++counters_.messagesSent;
  outstanding_ = std::move(out);
}

bool IkeSa::RetransmitOutstanding(Time now, IkeActions &actions) {
  if (!outstanding_ || now < outstanding_->deadline) return true;
  if (outstanding_->retransmits >= config_.retransmit.maxRetransmits) return false;
  ++outstanding_->retransmits;
  ++counters_.retransmissions;
  ++counters_.messagesSent;
  actions.send.push_back(outstanding_->datagram);
  outstanding_->deadline = now + RetransmitTimeout(outstanding_->retransmits);
  return true;
}

Duration IkeSa::RetransmitTimeout(uint32_t retransmits) const {
  const double factor = std::pow(config_.retransmit.backoff, retransmits);
  Duration timeout(int64_t(double(config_.retransmit.initialTimeout.count()) * factor));
  return std::min(timeout, config_.retransmit.maxTimeout);
}

Duration IkeSa::RetransmitBudget() const {
  Duration total{0};
  for (uint32_t i = 0; i <= config_.retransmit.maxRetransmits; ++i)
    total += RetransmitTimeout(i);
  return total;
}

void IkeSa::SendResponse(IkeMessage &response, IkeActions &actions) {
  lastResponse_ = Encode(response, true);
  ++expectedRequestId_;
  actions.send.push_back(*lastResponse_);
  ++counters_.messagesSent;
}

} // namespace tunnelsim::ipsec
