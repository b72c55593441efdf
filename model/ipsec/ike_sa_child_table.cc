// The Child SA table of an IkeSa: creating, installing and removing Child SAs and their ESP
// SAs, the inbound SAs lingering after a rekey, and the lifetime and rekey timers of each.
#include "ipsec/ike_sa.h"

#include "ipsec/ike_sa_internal.h"

#include <algorithm>

namespace tunnelsim::ipsec {

using namespace ike_internal;

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
  // Its successor takes over sending; so does the peer's new Child SA of a collision that is
  // still undecided (the peer deleted the old one, so its exchange won).
  if (const uint32_t successor = c.successor ? c.successor : c.peerRekeySuccessor) {
    Child *next = FindByInbound(successor);
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

} // namespace tunnelsim::ipsec
