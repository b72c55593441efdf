#include "tunnel/gre_ipsec_gateway.h"

#include "common/ip_packet.h"

#include <algorithm>
#include <stdexcept>

namespace tunnelsim::tunnel {
namespace {

// Spare buffers kept for reuse: enough for the packets of one burst in flight through a host.
constexpr size_t kMaxSpareBuffers = 16;

// The first GRE counter that grew between two snapshots, as a drop reason.
const char *GreDropReason(const gre::GreCounters &before, const gre::GreCounters &after) {
  const std::pair<uint64_t gre::GreCounters::*, const char *> reasons[] = {
      {&gre::GreCounters::dropTruncated, "gre-truncated"},
      {&gre::GreCounters::dropBadVersion, "gre-bad-version"},
      {&gre::GreCounters::dropReservedBits, "gre-reserved-bits"},
      {&gre::GreCounters::dropBadChecksum, "gre-bad-checksum"},
      {&gre::GreCounters::dropMissingChecksum, "gre-missing-checksum"},
      {&gre::GreCounters::dropKeyMismatch, "gre-key-mismatch"},
      {&gre::GreCounters::dropMissingSequence, "gre-missing-sequence"},
      {&gre::GreCounters::dropOutOfSequence, "gre-out-of-sequence"},
      {&gre::GreCounters::dropUnknownProtocol, "gre-unknown-protocol"},
      {&gre::GreCounters::dropInvalidInner, "gre-invalid-inner"},
  };
  for (const auto &[field, name] : reasons)
    if (after.*field != before.*field) return name;
  return "gre-unknown";
}

} // namespace

GreIpsecGateway::GreIpsecGateway(const GreIpsecGatewayConfig &config,
                                 std::unique_ptr<crypto::RandomSource> rng)
    : mode_(config.mode), local_(config.local), remote_(config.remote), randomIv_(config.randomIv),
      inboundPolicyCheck_(config.inboundPolicyCheck),
      reportHardLifetimes_(config.reportHardLifetimes), rng_(std::move(rng)) {
  if (!rng_) throw std::invalid_argument("GreIpsecGateway: no random source");
  if (UsesGre()) gre_ = std::make_unique<gre::GreTunnel>(config.gre);
  if (UsesIpsec()) ike_ = std::make_unique<ipsec::IkeSa>(config.ike, *rng_);
}

void GreIpsecGateway::Start(Time now, GreIpsecOutput &out) {
  if (ike_) Execute(ike_->Start(now), now, out);
}

// ---------------------------------------------------------------------------------------------
// Data path

void GreIpsecGateway::FromLan(crypto::ByteView inner, Time now, GreIpsecOutput &out) {
  ++counters_.innerPacketsTaken;
  counters_.innerBytesTaken += inner.size();
  if (mode_ == GreIpsecMode::IpsecTunnel) {
    Protected(sad_.ProtectTunnel(inner, rng_.get(), TakeSpareBuffer()), now, out);
    return;
  }
  if (!gre_->Encapsulate(inner, greBuffer_)) {
    Drop("invalid-inner", out); // the GRE core counts why
    return;
  }
  if (mode_ == GreIpsecMode::Gre) {
    crypto::Bytes packet = TakeSpareBuffer();
    packet.assign(greBuffer_.begin(), greBuffer_.end());
    Send(OuterProtocol::Gre, std::move(packet), 0, out);
    return;
  }
  Protected(sad_.Protect(greBuffer_, ipsec::kEspNextHeaderGre, local_, remote_, rng_.get(),
                         TakeSpareBuffer()),
            now, out);
}

void GreIpsecGateway::Protected(ipsec::EspProtectResult result, Time now, GreIpsecOutput &out) {
  if (result.status != ipsec::EspStatus::Ok) {
    Drop(ipsec::EspStatusName(result.status), out);
    if (result.status == ipsec::EspStatus::HardLifetime ||
        result.status == ipsec::EspStatus::SequenceOverflow)
      ReportLifetime(result.spi, true, now, out);
    return;
  }
  // IKE's rekey request goes out before the packet that reached the soft lifetime.
  if (result.softLifetimeReached) ReportLifetime(result.spi, false, now, out);
  Send(OuterProtocol::Esp, std::move(result.packet), result.spi, out);
}

void GreIpsecGateway::FromWan(OuterProtocol protocol, crypto::ByteView payload, Time now,
                              GreIpsecOutput &out) {
  switch (protocol) {
  case OuterProtocol::Ike:
    if (!ike_) {
      Drop("unexpected-udp", out);
      return;
    }
    Execute(ike_->OnMessage(payload, now), now, out);
    return;
  case OuterProtocol::Esp:
    if (!UsesIpsec()) {
      Drop("unexpected-esp", out);
      return;
    }
    if (std::optional<OpenedEsp> opened = OpenEsp(payload, now, out))
      FinishEsp(std::move(*opened), out);
    return;
  case OuterProtocol::Gre:
    // An IPsec policy requiring ESP between the gateways drops GRE that arrives unprotected.
    if (mode_ != GreIpsecMode::Gre) {
      Drop(mode_ == GreIpsecMode::GreOverIpsec ? "unprotected-gre" : "unexpected-gre", out);
      return;
    }
    DecapsulateGre(payload, crypto::Bytes(), 0, out);
    return;
  }
  Drop("unexpected-protocol", out);
}

std::optional<OpenedEsp> GreIpsecGateway::OpenEsp(crypto::ByteView esp, Time now,
                                                  GreIpsecOutput &out) {
  ipsec::EspOpenResult result = sad_.Process(esp, TakeSpareBuffer());
  if (result.status == ipsec::EspStatus::Dummy) {
    Recycle(std::move(result.payload));
    return std::nullopt;
  }
  if (result.status != ipsec::EspStatus::Ok) {
    Drop(ipsec::EspStatusName(result.status), out, result.spi, result.sequence);
    if (result.status == ipsec::EspStatus::HardLifetime) ReportLifetime(result.spi, true, now, out);
    Recycle(std::move(result.payload));
    return std::nullopt;
  }
  // An authenticated packet from the peer: no liveness check needed (dead peer detection).
  ike_->NotePeerAlive(now);
  if (result.softLifetimeReached) ReportLifetime(result.spi, false, now, out);
  return OpenedEsp{result.spi, result.nextHeader, std::move(result.payload)};
}

void GreIpsecGateway::FinishEsp(OpenedEsp opened, GreIpsecOutput &out) {
  if (mode_ == GreIpsecMode::GreOverIpsec) {
    if (opened.nextHeader != ipsec::kEspNextHeaderGre) {
      Drop("unexpected-next-header", out);
      Recycle(std::move(opened.payload));
      return;
    }
    const crypto::ByteView packet(opened.payload.data(), opened.payload.size());
    DecapsulateGre(packet, std::move(opened.payload), 0, out);
    return;
  }
  if (!inboundPolicyCheck_) {
    const size_t size = opened.payload.size();
    if (size == 0) {
      Recycle(std::move(opened.payload));
      return;
    }
    Deliver(std::move(opened.payload), 0, size, out);
    return;
  }
  if (opened.nextHeader != ipsec::kEspNextHeaderIpv4 &&
      opened.nextHeader != ipsec::kEspNextHeaderIpv6) {
    Drop("unexpected-next-header", out);
    Recycle(std::move(opened.payload));
    return;
  }
  // Inbound policy check (RFC 4301 5.2): the inner packet must match the SA's selectors.
  const std::optional<IpPacketInfo> info =
      ParseIpPacket(opened.payload.data(), opened.payload.size());
  if (!info) {
    Drop("invalid-inner", out);
    Recycle(std::move(opened.payload));
    return;
  }
  const ipsec::IkeConfig &config = ike_->config();
  if (!config.remoteTrafficSelector.Contains(info->source) ||
      !config.localTrafficSelector.Contains(info->destination)) {
    Drop("policy-mismatch", out);
    Recycle(std::move(opened.payload));
    return;
  }
  const size_t size = opened.payload.size();
  Deliver(std::move(opened.payload), 0, size, out);
}

// `packet` lies in `buffer` from `offset` on, or (empty buffer) in the caller's storage.
void GreIpsecGateway::DecapsulateGre(crypto::ByteView packet, crypto::Bytes buffer, size_t offset,
                                     GreIpsecOutput &out) {
  const gre::GreCounters before = gre_->counters();
  const std::optional<gre::GreDecapsulatedView> decapsulated = gre_->DecapsulateView(packet);
  if (!decapsulated) {
    Drop(GreDropReason(before, gre_->counters()), out);
    Recycle(std::move(buffer));
    return;
  }
  const crypto::ByteView inner = decapsulated->innerPacket;
  if (buffer.empty()) {
    crypto::Bytes copy = TakeSpareBuffer();
    copy.assign(inner.data(), inner.data() + inner.size());
    Deliver(std::move(copy), 0, inner.size(), out);
    return;
  }
  const size_t innerOffset = offset + static_cast<size_t>(inner.data() - packet.data());
  Deliver(std::move(buffer), innerOffset, inner.size(), out);
}

void GreIpsecGateway::Deliver(crypto::Bytes buffer, size_t offset, size_t size,
                              GreIpsecOutput &out) {
  ++counters_.innerPacketsDelivered;
  out.actions.emplace_back(DeliverInner{std::move(buffer), offset, size});
}

void GreIpsecGateway::Send(OuterProtocol protocol, crypto::Bytes payload, uint32_t spi,
                           GreIpsecOutput &out) {
  if (protocol != OuterProtocol::Ike) {
    ++counters_.outerPacketsSent;
    counters_.outerBytesSent += payload.size();
  }
  out.actions.emplace_back(SendOuter{protocol, std::move(payload), spi});
}

void GreIpsecGateway::Drop(const char *reason, GreIpsecOutput &out, uint32_t spi,
                           uint64_t sequence) {
  ++counters_.drops[reason];
  out.actions.emplace_back(DropPacket{reason, spi, sequence});
}

// An SA reached a soft or hard byte/packet lifetime: the IKE core rekeys or deletes it (once).
void GreIpsecGateway::ReportLifetime(uint32_t spi, bool hard, Time now, GreIpsecOutput &out) {
  if (!ike_ || spi == 0 || (hard && !reportHardLifetimes_) ||
      !lifetimeReported_.insert({spi, hard}).second)
    return;
  Execute(ike_->OnChildSaLifetime(spi, hard, now), now, out);
}

crypto::Bytes GreIpsecGateway::TakeSpareBuffer() {
  if (spareBuffers_.empty()) return {};
  crypto::Bytes buffer = std::move(spareBuffers_.back());
  spareBuffers_.pop_back();
  return buffer;
}

void GreIpsecGateway::Recycle(crypto::Bytes buffer) {
  if (spareBuffers_.size() >= kMaxSpareBuffers || buffer.capacity() == 0) return;
  buffer.clear();
  spareBuffers_.push_back(std::move(buffer));
}

// ---------------------------------------------------------------------------------------------
// Control path

void GreIpsecGateway::OnTimer(Time now, GreIpsecOutput &out) {
  if (ike_) Execute(ike_->OnTimer(now), now, out);
}

void GreIpsecGateway::ReplaceIke(const ipsec::IkeConfig &config) {
  if (!UsesIpsec()) return;
  for (const ipsec::IkeChildSaInfo &child : ike_->childSas()) {
    sad_.RemoveInbound(child.inboundSpi);
    if (child.outboundInstalled) sad_.RemoveOutbound(child.outboundSpi);
  }
  ike_ = std::make_unique<ipsec::IkeSa>(config, *rng_);
  ikeTimer_ = kNever;
}

void GreIpsecGateway::RekeyChildSa(Time now, GreIpsecOutput &out) {
  if (ike_) Execute(ike_->RekeyChildSa(now), now, out);
}

void GreIpsecGateway::DeleteIkeSa(Time now, GreIpsecOutput &out) {
  if (ike_) Execute(ike_->DeleteIkeSa(now), now, out);
}

// What the IKE core asks for: SAD changes first, then events, datagrams and the timer.
void GreIpsecGateway::Execute(ipsec::IkeActions actions, Time now, GreIpsecOutput &out) {
  for (ipsec::IkeSaInstall &install : actions.install) {
    if (randomIv_) install.config.ivPolicy = ipsec::EspIvPolicy::Random;
    SaInstalled note{install.config, install.inbound, true, {}};
    try {
      if (install.inbound) {
        sad_.AddInbound(install.config);
      } else {
        sad_.AddOutbound(install.config);
      }
    } catch (const std::invalid_argument &e) {
      ++counters_.saInstallFailures;
      note.installed = false;
      note.error = e.what();
    }
    out.actions.emplace_back(std::move(note));
  }
  for (const ipsec::IkeSaRemove &remove : actions.remove) {
    const bool removed =
        remove.inbound ? sad_.RemoveInbound(remove.spi) : sad_.RemoveOutbound(remove.spi);
    out.actions.emplace_back(SaRemoved{remove.spi, remove.inbound, removed});
  }
  for (ipsec::IkeEvent &event : actions.events) {
    if (event.type == ipsec::IkeEventType::Established) ++counters_.ikeSasEstablished;
    if (event.type == ipsec::IkeEventType::ChildSaCreated) ++counters_.childSasCreated;
    out.actions.emplace_back(IkeEventHappened{std::move(event)});
  }
  for (crypto::Bytes &datagram : actions.send)
    Send(OuterProtocol::Ike, std::move(datagram), 0, out);
  ikeTimer_ = actions.nextTimer == kNever ? kNever : std::max(actions.nextTimer, now);
  out.actions.emplace_back(TimerChanged{ikeTimer_});
}

} // namespace tunnelsim::tunnel
