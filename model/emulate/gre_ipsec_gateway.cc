// tunnel.type = "gre" | "ipsec" | "gre-over-ipsec" in the relay: GRE (GreTunnel) and/or ESP
// (EspSa with the scenario's cipher, ESN and replay window) as in the ns-3 GreIpsecGateway.
// The ESP SAs are keyed directly from the scenario seed instead of by IKEv2: the relay
// studies the data path, and the handshake's few packets would only shift the start.
#include "emulate/gateway.h"
#include "emulate/ipv4_header.h"

#include "crypto/random.h"
#include "gre/gre_tunnel.h"
#include "ipsec/counters_json.h"
#include "ipsec/esp_sa.h"

#include <stdexcept>

namespace tunnelsim::emulate {
namespace {

constexpr uint32_t kHomeToWorkSpi = 0x0e000001;
constexpr uint32_t kWorkToHomeSpi = 0x0e000002;

crypto::Bytes DerivedKeymat(uint64_t seed, uint32_t spi) {
  crypto::DeterministicRandom rng(seed * 1000003 + spi);
  crypto::Bytes keymat(ipsec::kEspKeymatSize);
  rng.Fill(keymat.data(), keymat.size());
  return keymat;
}

ipsec::EspCipher CipherOf(const tunnel::IpsecSpec &spec) {
  return spec.encryption == tunnel::Aead::kChacha20Poly1305 ? ipsec::EspCipher::ChaCha20Poly1305
                                                            : ipsec::EspCipher::Aes256Gcm16;
}

class GreIpsecGateway : public Gateway {
public:
  GreIpsecGateway(const TunnelSettings &s, bool home)
      : useGre_(s.spec.Gre() != nullptr), useEsp_(s.spec.Ipsec() != nullptr),
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
      const uint32_t outSpi = home ? kHomeToWorkSpi : kWorkToHomeSpi;
      const uint32_t inSpi = home ? kWorkToHomeSpi : kHomeToWorkSpi;
      outbound_ = std::make_unique<ipsec::EspSa>(SaConfig(s, outSpi, local_, remote_));
      inbound_ = std::make_unique<ipsec::EspSa>(SaConfig(s, inSpi, remote_, local_));
    }
  }

  void FromLan(Bytes inner, Time, GatewayOutput &out) override {
    if (inner.size() > mtu_) {
      ++tooBig_;
      return;
    }
    const uint64_t innerSize = inner.size();
    crypto::Bytes payload = std::move(inner);
    uint8_t nextHeader = ipsec::kEspNextHeaderIpv4;
    if (useGre_) {
      auto encapsulated = gre_->Encapsulate(payload);
      if (!encapsulated) {
        ++drops_;
        return;
      }
      payload = std::move(*encapsulated);
      nextHeader = ipsec::kEspNextHeaderGre;
    }
    uint8_t protocol = kProtocolGre;
    if (useEsp_) {
      auto sealed = outbound_->Seal(payload, nextHeader);
      if (sealed.status != ipsec::EspStatus::Ok) {
        ++drops_;
        return;
      }
      payload = std::move(sealed.packet);
      protocol = kProtocolEsp;
    }
    Bytes packet = WrapIpv4(local_, remote_, protocol, payload.data(), payload.size());
    ++encapsulated_;
    innerBytes_ += innerSize;
    outerBytes_ += packet.size();
    out.toWan.push_back(std::move(packet));
  }

  void FromWan(Bytes outer, Time, GatewayOutput &out) override {
    const auto ip = ParseIpv4(outer.data(), outer.size());
    if (!ip || ip->protocol != (useEsp_ ? kProtocolEsp : kProtocolGre)) {
      ++drops_;
      return;
    }
    crypto::ByteView payload(outer.data() + ip->headerSize, ip->payloadSize);
    crypto::Bytes opened;
    if (useEsp_) {
      auto result = inbound_->Open(payload);
      if (result.status != ipsec::EspStatus::Ok) {
        if (result.status != ipsec::EspStatus::Dummy) ++drops_;
        return;
      }
      if (result.nextHeader != (useGre_ ? ipsec::kEspNextHeaderGre : ipsec::kEspNextHeaderIpv4)) {
        ++drops_;
        return;
      }
      opened = std::move(result.payload);
      payload = crypto::ByteView(opened);
    }
    if (useGre_) {
      auto decapsulated = gre_->Decapsulate(payload);
      if (!decapsulated) {
        ++drops_;
        return;
      }
      ++decapsulated_;
      out.toLan.push_back(std::move(decapsulated->innerPacket));
      return;
    }
    ++decapsulated_;
    out.toLan.emplace_back(payload.data(), payload.data() + payload.size());
  }

  GatewayCounters Counters() const override {
    GatewayCounters g;
    g.packetsEncapsulated = encapsulated_;
    g.packetsDecapsulated = decapsulated_;
    g.innerBytesSent = innerBytes_;
    g.outerBytesSent = outerBytes_;
    g.tooBig = tooBig_;
    g.drops = drops_;
    if (useEsp_) {
      const ipsec::EspCounters &in = inbound_->counters();
      g.replayDrops = in.dropReplay + in.dropOutsideWindow;
      g.authFailures = in.dropIcv;
      g.extra["esp_inbound"] = ipsec::EspCountersJson(in);
      g.extra["esp_outbound"] = ipsec::EspCountersJson(outbound_->counters());
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
  static ipsec::EspSaConfig SaConfig(const TunnelSettings &s, uint32_t spi, uint32_t source,
                                     uint32_t destination) {
    const tunnel::IpsecSpec &spec = *s.spec.Ipsec();
    ipsec::EspSaConfig c;
    c.spi = spi;
    c.cipher = CipherOf(spec);
    c.keymat = DerivedKeymat(s.seed, spi);
    // ESP carries GRE in transport mode, or the inner packet itself in tunnel mode.
    c.mode = s.spec.Gre() ? ipsec::EspMode::Transport : ipsec::EspMode::Tunnel;
    c.esn = spec.esn;
    c.replayWindow = spec.replayWindow;
    c.source = IpAddress::V4(source);
    c.destination = IpAddress::V4(destination);
    return c;
  }

  bool useGre_, useEsp_;
  uint32_t local_, remote_;
  size_t mtu_;
  std::unique_ptr<gre::GreTunnel> gre_;
  std::unique_ptr<ipsec::EspSa> outbound_, inbound_;
  uint64_t encapsulated_ = 0, decapsulated_ = 0, innerBytes_ = 0, outerBytes_ = 0;
  uint64_t tooBig_ = 0, drops_ = 0;
};

} // namespace

GatewayPair MakeGreIpsecGateways(const TunnelSettings &settings) {
  if (const tunnel::IpsecSpec *spec = settings.spec.Ipsec()) {
    const auto cipher = CipherOf(*spec);
    if (!ipsec::EspCipherAvailable(cipher)) {
      throw std::invalid_argument(std::string("ESP cipher ") + ipsec::EspCipherName(cipher) +
                                  " is not available on this machine");
    }
  }
  return {std::make_unique<GreIpsecGateway>(settings, true),
          std::make_unique<GreIpsecGateway>(settings, false)};
}

} // namespace tunnelsim::emulate
