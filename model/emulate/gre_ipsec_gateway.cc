// tunnel.type = "gre" | "ipsec" | "gre-over-ipsec" in the relay: GRE (GreTunnel) and/or ESP, as
// in the ns-3 GreIpsecGateway. The ESP SAs are negotiated by the same IKEv2 core (IkeSa) the
// ns-3 gateway runs: the home gateway initiates IKE_SA_INIT and IKE_AUTH (PSK) when the relay
// starts, its datagrams travel as outer IPv4/UDP packets (port 500) over the relay's path with
// the ESP packets (so the path's impairments apply to them), the core's retransmission and rekey
// timers are this gateway's NextTimer/OnTimer, and its installs and removals go to an ESP SAD.
// Inner packets before the Child SA is installed are dropped and counted ("no-sa"), as ns-3 does.
#include "emulate/gateway.h"
#include "emulate/ipv4_header.h"

#include "common/ip_packet.h"
#include "common/seed_mix.h"
#include "crypto/random.h"
#include "gre/gre_tunnel.h"
#include "ipsec/esp_sad.h"
#include "ipsec/ike_config_from_spec.h"
#include "ipsec/ike_sa.h"
#include "json/esp_counters.h"
#include "json/ike_counters.h"

#include <map>
#include <set>
#include <stdexcept>
#include <utility>

namespace tunnelsim::emulate {
namespace {

// The constant ("gre-ipse") the ns-3 gateway folds into its random stream, and one for the PSK
// both ends share ("ike-psk"): both derived from the scenario seed, so a run is repeatable.
constexpr uint64_t kGatewayStreamTag = 0x6772652d69707365ULL;
constexpr uint64_t kPskTag = 0x696b652d70736b00ULL;
constexpr size_t kPskSize = 32;

crypto::Bytes PskFromSeed(uint64_t seed) {
  crypto::DeterministicRandom rng(FoldSeed(seed ^ kPskTag));
  crypto::Bytes psk(kPskSize);
  rng.Fill(psk.data(), psk.size());
  return psk;
}

// The ns-3 GreIpsecHelper's roles and identities: site A (the engine's home) initiates.
ipsec::IkeConfig IkeConfigFor(const TunnelSettings &s, bool home) {
  ipsec::IkeConfig c;
  c.initiator = home;
  c.psk = PskFromSeed(s.seed);
  c.localId = ipsec::IkeIdPayload::Fqdn(home ? "gw-a.tunnelsim" : "gw-b.tunnelsim");
  c.remoteId = ipsec::IkeIdPayload::Fqdn(home ? "gw-b.tunnelsim" : "gw-a.tunnelsim");
  c.localAddress = IpAddress::V4(home ? s.homeWan : s.workWan);
  c.remoteAddress = IpAddress::V4(home ? s.workWan : s.homeWan);
  if (s.spec.Gre()) {
    // Transport mode protects the GRE packets between the two WAN addresses.
    c.childMode = ipsec::EspMode::Transport;
    c.localTrafficSelector = IpPrefix{c.localAddress, 32};
    c.remoteTrafficSelector = IpPrefix{c.remoteAddress, 32};
  } else {
    c.childMode = ipsec::EspMode::Tunnel;
    c.localTrafficSelector = IpPrefix{IpAddress::V4(home ? s.homeLan : s.workLan), 24};
    c.remoteTrafficSelector = IpPrefix{IpAddress::V4(home ? s.workLan : s.homeLan), 24};
  }
  ipsec::ApplyIpsecSpec(*s.spec.Ipsec(), c);
  return c;
}

class GreIpsecGateway : public Gateway {
public:
  GreIpsecGateway(const TunnelSettings &s, bool home, Time now)
      : useGre_(s.spec.Gre() != nullptr), useEsp_(s.spec.Ipsec() != nullptr), home_(home),
        local_(home ? s.homeWan : s.workWan), remote_(home ? s.workWan : s.homeWan),
        mtu_(s.innerMtu) {
    if (const tunnel::GreSpec *spec = s.spec.Gre()) {
      gre::GreConfig config;
      config.outputKey = spec->key;
      config.inputKey = spec->key;
      config.outputSequence = spec->sequence;
      config.inputSequence =
          spec->sequence ? gre::GreSequenceMode::DropOutOfOrder : gre::GreSequenceMode::Accept;
      config.outputChecksum = spec->checksum;
      config.inputChecksum = spec->checksum;
      gre_ = std::make_unique<gre::GreTunnel>(config);
    }
    if (useEsp_) {
      rng_ = std::make_unique<crypto::DeterministicRandom>(
          FoldSeed(s.seed ^ kGatewayStreamTag, home ? 1 : 2));
      ike_ = std::make_unique<ipsec::IkeSa>(IkeConfigFor(s, home), *rng_);
      // The initiator sends IKE_SA_INIT at the relay's start, from its first OnTimer.
      if (home) startAt_ = now;
    }
  }

