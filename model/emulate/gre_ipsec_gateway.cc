// tunnel.type = "gre" | "ipsec" | "gre-over-ipsec" in the relay: a thin host of the same
// sans-IO gateway the ns-3 GreIpsecGateway drives (tunnel::GreIpsecGateway: GRE, ESP and IKEv2
// composed once). The home gateway initiates IKE_SA_INIT and IKE_AUTH (PSK) when the relay
// starts; IKE's datagrams travel as outer IPv4/UDP packets (port 500) over the relay's path with
// the ESP packets (so the path's impairments apply to them), and the core's retransmission and
// rekey timers are this gateway's NextTimer/OnTimer. Inner packets before the Child SA is
// installed are dropped and counted ("no-sa"), as ns-3 does.
#include "emulate/gateway.h"
#include "emulate/ipv4_header.h"

#include "common/seed_mix.h"
#include "crypto/random.h"
#include "ipsec/ike_config_from_spec.h"
#include "tunnel/gre_ipsec_gateway.h"
#include "json/esp_counters.h"
#include "json/ike_counters.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>
#include <utility>
#include <variant>

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

tunnel::GreIpsecGatewayConfig CoreConfigFor(const TunnelSettings &s, bool home) {
  tunnel::GreIpsecGatewayConfig c;
  c.mode = s.spec.Gre()
               ? (s.spec.Ipsec() ? tunnel::GreIpsecMode::GreOverIpsec : tunnel::GreIpsecMode::Gre)
               : tunnel::GreIpsecMode::IpsecTunnel;
  c.local = IpAddress::V4(home ? s.homeWan : s.workWan);
  c.remote = IpAddress::V4(home ? s.workWan : s.homeWan);
  if (const tunnel::GreSpec *spec = s.spec.Gre()) {
    c.gre.outputKey = spec->key;
    c.gre.inputKey = spec->key;
    c.gre.outputSequence = spec->sequence;
    c.gre.inputSequence =
        spec->sequence ? gre::GreSequenceMode::DropOutOfOrder : gre::GreSequenceMode::Accept;
    c.gre.outputChecksum = spec->checksum;
    c.gre.inputChecksum = spec->checksum;
  }
  if (s.spec.Ipsec()) c.ike = IkeConfigFor(s, home);
  return c;
}

// The relay's side of the core: IPv4 and UDP headers on the way out and off on the way in, the
// interface MTU, the IKE start when the relay starts, and the relay's counters and drop names.
class GreIpsecGateway : public Gateway {
public:
  GreIpsecGateway(const TunnelSettings &s, bool home, Time now)
      : useEsp_(s.spec.Ipsec() != nullptr), home_(home), local_(home ? s.homeWan : s.workWan),
        remote_(home ? s.workWan : s.homeWan), mtu_(s.innerMtu),
        core_(CoreConfigFor(s, home), std::make_unique<crypto::DeterministicRandom>(
                                          FoldSeed(s.seed ^ kGatewayStreamTag, home ? 1 : 2))) {
    // The initiator sends IKE_SA_INIT at the relay's start, from its first OnTimer.
    if (useEsp_ && home) startAt_ = now;
  }

