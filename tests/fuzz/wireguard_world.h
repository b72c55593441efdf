// Two configured WireGuard devices, A (10.0.0.1) and B (10.0.0.2), on a wire the fuzzer
// controls: every datagram either sends waits in order until a script delivers, mutates,
// drops or duplicates it. Shared by the device fuzz target and the seed-corpus generator, so
// seeds replay exactly (keys and random sources are fixed; time is virtual).
//
// A script is an option byte then operations (see WireguardScriptOp). Reads past the end of
// the input return zeros, so any byte string is a valid script.
#pragma once

#include "crypto/blake2s.h"
#include "crypto/random.h"
#include "fuzz_input.h"
#include "wireguard/cookie.h"
#include "wireguard/device.h"
#include "wireguard/messages.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <memory>

namespace tunnelsim::fuzz {

enum WireguardOption : uint8_t {
  kWgPsk = 1,                // both peers use a preshared key
  kWgBUnderLoad = 2,         // B is always under load: handshakes need a cookie (MAC2)
  kWgAUnderLoad = 4,         // A likewise
  kWgBNoEndpoint = 8,        // B does not know A's endpoint (learns it from A's handshake)
  kWgKeepalive = 16,         // A has a 25 s persistent keepalive
  kWgSmallLimits = 32,       // rekey after 6 messages, reject after 12
  kWgShortTimers = 64,       // seconds instead of minutes for rekey/reject/keepalive timers
  kWgAStartsHandshake = 128, // A sends a packet to B before the script starts
};

enum class WireguardScriptOp : uint8_t {
  Deliver,        // the oldest datagram on the wire reaches its destination
  DeliverMutated, // [flips][ (pos:2, mask:1) x flips ][flags]: flip bytes, bit0 fixes MAC1,
                  // bit1 truncates to [len:2], bit2 makes it come from the attacker's endpoint
  Drop,           // the oldest datagram is lost
  Duplicate,      // the oldest datagram is also queued again at the end (a later replay)
  Inject,         // [flags][len:2][bytes]: bit0 to B (else A), bit1 from the attacker
  Tunnel,         // [flags][size:2][fill]: bit0 B sends (else A), bit1 IPv6, bit2 unknown
                  // destination, bit3 the packet is [len:2][bytes] instead
  Advance,        // [ms:2]: time moves on (x1000 when the op byte's bit 3 is set), timers fire
  CookieReply,    // [flags]: the peer of node bit0 answers its last handshake message with a
                  // cookie reply (bit1: one byte flipped, position from the flags)
};
constexpr int kWireguardScriptOps = 8;

inline crypto::Bytes WgIpPacket(bool v6, const uint8_t *src, const uint8_t *dst, size_t payload,
                                uint8_t fill) {
  crypto::Bytes p;
  if (!v6) {
    const size_t total = 20 + 8 + payload;
    p.assign(total, fill);
    std::fill(p.begin(), p.begin() + 28, 0);
    p[0] = 0x45;
    p[2] = static_cast<uint8_t>(total >> 8);
    p[3] = static_cast<uint8_t>(total);
    p[8] = 64;
    p[9] = 17;
    std::copy(src, src + 4, p.begin() + 12);
    std::copy(dst, dst + 4, p.begin() + 16);
  } else {
    const size_t length = 8 + payload;
    p.assign(40 + length, fill);
    std::fill(p.begin(), p.begin() + 48, 0);
    p[0] = 0x60;
    p[4] = static_cast<uint8_t>(length >> 8);
    p[5] = static_cast<uint8_t>(length);
    p[6] = 17;
    p[7] = 64;
    std::copy(src, src + 16, p.begin() + 8);
    std::copy(dst, dst + 16, p.begin() + 24);
  }
  return p;
}

class WireguardWorld {
public:
  struct OnWire {
    int from; // 0 = A, 1 = B
    wireguard::Endpoint to;
    crypto::Bytes data;
  };