  void FromLan(Bytes inner, Time now, GatewayOutput &out) override {
    if (inner.size() > mtu_) {
      ++tooBig_;
      return;
    }
    // Counted as the ns-3 gateway's InnerTx trace: every packet the tunnel takes.
    ++innerTaken_;
    innerBytes_ += inner.size();
    const crypto::ByteView innerView(inner.data(), inner.size());
    std::optional<crypto::Bytes> grePacket;
    if (useGre_) {
      grePacket = gre_->Encapsulate(innerView);
      if (!grePacket) {
        Drop("invalid-inner");
        return;
      }
      if (!useEsp_) {
        SendOuter(kProtocolGre, *grePacket, out);
        return;
      }
    }
    ipsec::EspProtectResult result =
        useGre_ ? sad_.Protect(*grePacket, ipsec::kEspNextHeaderGre, IpAddress::V4(local_),
                               IpAddress::V4(remote_), rng_.get())
                : sad_.ProtectTunnel(innerView, rng_.get());
    if (result.status != ipsec::EspStatus::Ok) {
      Drop(ipsec::EspStatusName(result.status));
      if (result.status == ipsec::EspStatus::HardLifetime ||
          result.status == ipsec::EspStatus::SequenceOverflow)
        ReportLifetime(result.spi, true, now, out);
      return;
    }
    if (result.softLifetimeReached) ReportLifetime(result.spi, false, now, out);
    SendOuter(kProtocolEsp, result.packet, out);
  }

  void FromWan(Bytes outer, Time now, GatewayOutput &out) override {
    const auto ip = ParseIpv4(outer.data(), outer.size());
    if (!ip) {
      Drop("malformed-outer");
      return;
    }
    const uint8_t *payload = outer.data() + ip->headerSize;
    switch (ip->protocol) {
    case kProtocolUdp:
      FromUdp(payload, ip->payloadSize, now, out);
      return;
    case kProtocolEsp:
      if (!useEsp_) break;
      FromEsp(crypto::ByteView(payload, ip->payloadSize), now, out);
      return;
    case kProtocolGre:
      if (useEsp_) {
        Drop("unprotected-gre");
        return;
      }
      DecapsulateGre(crypto::ByteView(payload, ip->payloadSize), out);
      return;
    default:
      break;
    }
    Drop("unexpected-protocol");
  }

  Time NextTimer() const override { return std::min(startAt_, ikeTimer_); }

  void OnTimer(Time now, GatewayOutput &out) override {
    if (!ike_) return;
    if (startAt_ <= now) {
      startAt_ = kNever;
      Execute(ike_->Start(now), now, out);
    }
    if (ikeTimer_ <= now) {
      Execute(ike_->OnTimer(now), now, out);
      // The relay calls OnTimer again while NextTimer() <= now: always move on.
      if (ikeTimer_ <= now) ikeTimer_ = now + Duration(1);
    }
  }

