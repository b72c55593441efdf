// tunnel.type = "wireguard" in the relay: the sans-IO WireGuard Device on each gateway, each
// the other's peer, keys derived from the scenario seed (so runs are repeatable), handshakes
// and data messages carried as IPv4/UDP packets on the relay's path.
#include "emulate/gateway.h"
#include "emulate/ipv4_header.h"

#include "crypto/random.h"
#include "json/wireguard_counters.h"
#include "wireguard/device.h"

namespace tunnelsim::emulate {
namespace {

namespace wg = tunnelsim::wireguard;

wg::Constants ConstantsFrom(const tunnel::WireGuardSpec &s) {
  wg::Constants c;
  c.rekeyAfterTime = s.rekeyAfterTime;
  c.rejectAfterTime = s.rejectAfterTime;
  c.rekeyAttemptTime = s.rekeyAttemptTime;
  c.rekeyTimeout = s.rekeyTimeout;
  c.keepaliveTimeout = s.keepaliveTimeout;
  c.rekeyAfterMessages = s.rekeyAfterMessages;
  c.underLoadHandshakesPerSecond = s.underLoadHandshakesPerSecond;
  return c;
}

crypto::X25519PrivateKey DerivedKey(uint64_t seed, uint64_t side) {
  crypto::DeterministicRandom rng(seed * 2 + side);
  crypto::X25519PrivateKey key;
  rng.Fill(key.data(), key.size());
  crypto::ClampX25519(key);
  return key;
}

class WireGuardGateway : public Gateway {
public:
  WireGuardGateway(const TunnelSettings &s, bool home, const crypto::X25519PrivateKey &own,
                   const crypto::X25519PublicKey &peerKey, Time now)
      : rng_(s.seed * 2 + (home ? 100 : 101)), local_(home ? s.homeWan : s.workWan),
        remote_(home ? s.workWan : s.homeWan), port_(s.spec.WireGuard()->listenPort),
        mtu_(s.innerMtu) {
    const tunnel::WireGuardSpec &spec = *s.spec.WireGuard();
    wg::DeviceConfig config;
    config.privateKey = own;
    config.listenPort = spec.listenPort;
    config.mtu = s.innerMtu;
    config.constants = ConstantsFrom(spec);
    wg::PeerConfig peer;
    peer.publicKey = peerKey;
    peer.allowedIps.push_back(IpPrefix{IpAddress::V4(home ? s.workLan : s.homeLan), 24});
    peer.endpoint = wg::Endpoint{IpAddress::V4(remote_), spec.listenPort};
    peer.persistentKeepalive = spec.persistentKeepalive;
    config.peers.push_back(peer);
    device_ = std::make_unique<wg::Device>(config, rng_, now);
    nextTimer_ = device_->NextTimer();
  }

  void FromLan(Bytes inner, Time now, GatewayOutput &out) override {
    if (inner.size() > mtu_) {
      ++tooBig_;
      return;
    }
    actions_.Clear();
    device_->OnTunnelPacket(std::move(inner), now, actions_);
    Carry(out);
  }

  void FromWan(Bytes outer, Time now, GatewayOutput &out) override {
    const auto ip = ParseIpv4(outer.data(), outer.size());
    if (!ip || ip->protocol != kProtocolUdp || ip->payloadSize < kUdpHeaderSize) {
      ++malformed_;
      return;
    }
    const uint8_t *udp = outer.data() + ip->headerSize;
    const uint16_t sourcePort = static_cast<uint16_t>((udp[0] << 8) | udp[1]);
    actions_.Clear();
    device_->OnDatagram(crypto::ByteView(udp + kUdpHeaderSize, ip->payloadSize - kUdpHeaderSize),
                        wg::Endpoint{IpAddress::V4(ip->source), sourcePort}, now, actions_);
    Carry(out);
  }

  Time NextTimer() const override { return nextTimer_; }
  void OnTimer(Time now, GatewayOutput &out) override {
    actions_.Clear();
    device_->OnTimer(now, actions_);
    Carry(out);
  }

  GatewayCounters Counters() const override {
    const wg::DeviceCounters &c = device_->counters();
    GatewayCounters g;
    g.handshakes = c.handshakeResponsesReceived;
    g.rekeys = c.rekeys;
    g.replayDrops = c.Drops(wg::DropReason::Replay);
    g.authFailures = c.Drops(wg::DropReason::DecryptFailed);
    g.packetsEncapsulated = c.dataPacketsSent;
    g.packetsDecapsulated = c.dataPacketsReceived;
    g.innerBytesSent = c.dataBytesSent;
    g.outerBytesSent = outerBytes_;
    g.tooBig = tooBig_;
    g.drops = c.TotalDrops() + malformed_;
    g.extra = wg::CountersJson(c);
    return g;
  }

private:
  void Carry(GatewayOutput &out) {
    for (auto &datagram : actions_.toNetwork) {
      Bytes packet = WrapUdp(local_, remote_, port_, datagram.to.port, datagram.data.data(),
                             datagram.data.size());
      outerBytes_ += packet.size();
      out.toWan.push_back(std::move(packet));
    }
    for (auto &inner : actions_.toTunnel)
      out.toLan.push_back(std::move(inner));
    nextTimer_ = actions_.nextTimer;
  }

  crypto::DeterministicRandom rng_;
  std::unique_ptr<wg::Device> device_;
  wg::Actions actions_;
  uint32_t local_, remote_;
  uint16_t port_;
  size_t mtu_;
  Time nextTimer_ = kNever;
  uint64_t outerBytes_ = 0;
  uint64_t tooBig_ = 0;
  uint64_t malformed_ = 0;
};

} // namespace

GatewayPair MakeWireGuardGateways(const TunnelSettings &settings, Time now) {
  const auto homeKey = DerivedKey(settings.seed, 0);
  const auto workKey = DerivedKey(settings.seed, 1);
  GatewayPair pair;
  pair.home = std::make_unique<WireGuardGateway>(settings, true, homeKey,
                                                 crypto::X25519PublicFromPrivate(workKey), now);
  pair.work = std::make_unique<WireGuardGateway>(settings, false, workKey,
                                                 crypto::X25519PublicFromPrivate(homeKey), now);
  return pair;
}

} // namespace tunnelsim::emulate