  explicit WireguardWorld(uint8_t options) {
    crypto::DeterministicRandom keyRng(13);
    keys_[0] = crypto::GenerateX25519KeyPair(keyRng);
    keys_[1] = crypto::GenerateX25519KeyPair(keyRng);
    endpoints_[0] = *wireguard::Endpoint::Parse("192.0.2.1:51820");
    endpoints_[1] = *wireguard::Endpoint::Parse("[2001:db8::2]:51820");
    attacker_ = *wireguard::Endpoint::Parse("203.0.113.9:4444");
    std::optional<wireguard::PresharedKey> psk;
    if (options & kWgPsk) {
      wireguard::PresharedKey k;
      keyRng.Fill(k.data(), k.size());
      psk = k;
    }
    for (int node = 0; node < 2; ++node) {
      wireguard::DeviceConfig config;
      config.privateKey = keys_[node].privateKey;
      config.wallClockOffset = Seconds(1.7e9);
      config.mtu = 1420;
      if (options & kWgSmallLimits) {
        config.constants.rekeyAfterMessages = 6;
        config.constants.rejectAfterMessages = 12;
      }
      if (options & kWgShortTimers) {
        config.constants.rekeyAfterTime = Seconds(3);
        config.constants.rejectAfterTime = Seconds(5);
        config.constants.rekeyAttemptTime = Seconds(4);
        config.constants.rekeyTimeout = Seconds(1);
        config.constants.keepaliveTimeout = Seconds(1);
        config.constants.zeroKeyMaterialAfter = Seconds(15);
        config.constants.cookieSecretMaxAge = Seconds(4);
      }
      if (options & (node == 0 ? kWgAUnderLoad : kWgBUnderLoad))
        config.constants.underLoadHandshakesPerSecond = 0;
      wireguard::PeerConfig peer;
      peer.publicKey = keys_[1 - node].publicKey;
      peer.presharedKey = psk;
      peer.allowedIps = {*IpPrefix::Parse(node == 0 ? "10.0.0.2/32" : "10.0.0.1/32"),
                         *IpPrefix::Parse(node == 0 ? "fd00::2/128" : "fd00::1/128")};
      if (node == 0 || !(options & kWgBNoEndpoint)) peer.endpoint = endpoints_[1 - node];
      if (node == 0 && (options & kWgKeepalive)) peer.persistentKeepalive = Seconds(25);
      config.peers.push_back(peer);
      rng_[node] = std::make_unique<crypto::DeterministicRandom>(21 + node);
      devices_[node] = std::make_unique<wireguard::Device>(std::move(config), *rng_[node], now_);
    }
    if (options & kWgAStartsHandshake) SendFromTunnel(0, PacketTo(0, false, false, 64, 0x11));
  }

  wireguard::Device &device(int node) { return *devices_[node]; }
  const std::deque<OnWire> &wire() const { return wire_; }
  const wireguard::Endpoint &endpoint(int node) const { return endpoints_[node]; }
  const crypto::X25519PublicKey &publicKey(int node) const { return keys_[node].publicKey; }
  Time now() const { return now_; }

  crypto::Bytes PacketTo(int from, bool v6, bool unknownDestination, size_t payload,
                         uint8_t fill) const {
    static const uint8_t v4[2][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}};
    static const uint8_t v4Other[4] = {10, 9, 9, 9};
    uint8_t v6Addr[2][16] = {{0xfd}, {0xfd}};
    v6Addr[0][15] = 1;
    v6Addr[1][15] = 2;
    uint8_t v6Other[16] = {0xfd, 0, 9};
    if (!v6)
      return WgIpPacket(false, v4[from], unknownDestination ? v4Other : v4[1 - from], payload,
                        fill);
    return WgIpPacket(true, v6Addr[from], unknownDestination ? v6Other : v6Addr[1 - from], payload,
                      fill);
  }

  void SendFromTunnel(int node, crypto::Bytes packet) {
    sentInner_[node].push_back(packet);
    wireguard::Actions actions;
    devices_[node]->OnTunnelPacket(std::move(packet), now_, actions);
    Apply(node, actions);
  }