  GatewayCounters Counters() const override {
    GatewayCounters g;
    // One IKE SA per pair, established at both ends: the initiator reports it (the relay adds
    // both sides), as the engine counts it once for ns-3 runs. A rekey is every Child SA after
    // the first (the relay takes the larger side), as the engine counts them.
    g.handshakes = home_ ? established_ : 0;
    g.rekeys = childSasCreated_ > 0 ? childSasCreated_ - 1 : 0;
    g.packetsEncapsulated = innerTaken_;
    g.packetsDecapsulated = delivered_;
    g.innerBytesSent = innerBytes_;
    g.outerBytesSent = outerBytes_;
    g.tooBig = tooBig_;
    for (const auto &[reason, count] : dropReasons_)
      g.drops += count;
    g.extra["drops"] = dropReasons_;
    if (useEsp_) {
      const ipsec::EspCounters in = sad_.inboundTotals();
      g.replayDrops = in.dropReplay + in.dropOutsideWindow;
      g.authFailures = in.dropIcv;
      g.extra["esp_inbound"] = ipsec::EspCountersJson(in);
      g.extra["esp_outbound"] = ipsec::EspCountersJson(sad_.outboundTotals());
      const ipsec::IkeCounters &c = ike_->counters();
      g.extra["ike"] = ipsec::IkeCountersJson(c);
      g.extra["ike"]["state"] = ipsec::IkeStateName(ike_->state());
      g.extra["ike"]["sa_install_failures"] = saInstallFailures_;
    }
    if (useGre_) {
      const gre::GreCounters &c = gre_->counters();
      g.extra["gre"] = {{"encapsulated", c.encapsulated},
                        {"decapsulated", c.decapsulated},
                        {"drop_bad_checksum", c.dropBadChecksum},
                        {"drop_key_mismatch", c.dropKeyMismatch},
                        {"drop_out_of_sequence", c.dropOutOfSequence},
                        {"total_drops", c.TotalDrops()}};
    }
    return g;
  }

private:
  void FromUdp(const uint8_t *udp, size_t size, Time now, GatewayOutput &out) {
    const bool toIkePort = size >= kUdpHeaderSize && ((udp[2] << 8) | udp[3]) == kIkePort;
    if (!ike_ || !toIkePort) {
      Drop("unexpected-udp");
      return;
    }
    Execute(ike_->OnMessage(crypto::ByteView(udp + kUdpHeaderSize, size - kUdpHeaderSize), now),
            now, out);
  }

  void FromEsp(crypto::ByteView esp, Time now, GatewayOutput &out) {
    ipsec::EspOpenResult result = sad_.Process(esp);
    if (result.status == ipsec::EspStatus::Dummy) return;
    if (result.status != ipsec::EspStatus::Ok) {
      Drop(ipsec::EspStatusName(result.status));
      if (result.status == ipsec::EspStatus::HardLifetime)
        ReportLifetime(result.spi, true, now, out);
      return;
    }
    // An authenticated packet from the peer: no liveness check needed (dead peer detection).
    ike_->NotePeerAlive(now);
    if (result.softLifetimeReached) ReportLifetime(result.spi, false, now, out);
    if (useGre_) {
      if (result.nextHeader != ipsec::kEspNextHeaderGre) {
        Drop("unexpected-next-header");
        return;
      }
      DecapsulateGre(crypto::ByteView(result.payload), out);
      return;
    }
    if (result.nextHeader != ipsec::kEspNextHeaderIpv4 &&
        result.nextHeader != ipsec::kEspNextHeaderIpv6) {
      Drop("unexpected-next-header");
      return;
    }
    // Inbound policy check (RFC 4301 5.2): the inner packet must match the SA's selectors.
    const std::optional<IpPacketInfo> info =
        ParseIpPacket(result.payload.data(), result.payload.size());
    if (!info) {
      Drop("invalid-inner");
      return;
    }
    const ipsec::IkeConfig &config = ike_->config();
    if (!config.remoteTrafficSelector.Contains(info->source) ||
        !config.localTrafficSelector.Contains(info->destination)) {
      Drop("policy-mismatch");
      return;
    }
    ++delivered_;
    out.toLan.push_back(std::move(result.payload));
  }

