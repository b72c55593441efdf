#include "ipsec/ike_sa.h"

#include "ipsec/nat_detection.h"
#include "ipsec/wire.h"

#include <algorithm>
#include <cmath>

namespace tunnelsim::ipsec {

namespace {

constexpr size_t kNonceSize = 32;

crypto::Bytes RandomBytes(crypto::RandomSource &rng, size_t n) {
  crypto::Bytes b(n);
  rng.Fill(b.data(), n);
  return b;
}

crypto::Bytes SpiBytes(uint32_t spi) {
  crypto::Bytes b(4);
  PutU32(b.data(), spi);
  return b;
}

crypto::Bytes IkeSpiBytes(uint64_t spi) {
  crypto::Bytes b(8);
  PutU64(b.data(), spi);
  return b;
}

uint64_t NewIkeSpi(crypto::RandomSource &rng) {
  uint64_t spi = 0;
  while (spi == 0)
    spi = rng.NextU64();
  return spi;
}

crypto::Bytes PublicKeyBytes(const crypto::X25519KeyPair &dh) {
  return crypto::Bytes(dh.publicKey.begin(), dh.publicKey.end());
}

IkeNotifyPayload Notify(uint16_t type, crypto::Bytes data = {}) {
  IkeNotifyPayload n;
  n.type = type;
  n.data = std::move(data);
  return n;
}

// INVALID_KE_PAYLOAD names the one group we accept, X25519 (RFC 7296 1.2, 3.10.1).
IkeNotifyPayload InvalidKeNotify() {
  crypto::Bytes group(2);
  PutU16(group.data(), transform::kDhCurve25519);
  return Notify(notify::kInvalidKePayload, group);
}

IkeTransform EncrTransform(EspCipher cipher) {
  if (cipher == EspCipher::Aes256Gcm16) {
    return IkeTransform{transform::kEncr, transform::kEncrAesGcm16, uint16_t(256)};
  }
  return IkeTransform{transform::kEncr, transform::kEncrChaCha20Poly1305, std::nullopt};
}

bool Contains(const std::vector<IkeTransform> &transforms, const IkeTransform &wanted) {
  return std::find(transforms.begin(), transforms.end(), wanted) != transforms.end();
}

} // namespace

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

// ---------------------------------------------------------------------------------------------
// Proposals, selectors and keys

std::vector<IkeProposal> IkeSa::IkeProposals() const {
  IkeProposal p;
  p.protocolId = kProtocolIke;
  p.transforms = {EncrTransform(config_.ikeCipher),
                  {transform::kPrf, transform::kPrfHmacSha256, std::nullopt},
                  {transform::kDh, transform::kDhCurve25519, std::nullopt}};
  return {p};
}

std::vector<IkeProposal> IkeSa::EspProposals(uint32_t spi) const {
  IkeProposal p;
  p.protocolId = kProtocolEsp;
  p.spi = SpiBytes(spi);
  p.transforms = {EncrTransform(config_.espCipher),
                  {transform::kEsn, uint16_t(config_.esn ? 1 : 0), std::nullopt}};
  return {p};
}

std::optional<uint8_t> IkeSa::AcceptIkeProposal(const std::vector<IkeProposal> &offered) const {
  const IkeProposal ours = IkeProposals()[0];
  for (const IkeProposal &p : offered) {
    if (p.protocolId != kProtocolIke || !p.spi.empty()) continue;
    bool all = true;
    for (const IkeTransform &t : ours.transforms)
      all = all && Contains(p.transforms, t);
    if (all) return p.number;
  }
  return std::nullopt;
}

const IkeProposal *IkeSa::AcceptIkeRekeyProposal(const std::vector<IkeProposal> &offered) const {
  const IkeProposal ours = IkeProposals()[0];
  for (const IkeProposal &p : offered) {
    if (p.protocolId != kProtocolIke || p.spi.size() != 8) continue;
    bool all = true;
    for (const IkeTransform &t : ours.transforms)
      all = all && Contains(p.transforms, t);
    if (all) return &p;
  }
  return nullptr;
}

std::optional<IkeSa::AcceptedEsp>
IkeSa::AcceptEspProposal(const std::vector<IkeProposal> &offered) const {
  const IkeProposal ours = EspProposals(0)[0];
  for (const IkeProposal &p : offered) {
    if (p.protocolId != kProtocolEsp || p.spi.size() != 4) continue;
    bool all = true;
    for (const IkeTransform &t : ours.transforms)
      all = all && Contains(p.transforms, t);
    if (all) return AcceptedEsp{GetU32(p.spi.data()), p.number};
  }
  return std::nullopt;
}

void IkeSa::AddNatDetection(IkeMessage &m, uint64_t spiR) const {
  crypto::Bytes source = NatDetectionHash(spiI_, spiR, config_.localAddress, config_.localPort);
  // A hash of no address at all: the peer concludes we are behind a NAT.
  if (config_.forceEncapsulation) source = NatDetectionHash(spiI_, spiR, IpAddress(), 0);
  m.notifies.push_back(Notify(notify::kNatDetectionSourceIp, source));
  m.notifies.push_back(
      Notify(notify::kNatDetectionDestinationIp,
             NatDetectionHash(spiI_, spiR, config_.remoteAddress, config_.remotePort)));
}

void IkeSa::CheckNatDetection(const IkeMessage &m, uint64_t spiR) {
  bool sawSource = false, sawDestination = false, peerMatches = false, weMatch = false;
  const crypto::Bytes peerHash =
      NatDetectionHash(spiI_, spiR, config_.remoteAddress, config_.remotePort);
  const crypto::Bytes ourHash =
      NatDetectionHash(spiI_, spiR, config_.localAddress, config_.localPort);
  for (const IkeNotifyPayload &n : m.notifies) {
    // Several source hashes may come (one per address of a multihomed peer): any match counts.
    if (n.type == notify::kNatDetectionSourceIp) {
      sawSource = true;
      peerMatches = peerMatches || n.data == peerHash;
    } else if (n.type == notify::kNatDetectionDestinationIp) {
      sawDestination = true;
      weMatch = weMatch || n.data == ourHash;
    }
  }
  udpEncapsulation_ =
      sawSource && sawDestination && (config_.forceEncapsulation || !peerMatches || !weMatch);
}

bool IkeSa::TrafficSelectorsMatch(const IkeMessage &m, bool weAreExchangeResponder) const {
  if (!m.tsi || !m.tsr || m.tsi->empty() || m.tsr->empty()) return false;
  const IkeTrafficSelector local = IkeTrafficSelector::FromPrefix(config_.localTrafficSelector);
  const IkeTrafficSelector remote = IkeTrafficSelector::FromPrefix(config_.remoteTrafficSelector);
  // TSi always describes the exchange initiator's side (RFC 7296 2.9).
  const IkeTrafficSelector &wantI = weAreExchangeResponder ? remote : local;
  const IkeTrafficSelector &wantR = weAreExchangeResponder ? local : remote;
  return (*m.tsi)[0] == wantI && (*m.tsr)[0] == wantR;
}

void IkeSa::AddChildRequestPayloads(IkeMessage &m, uint32_t inboundSpi) const {
  m.sa = EspProposals(inboundSpi);
  m.tsi =
      std::vector<IkeTrafficSelector>{IkeTrafficSelector::FromPrefix(config_.localTrafficSelector)};
  m.tsr = std::vector<IkeTrafficSelector>{
      IkeTrafficSelector::FromPrefix(config_.remoteTrafficSelector)};
  if (config_.childMode == EspMode::Transport) {
    m.notifies.push_back(Notify(notify::kUseTransportMode));
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

uint32_t IkeSa::NewSpi() {
  for (;;) {
    // SPIs 1-255 are reserved by IANA (RFC 4303 2.1).
    uint32_t spi = rng_.NextU32();
    if (spi >= 256 && !children_.count(spi)) return spi;
  }
}

EspSaConfig IkeSa::ChildConfig(uint32_t spi, bool inbound, const crypto::Bytes &keys) const {
  EspSaConfig c;
  c.spi = spi;
  c.cipher = config_.espCipher;
  c.keymat = keys;
  c.mode = config_.childMode;
  c.esn = config_.esn;
  c.replayWindow = config_.replayWindow;
  c.source = inbound ? config_.remoteAddress : config_.localAddress;
  c.destination = inbound ? config_.localAddress : config_.remoteAddress;
  if (!inbound) {
    c.localSelector = config_.localTrafficSelector;
    c.remoteSelector = config_.remoteTrafficSelector;
  }
  c.lifetime.softBytes = config_.lifetime.softBytes;
  c.lifetime.hardBytes = config_.lifetime.hardBytes;
  c.lifetime.softPackets = config_.lifetime.softPackets;
  c.lifetime.hardPackets = config_.lifetime.hardPackets;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Child SAs

IkeSa::Child *IkeSa::FindByInbound(uint32_t spi) {
  auto it = children_.find(spi);
  return it == children_.end() ? nullptr : &it->second;
}

IkeSa::Child *IkeSa::FindByOutbound(uint32_t spi) {
  for (auto &[in, child] : children_)
    if (child.outboundSpi == spi) return &child;
  return nullptr;
}

IkeSa::Child *IkeSa::NewestActiveChild() {
  Child *best = nullptr;
  for (auto &[in, child] : children_) {
    if (child.rekeyed || child.deleting) continue;
    if (!best || child.hardDeadline >= best->hardDeadline) best = &child;
  }
  return best;
}

std::vector<IkeChildSaInfo> IkeSa::childSas() const {
  std::vector<IkeChildSaInfo> out;
  for (const auto &[in, c] : children_)
    out.push_back({c.inboundSpi, c.outboundSpi, c.outboundInstalled, c.rekeyed});
  return out;
}

void IkeSa::CreateChild(uint32_t inboundSpi, uint32_t outboundSpi, const ChildSaKeys &keys,
                        bool weInitiatedExchange, bool installOutbound, Time now,
                        IkeActions &actions) {
  Child c;
  c.inboundSpi = inboundSpi;
  c.outboundSpi = outboundSpi;
  c.inboundKeys = weInitiatedExchange ? keys.responderToInitiator : keys.initiatorToResponder;
  c.outboundKeys = weInitiatedExchange ? keys.initiatorToResponder : keys.responderToInitiator;
  // Inbound first: the peer may use its outbound SA as soon as it has the keys.
  actions.install.push_back({true, ChildConfig(inboundSpi, true, c.inboundKeys)});
  if (installOutbound) InstallOutbound(c, actions);
  const IkeChildLifetime &l = config_.lifetime;
  if (l.softTime.count() > 0) {
    const double jitter = std::clamp(l.jitter, 0.0, 1.0);
    const double fraction = jitter * double(rng_.Uniform(1u << 20)) / double(1u << 20);
    c.softDeadline = now + Duration(int64_t(double(l.softTime.count()) * (1.0 - fraction)));
  }
  if (l.hardTime.count() > 0) c.hardDeadline = now + l.hardTime;
  children_[inboundSpi] = std::move(c);
  ++counters_.childSasCreated;
  actions.events.push_back({IkeEventType::ChildSaCreated, inboundSpi, ""});
}

void IkeSa::InstallOutbound(Child &child, IkeActions &actions) {
  actions.install.push_back({false, ChildConfig(child.outboundSpi, false, child.outboundKeys)});
  child.outboundInstalled = true;
}

void IkeSa::RemoveChild(uint32_t inboundSpi, IkeActions &actions, const char *why) {
  auto it = children_.find(inboundSpi);
  if (it == children_.end()) return;
  Child &c = it->second;
  if (c.successor) {
    Child *next = FindByInbound(c.successor);
    if (next && !next->outboundInstalled) InstallOutbound(*next, actions);
  }
  if (c.outboundInstalled) actions.remove.push_back({false, c.outboundSpi});
  if (c.rekeyed && config_.rekeyedInboundLinger.count() > 0 && state_ == IkeState::Established) {
    lingeringInbound_[c.inboundSpi] = now_ + config_.rekeyedInboundLinger;
  } else {
    actions.remove.push_back({true, c.inboundSpi});
  }
  children_.erase(it);
  ++counters_.childSasDeleted;
  actions.events.push_back({IkeEventType::ChildSaDeleted, inboundSpi, why});
}

void IkeSa::RemoveLingering(bool all, IkeActions &actions) {
  for (auto it = lingeringInbound_.begin(); it != lingeringInbound_.end();) {
    if (all || it->second <= now_) {
      actions.remove.push_back({true, it->first});
      it = lingeringInbound_.erase(it);
    } else {
      ++it;
    }
  }
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

void IkeSa::StartRekey(Child &child, Time now, IkeActions &actions) {
  child.rekeying = true;
  child.softDeadline = kNever;
  if (config_.rekeyMode == IkeRekeyMode::MakeBeforeBreak) {
    Enqueue({RequestKind::CreateChild, child.inboundSpi, false}, now, actions);
  } else {
    child.deleting = true;
    Enqueue({RequestKind::DeleteChild, child.inboundSpi, true}, now, actions);
  }
}

void IkeSa::ProcessChildTimers(Time now, IkeActions &actions) {
  RemoveLingering(state_ != IkeState::Established, actions);
  if (state_ != IkeState::Established) return;
  std::vector<uint32_t> spis;
  for (auto &[in, c] : children_)
    spis.push_back(in);
  for (uint32_t spi : spis) {
    Child *c = FindByInbound(spi);
    if (!c) continue;
    if (c->hardDeadline <= now) {
      RemoveChild(spi, actions, "hard lifetime");
      Enqueue({RequestKind::DeleteChild, spi, false}, now, actions);
      continue;
    }
    if (c->deleteAt <= now) {
      c->deleteAt = kNever;
      c->deleting = true;
      Enqueue({RequestKind::DeleteChild, spi, false}, now, actions);
    }
    if (c->retryRekeyAt <= now) {
      c->retryRekeyAt = kNever;
      if (!c->rekeyed && !c->deleting) StartRekey(*c, now, actions);
    }
    if (c->softDeadline <= now && !c->rekeying && !c->rekeyed && !c->deleting) {
      StartRekey(*c, now, actions);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sending

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

void IkeSa::SendResponse(IkeMessage &response, IkeActions &actions) {
  lastResponse_ = Encode(response, true);
  ++expectedRequestId_;
  actions.send.push_back(*lastResponse_);
  ++counters_.messagesSent;
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
  if (oldIkeSa_) next = std::min(next, oldIkeSa_->deleteDeadline);
  if (state_ == IkeState::Established) {
    next = std::min(next, ikeRekeyAt_);
    for (const auto &[in, c] : children_) {
      next = std::min({next, c.hardDeadline, c.deleteAt, c.retryRekeyAt});
      if (!c.rekeying && !c.rekeyed && !c.deleting) next = std::min(next, c.softDeadline);
    }
  }
  actions.nextTimer = next;
}

// ---------------------------------------------------------------------------------------------
// Entry points

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
  if (outstanding_ && now >= outstanding_->deadline) {
    if (outstanding_->retransmits >= config_.retransmit.maxRetransmits) {
      Fail(IkeEventType::Timeout, "no answer after retransmissions", actions);
      Finish(actions);
      return actions;
    }
    ++outstanding_->retransmits;
    ++counters_.retransmissions;
    ++counters_.messagesSent;
    actions.send.push_back(outstanding_->datagram);
    const double factor = std::pow(config_.retransmit.backoff, outstanding_->retransmits);
    Duration timeout(int64_t(double(config_.retransmit.initialTimeout.count()) * factor));
    timeout = std::min(timeout, config_.retransmit.maxTimeout);
    outstanding_->deadline = now + timeout;
  }
  RetransmitOldIkeSaDelete(now, actions);
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
  if (oldIkeSa_ && header->spiI == oldIkeSa_->spiI && header->spiR == oldIkeSa_->spiR) {
    HandleOldIkeSaMessage(datagram, actions);
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
    expected = expected && header->spiI == spiI_ && spiROk && state_ != IkeState::Failed &&
               state_ != IkeState::Deleted;
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

// ---------------------------------------------------------------------------------------------
// Requests from the peer

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
    if (state_ == IkeState::Established) return RespondInformational(m, now, actions);
    break;
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
  const crypto::Bytes expectedAuth =
      ComputePskAuth(config_.psk, initMessageI_, nonceR_, keys_->skPi, m.idi->Body());
  if (!(*m.idi == config_.remoteId) || m.auth->method != kAuthSharedKeyMic ||
      !crypto::ConstantTimeEqual(expectedAuth, m.auth->data)) {
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
      // Both ends rekey the same Child SA: refuse; each side retries after a random delay,
      // so one of them wins (a simplification of RFC 7296 2.8.1's nonce comparison).
      ++counters_.rekeyCollisions;
      r.notifies.push_back(Notify(notify::kTemporaryFailure));
      return SendResponse(r, actions);
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
  if (oldInbound) {
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
  if (deleteIke) {
    std::vector<uint32_t> spis;
    for (auto &[in, c] : children_)
      spis.push_back(in);
    for (uint32_t spi : spis)
      RemoveChild(spi, actions, "IKE SA deleted");
    RemoveLingering(true, actions);
    state_ = IkeState::Deleted;
    outstanding_.reset();
    queue_.clear();
    actions.events.push_back({IkeEventType::IkeSaDeleted, 0, "by peer"});
  }
}

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
  OldIkeSa old;
  old.spiI = spiI_;
  old.spiR = spiR_;
  old.initiator = config_.initiator;
  old.incomingKey = crypto::Bytes(IncomingKey()->keymat.begin(), IncomingKey()->keymat.end());
  old.outgoingKey = crypto::Bytes(OutgoingKey()->keymat.begin(), OutgoingKey()->keymat.end());
  old.expectedRequestId = expectedRequestId_;
  old.lastResponse = lastResponse_;
  old.nextRequestId = nextRequestId_;
  oldIkeSa_ = std::move(old);
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
  const double factor = std::pow(config_.retransmit.backoff, old.deleteRetransmits);
  Duration timeout(int64_t(double(config_.retransmit.initialTimeout.count()) * factor));
  old.deleteDeadline = now + std::min(timeout, config_.retransmit.maxTimeout);
}

void IkeSa::ScheduleIkeRekey(Time now) {
  ikeRekeyAt_ = kNever;
  if (config_.ikeRekeyTime.count() <= 0) return; // no random draw: other runs stay identical
  const double jitter = std::clamp(config_.ikeRekeyJitter, 0.0, 1.0);
  const double fraction = jitter * double(rng_.Uniform(1u << 20)) / double(1u << 20);
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

// ---------------------------------------------------------------------------------------------
// Responses to our requests

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
  case RequestKind::IkeSaInit: {
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
    return;
  }
  case RequestKind::IkeAuth: {
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
    const crypto::Bytes expectedAuth =
        ComputePskAuth(config_.psk, initMessageR_, nonceI_, keys_->skPr, m.idr->Body());
    if (!(*m.idr == config_.remoteId) || m.auth->method != kAuthSharedKeyMic ||
        !crypto::ConstantTimeEqual(expectedAuth, m.auth->data)) {
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
    return;
  }
  case RequestKind::CreateChild: {
    Outstanding out = std::move(*outstanding_);
    outstanding_.reset();
    Child *old = out.request.childSpi ? FindByInbound(out.request.childSpi) : nullptr;
    if (old) old->rekeying = false;
    if (error) {
      if (error->type == notify::kTemporaryFailure && old) {
        ++counters_.rekeyCollisions;
        const double spread = 0.5 + double(rng_.Uniform(1000)) / 1000.0;
        old->retryRekeyAt =
            now + Duration(int64_t(double(config_.rekeyRetryDelay.count()) * spread));
      }
      return;
    }
    auto peerSpi = AcceptEspProposal(m.sa);
    if (!peerSpi || !m.nonce || m.ke.has_value() != config_.pfs ||
        !TrafficSelectorsMatch(m, false)) {
      ++counters_.dropMalformed;
      return;
    }
    crypto::Bytes shared;
    if (config_.pfs) {
      if (m.ke->data.size() != crypto::kX25519KeySize) {
        ++counters_.dropMalformed;
        return;
      }
      crypto::X25519PublicKey peer{};
      std::copy(m.ke->data.begin(), m.ke->data.end(), peer.begin());
      auto secret = crypto::X25519(out.dh->privateKey, peer);
      if (!secret) {
        ++counters_.dropMalformed;
        return;
      }
      shared = secret->view().ToBytes();
    }
    ChildSaKeys keys = DeriveChildSaKeys(keys_->skD, shared, out.nonce, *m.nonce, kEspKeymatSize);
    crypto::SecureWipe(shared.data(), shared.size());
    CreateChild(out.newInboundSpi, peerSpi->spi, keys, true, true, now, actions);
    if (out.request.childSpi) {
      if (Child *replaced = FindByInbound(out.request.childSpi)) {
        replaced->rekeyed = true;
        replaced->successor = out.newInboundSpi;
        replaced->deleteAt = now + config_.rekeyOverlap;
        ++counters_.childSasRekeyed;
        actions.events.push_back({IkeEventType::ChildSaRekeyed, out.request.childSpi, ""});
      }
    }
    return;
  }
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
  case RequestKind::DeleteIke: {
    outstanding_.reset();
    std::vector<uint32_t> spis;
    for (auto &[in, c] : children_)
      spis.push_back(in);
    for (uint32_t spi : spis)
      RemoveChild(spi, actions, "IKE SA deleted");
    RemoveLingering(true, actions);
    state_ = IkeState::Deleted;
    queue_.clear();
    actions.events.push_back({IkeEventType::IkeSaDeleted, 0, "by us"});
    return;
  }
  }
}

} // namespace tunnelsim::ipsec