  void FromLan(Bytes inner, Time now, GatewayOutput &out) override {
    if (inner.size() > mtu_) {
      ++tooBig_;
      return;
    }
    core_.FromLan(crypto::ByteView(inner.data(), inner.size()), now, coreOut_);
    Carry(out);
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
      core_.FromWan(tunnel::OuterProtocol::Esp, crypto::ByteView(payload, ip->payloadSize), now,
                    coreOut_);
      Carry(out);
      return;
    case kProtocolGre:
      if (useEsp_) {
        Drop("unprotected-gre");
        return;
      }
      core_.FromWan(tunnel::OuterProtocol::Gre, crypto::ByteView(payload, ip->payloadSize), now,
                    coreOut_);
      Carry(out);
      return;
    default:
      break;
    }
    Drop("unexpected-protocol");
  }

  Time NextTimer() const override { return std::min(startAt_, ikeTimer_); }

  void OnTimer(Time now, GatewayOutput &out) override {
    if (!useEsp_) return;
    if (startAt_ <= now) {
      startAt_ = kNever;
      core_.Start(now, coreOut_);
      Carry(out);
    }
    if (ikeTimer_ <= now) {
      core_.OnTimer(now, coreOut_);
      Carry(out);
      // The relay calls OnTimer again while NextTimer() <= now: always move on.
      if (ikeTimer_ <= now) ikeTimer_ = now + Duration(1);
    }
  }

  GatewayCounters Counters() const override {
    GatewayCounters g;
    const tunnel::GreIpsecCounters &c = core_.counters();
    // One IKE SA per pair, established at both ends: the initiator reports it (the relay adds
    // both sides), as the engine counts it once for ns-3 runs. A rekey is every Child SA after
    // the first (the relay takes the larger side), as the engine counts them.
    g.handshakes = home_ ? c.ikeSasEstablished : 0;
    g.rekeys = c.childSasCreated > 0 ? c.childSasCreated - 1 : 0;
    g.packetsEncapsulated = c.innerPacketsTaken;
    g.packetsDecapsulated = c.innerPacketsDelivered;
    g.innerBytesSent = c.innerBytesTaken;
    g.outerBytesSent = c.outerBytesSent + c.outerPacketsSent * kIpv4HeaderSize;
    g.tooBig = tooBig_;
    for (const auto &[reason, count] : dropReasons_)
      g.drops += count;
    g.extra["drops"] = dropReasons_;
    if (useEsp_) {
      const ipsec::EspCounters in = core_.sad().inboundTotals();
      g.replayDrops = in.dropReplay + in.dropOutsideWindow;
      g.authFailures = in.dropIcv;
      g.extra["esp_inbound"] = ipsec::EspCountersJson(in);
      g.extra["esp_outbound"] = ipsec::EspCountersJson(core_.sad().outboundTotals());
      const ipsec::IkeSa &ike = *core_.ike();
      g.extra["ike"] = ipsec::IkeCountersJson(ike.counters());
      g.extra["ike"]["state"] = ipsec::IkeStateName(ike.state());
      g.extra["ike"]["sa_install_failures"] = c.saInstallFailures;
    }
    if (const gre::GreTunnel *gre = core_.gre()) {
      const gre::GreCounters &gc = gre->counters();
      g.extra["gre"] = {{"encapsulated", gc.encapsulated},
                        {"decapsulated", gc.decapsulated},
                        {"drop_bad_checksum", gc.dropBadChecksum},
                        {"drop_key_mismatch", gc.dropKeyMismatch},
                        {"drop_out_of_sequence", gc.dropOutOfSequence},
                        {"total_drops", gc.TotalDrops()}};
    }
    return g;
  }

private:
  void FromUdp(const uint8_t *udp, size_t size, Time now, GatewayOutput &out) {
    const bool toIkePort = size >= kUdpHeaderSize && ((udp[2] << 8) | udp[3]) == kIkePort;
    if (!useEsp_ || !toIkePort) {
      Drop("unexpected-udp");
      return;
    }
    core_.FromWan(tunnel::OuterProtocol::Ike,
                  crypto::ByteView(udp + kUdpHeaderSize, size - kUdpHeaderSize), now, coreOut_);
    Carry(out);
  }

  // The core's actions as the relay's outer and inner packets, in order.
  void Carry(GatewayOutput &out) {
    for (tunnel::GreIpsecAction &action : coreOut_.actions) {
      if (auto *send = std::get_if<tunnel::SendOuter>(&action)) {
        // IKE datagrams are not tunnel traffic: like the ns-3 gateway's socket sends, they are
        // not in outerBytesSent (the overhead the engine reports is the data path's).
        out.toWan.push_back(send->protocol == tunnel::OuterProtocol::Ike
                                ? WrapUdp(local_, remote_, kIkePort, kIkePort, send->payload.data(),
                                          send->payload.size())
                                : WrapIpv4(local_, remote_, static_cast<uint8_t>(send->protocol),
                                           send->payload.data(), send->payload.size()));
        core_.Recycle(std::move(send->payload));
      } else if (auto *deliver = std::get_if<tunnel::DeliverInner>(&action)) {
        const crypto::ByteView inner = deliver->packet();
        out.toLan.emplace_back(inner.data(), inner.data() + inner.size());
        core_.Recycle(std::move(deliver->buffer));
      } else if (const auto *drop = std::get_if<tunnel::DropPacket>(&action)) {
        // The relay names every GRE drop "gre" (the reason is in the GRE core's counters).
        Drop(std::strncmp(drop->reason, "gre-", 4) == 0 ? "gre" : drop->reason);
      } else if (const auto *timer = std::get_if<tunnel::TimerChanged>(&action)) {
        ikeTimer_ = timer->at;
      }
    }
    coreOut_.actions.clear();
  }

  void Drop(const std::string &reason) { ++dropReasons_[reason]; }

  bool useEsp_, home_;
  uint32_t local_, remote_;
  size_t mtu_;
  tunnel::GreIpsecGateway core_;
  tunnel::GreIpsecOutput coreOut_;
  Time startAt_ = kNever, ikeTimer_ = kNever;
  std::map<std::string, uint64_t> dropReasons_;
  uint64_t tooBig_ = 0;
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