  void Receive(int node, crypto::ByteView datagram, const wireguard::Endpoint &from) {
    wireguard::Actions actions;
    devices_[node]->OnDatagram(datagram, from, now_, actions);
    Apply(node, actions);
  }

  // Delivers to whichever device listens on `to`; a datagram to any other address is lost.
  void DeliverTo(const wireguard::Endpoint &to, crypto::ByteView datagram,
                 const wireguard::Endpoint &from) {
    for (int node = 0; node < 2; ++node)
      if (endpoints_[node] == to) Receive(node, datagram, from);
  }

  void Advance(Duration by) {
    now_ += by;
    for (int round = 0; round < 64; ++round) {
      bool fired = false;
      for (int node = 0; node < 2; ++node) {
        if (devices_[node]->NextTimer() > now_) continue;
        wireguard::Actions actions;
        devices_[node]->OnTimer(now_, actions);
        Apply(node, actions);
        fired = true;
      }
      if (!fired) break;
    }
  }

  // The cookie reply node 1 - `node` would send to `node`'s last handshake message.
  std::optional<crypto::Bytes> CookieReplyTo(int node) {
    const crypto::Bytes &message = lastHandshake_[node];
    if (message.empty()) return std::nullopt;
    const size_t mac1 = message.size() == wireguard::initiation::kSize
                            ? wireguard::initiation::kMac1
                            : wireguard::response::kMac1;
    wireguard::CookieChecker checker(keys_[1 - node].publicKey, Seconds(120));
    crypto::DeterministicRandom rng(99);
    crypto::Bytes reply(wireguard::cookie_reply::kSize);
    checker.CreateReply(message, mac1, wireguard::LoadLe32(message.data() + 4), endpoints_[node],
                        now_, rng, reply.data());
    return reply;
  }

  // Recomputes MAC1 of a handshake message for the receiver `node` after a mutation.
  void FixMac1(crypto::Bytes &message, int receiver) const {
    size_t mac1 = 0;
    if (message.size() == wireguard::initiation::kSize)
      mac1 = wireguard::initiation::kMac1;
    else if (message.size() == wireguard::response::kSize)
      mac1 = wireguard::response::kMac1;
    else
      return;
    auto key = wireguard::DeriveMac1Key(keys_[receiver].publicKey);
    auto mac = crypto::Blake2sMac128(key.view(), crypto::ByteView(message.data(), mac1));
    std::copy(mac.begin(), mac.end(), message.begin() + mac1);
  }

  std::optional<OnWire> PopWire() {
    if (wire_.empty()) return std::nullopt;
    OnWire d = std::move(wire_.front());
    wire_.pop_front();
    return d;
  }
  void PushWire(OnWire d) { wire_.push_back(std::move(d)); }
  int NodeAt(const wireguard::Endpoint &e) const {
    return endpoints_[0] == e ? 0 : endpoints_[1] == e ? 1 : -1;
  }