  void DecapsulateGre(crypto::ByteView packet, GatewayOutput &out) {
    auto decapsulated = gre_->Decapsulate(packet);
    if (!decapsulated) {
      Drop("gre"); // the reason is in the GRE core's counters (extra.gre)
      return;
    }
    ++delivered_;
    out.toLan.push_back(std::move(decapsulated->innerPacket));
  }

  void SendOuter(uint8_t protocol, const crypto::Bytes &payload, GatewayOutput &out) {
    Bytes packet = WrapIpv4(local_, remote_, protocol, payload.data(), payload.size());
    outerBytes_ += packet.size();
    out.toWan.push_back(std::move(packet));
  }

  void Drop(const std::string &reason) { ++dropReasons_[reason]; }

  // An SA reached a soft or hard byte/packet lifetime: the IKE core rekeys or deletes it (once).
  void ReportLifetime(uint32_t spi, bool hard, Time now, GatewayOutput &out) {
    if (!ike_ || spi == 0 || !lifetimeReported_.insert({spi, hard}).second) return;
    Execute(ike_->OnChildSaLifetime(spi, hard, now), now, out);
  }

  // What the IKE core asks for, as the ns-3 gateway's Execute does it.
  void Execute(ipsec::IkeActions actions, Time now, GatewayOutput &out) {
    for (const ipsec::IkeSaInstall &install : actions.install) {
      try {
        if (install.inbound) {
          sad_.AddInbound(install.config);
        } else {
          sad_.AddOutbound(install.config);
        }
      } catch (const std::invalid_argument &) {
        ++saInstallFailures_;
      }
    }
    for (const ipsec::IkeSaRemove &remove : actions.remove) {
      if (remove.inbound) {
        sad_.RemoveInbound(remove.spi);
      } else {
        sad_.RemoveOutbound(remove.spi);
      }
    }
    for (const ipsec::IkeEvent &event : actions.events) {
      if (event.type == ipsec::IkeEventType::Established) ++established_;
      if (event.type == ipsec::IkeEventType::ChildSaCreated) ++childSasCreated_;
    }
    // IKE datagrams are not tunnel traffic: like the ns-3 gateway's socket sends, they are not
    // in outerBytesSent (the overhead the engine reports is the data path's).
    for (const crypto::Bytes &datagram : actions.send)
      out.toWan.push_back(
          WrapUdp(local_, remote_, kIkePort, kIkePort, datagram.data(), datagram.size()));
    ikeTimer_ = actions.nextTimer == kNever ? kNever : std::max(actions.nextTimer, now);
  }

  bool useGre_, useEsp_, home_;
  uint32_t local_, remote_;
  size_t mtu_;
  std::unique_ptr<gre::GreTunnel> gre_;
  std::unique_ptr<crypto::DeterministicRandom> rng_;
  std::unique_ptr<ipsec::IkeSa> ike_;
  ipsec::EspSad sad_;
  Time startAt_ = kNever, ikeTimer_ = kNever;
  std::set<std::pair<uint32_t, bool>> lifetimeReported_;
  std::map<std::string, uint64_t> dropReasons_;
  uint64_t innerTaken_ = 0, delivered_ = 0, innerBytes_ = 0, outerBytes_ = 0, tooBig_ = 0;
  uint64_t established_ = 0, childSasCreated_ = 0, saInstallFailures_ = 0;
};

} // namespace

GatewayPair MakeGreIpsecGateways(const TunnelSettings &settings, Time now) {
  if (const tunnel::IpsecSpec *spec = settings.spec.Ipsec()) {
    for (const tunnel::Aead aead : {spec->encryption, spec->ikeEncryption}) {
      const auto cipher = ipsec::EspCipherOf(aead);
      if (!ipsec::EspCipherAvailable(cipher)) {
        throw std::invalid_argument(std::string("ESP cipher ") + ipsec::EspCipherName(cipher) +
                                    " is not available on this machine");
      }
    }
  }
  return {std::make_unique<GreIpsecGateway>(settings, true, now),
          std::make_unique<GreIpsecGateway>(settings, false, now)};
}

} // namespace tunnelsim::emulate