  // Runs one script operation; false when the input is used up.
  bool Step(FuzzInput &in) {
    if (in.empty()) return false;
    const uint8_t op = in.U8();
    switch (static_cast<WireguardScriptOp>(op % kWireguardScriptOps)) {
    case WireguardScriptOp::Deliver:
      if (auto d = PopWire()) DeliverTo(d->to, d->data, endpoints_[d->from]);
      break;
    case WireguardScriptOp::DeliverMutated: {
      const int flips = in.U8() % 4;
      std::vector<std::pair<uint16_t, uint8_t>> changes;
      for (int i = 0; i < flips; ++i) {
        const uint16_t pos = in.U16();
        changes.emplace_back(pos, in.U8());
      }
      const uint8_t flags = in.U8();
      const uint16_t length = (flags & 2) ? in.U16() : 0;
      auto d = PopWire();
      if (!d) break;
      if (flags & 2) d->data.resize(std::min<size_t>(d->data.size(), length));
      for (auto [pos, mask] : changes)
        if (!d->data.empty()) d->data[pos % d->data.size()] ^= mask;
      const int receiver = NodeAt(d->to);
      if ((flags & 1) && receiver >= 0) FixMac1(d->data, receiver);
      DeliverTo(d->to, d->data, (flags & 4) ? attacker_ : endpoints_[d->from]);
      break;
    }
    case WireguardScriptOp::Drop:
      PopWire();
      break;
    case WireguardScriptOp::Duplicate:
      if (!wire_.empty() && wire_.size() < 256) wire_.push_back(wire_.front());
      break;
    case WireguardScriptOp::Inject: {
      const uint8_t flags = in.U8();
      const crypto::ByteView bytes = in.Field();
      const int node = flags & 1;
      Receive(node, bytes, (flags & 2) ? attacker_ : endpoints_[1 - node]);
      break;
    }
    case WireguardScriptOp::Tunnel: {
      const uint8_t flags = in.U8();
      const int node = flags & 1;
      if (flags & 8) {
        SendFromTunnel(node, in.Field().ToBytes());
      } else {
        const size_t size = in.U16() % 1500;
        SendFromTunnel(node, PacketTo(node, flags & 2, flags & 4, size, in.U8()));
      }
      break;
    }
    case WireguardScriptOp::Advance: {
      const uint16_t amount = in.U16();
      Advance((op & 8) ? Seconds(amount % 600) : Milliseconds(amount));
      break;
    }
    case WireguardScriptOp::CookieReply: {
      const uint8_t flags = in.U8();
      const int node = flags & 1;
      if (auto reply = CookieReplyTo(node)) {
        if (flags & 2) (*reply)[(flags >> 2) % reply->size()] ^= 0x40;
        Receive(node, *reply, endpoints_[1 - node]);
      }
      break;
    }
    }
    CheckDeliveredWereSent();
    return true;
  }

  // Integrity: without the keys nobody can make a device deliver a packet its peer did not
  // send, or deliver one packet twice. Delivered packets may be shorter than sent (padding
  // and bytes past the IP total length are stripped).
  void CheckDeliveredWereSent() {
    for (int node = 0; node < 2; ++node) {
      std::vector<crypto::Bytes> &delivered = deliveredInner_[node];
      std::vector<crypto::Bytes> &unmatched = sentInner_[1 - node];
      for (const crypto::Bytes &packet : delivered) {
        auto exact = std::find(unmatched.begin(), unmatched.end(), packet);
        if (exact == unmatched.end()) {
          exact = std::find_if(unmatched.begin(), unmatched.end(), [&](const crypto::Bytes &s) {
            return s.size() >= packet.size() && std::equal(packet.begin(), packet.end(), s.begin());
          });
        }
        if (exact == unmatched.end()) abort();
        unmatched.erase(exact);
      }
      delivered.clear();
    }
  }

private:
  void Apply(int node, wireguard::Actions &actions) {
    for (wireguard::Datagram &d : actions.toNetwork) {
      auto type = wireguard::ClassifyMessage(d.data);
      if (type == wireguard::MessageType::HandshakeInitiation ||
          type == wireguard::MessageType::HandshakeResponse)
        lastHandshake_[node] = d.data;
      if (wire_.size() < 256) wire_.push_back(OnWire{node, d.to, std::move(d.data)});
    }
    for (crypto::Bytes &p : actions.toTunnel)
      deliveredInner_[node].push_back(std::move(p));
    actions.Clear();
  }

  Time now_{0};
  crypto::X25519KeyPair keys_[2];
  wireguard::Endpoint endpoints_[2];
  wireguard::Endpoint attacker_;
  std::unique_ptr<crypto::DeterministicRandom> rng_[2];
  std::unique_ptr<wireguard::Device> devices_[2];
  std::deque<OnWire> wire_;
  crypto::Bytes lastHandshake_[2];
  std::vector<crypto::Bytes> sentInner_[2];
  std::vector<crypto::Bytes> deliveredInner_[2];
};

} // namespace tunnelsim::fuzz
