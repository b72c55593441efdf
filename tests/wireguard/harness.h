// A little in-memory network on a virtual clock: devices exchange datagrams with a fixed
// latency, timers fire when due, and tests can drop, rewrite or inspect traffic.
#pragma once

#include "common/ip_address.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "wireguard/device.h"
#include "wireguard/messages.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tunnelsim::wireguard::test {

using crypto::Bytes;
using crypto::ByteView;

inline IpAddress Ip(const std::string &text) { return *IpAddress::Parse(text); }
inline IpPrefix Prefix(const std::string &text) { return *IpPrefix::Parse(text); }
inline Endpoint Ep(const std::string &text) { return *Endpoint::Parse(text); }

// A UDP-in-IPv4 or UDP-in-IPv6 packet with `payloadSize` bytes of a fill pattern.
inline Bytes MakeIpPacket(const IpAddress &src, const IpAddress &dst, size_t payloadSize,
                          uint8_t fill = 0xab) {
  Bytes p;
  if (src.IsV4()) {
    const size_t total = 20 + 8 + payloadSize;
    p.assign(total, 0);
    p[0] = 0x45;
    p[2] = static_cast<uint8_t>(total >> 8);
    p[3] = static_cast<uint8_t>(total);
    p[8] = 64;
    p[9] = 17;
    std::copy(src.data(), src.data() + 4, p.begin() + 12);
    std::copy(dst.data(), dst.data() + 4, p.begin() + 16);
    std::fill(p.begin() + 28, p.end(), fill);
  } else {
    const size_t payload = 8 + payloadSize;
    p.assign(40 + payload, 0);
    p[0] = 0x60;
    p[4] = static_cast<uint8_t>(payload >> 8);
    p[5] = static_cast<uint8_t>(payload);
    p[6] = 17;
    p[7] = 64;
    std::copy(src.data(), src.data() + 16, p.begin() + 8);
    std::copy(dst.data(), dst.data() + 16, p.begin() + 24);
    std::fill(p.begin() + 48, p.end(), fill);
  }
  return p;
}

inline std::optional<MessageType> TypeOf(const Bytes &datagram) {
  return ClassifyMessage(datagram);
}

struct SentRecord {
  Time time;
  size_t from;
  Endpoint to;
  Bytes data;
};

struct Node {
  Endpoint endpoint; // the source address its datagrams carry (changeable: roaming/NAT)
  std::unique_ptr<Device> device;
  std::vector<Bytes> delivered; // inner packets the tunnel handed up
};

class Network {
public:
  Time now{0};
  Duration latency = Milliseconds(10);
  // Return false to lose a datagram sent by node `from`.
  std::function<bool(size_t from, const Datagram &)> filter;
  std::vector<Node> nodes;
  std::vector<SentRecord> sent;

  size_t AddNode(DeviceConfig config, const Endpoint &endpoint, crypto::RandomSource &rng) {
    Node node;
    node.endpoint = endpoint;
    node.device = std::make_unique<Device>(std::move(config), rng, now);
    nodes.push_back(std::move(node));
    return nodes.size() - 1;
  }

  Device &device(size_t i) { return *nodes[i].device; }

  void Apply(size_t from, Actions &actions) {
    for (Datagram &d : actions.toNetwork) {
      sent.push_back(SentRecord{now, from, d.to, d.data});
      if (filter && !filter(from, d)) continue;
      inFlight_.emplace(now + latency, InFlight{nodes[from].endpoint, d.to, std::move(d.data)});
    }
    for (Bytes &p : actions.toTunnel)
      nodes[from].delivered.push_back(std::move(p));
    actions.Clear();
  }

  void SendFromTunnel(size_t node, Bytes packet) {
    Actions a;
    device(node).OnTunnelPacket(std::move(packet), now, a);
    Apply(node, a);
  }

  // Injects a datagram as if it arrived at `node` from `from` now.
  void Inject(size_t node, ByteView datagram, const Endpoint &from) {
    Actions a;
    device(node).OnDatagram(datagram, from, now, a);
    Apply(node, a);
  }

  void RunUntil(Time until) {
    for (;;) {
      Time nextArrival = inFlight_.empty() ? kNever : inFlight_.begin()->first;
      Time nextTimer = kNever;
      for (Node &n : nodes)
        nextTimer = std::min(nextTimer, n.device->NextTimer());
      Time next = std::min(nextArrival, nextTimer);
      if (next == kNever || next > until) break;
      now = std::max(now, next);
      if (nextArrival <= nextTimer) {
        auto it = inFlight_.begin();
        InFlight message = std::move(it->second);
        inFlight_.erase(it);
        for (size_t i = 0; i < nodes.size(); ++i) {
          if (nodes[i].endpoint != message.to) continue;
          Actions a;
          nodes[i].device->OnDatagram(message.data, message.from, now, a);
          Apply(i, a);
          break;
        }
      } else {
        for (size_t i = 0; i < nodes.size(); ++i) {
          if (nodes[i].device->NextTimer() > now) continue;
          Actions a;
          nodes[i].device->OnTimer(now, a);
          Apply(i, a);
        }
      }
    }
    now = std::max(now, until);
  }
  void RunFor(Duration d) { RunUntil(now + d); }

  // Datagrams of `type` sent by `from` at or after `since`.
  size_t CountSent(size_t from, MessageType type, Time since = Time(0)) const {
    size_t n = 0;
    for (const SentRecord &r : sent)
      if (r.from == from && r.time >= since && TypeOf(r.data) == type) ++n;
    return n;
  }
  size_t CountKeepalives(size_t from, Time since = Time(0)) const {
    size_t n = 0;
    for (const SentRecord &r : sent)
      if (r.from == from && r.time >= since && TypeOf(r.data) == MessageType::TransportData &&
          r.data.size() == transport::kMinSize)
        ++n;
    return n;
  }

private:
  struct InFlight {
    Endpoint from;
    Endpoint to;
    Bytes data;
  };
  std::multimap<Time, InFlight> inFlight_;
};

// Two peers A (10.0.0.1, fd00::1) and B (10.0.0.2, fd00::2) that know each other's
// endpoints. Each gets its own deterministic random source.
struct Pair {
  crypto::DeterministicRandom rngA{1};
  crypto::DeterministicRandom rngB{2};
  crypto::DeterministicRandom keyRng{3};
  crypto::X25519KeyPair keyA = crypto::GenerateX25519KeyPair(keyRng);
  crypto::X25519KeyPair keyB = crypto::GenerateX25519KeyPair(keyRng);
  Network net;
  size_t a = 0, b = 1;

  struct Options {
    bool psk = false;
    Constants constants;
    Duration keepaliveA{0};
    Duration keepaliveB{0};
    bool bKnowsA = true; // B has A's endpoint configured
    bool keyLog = false;
  };

  Pair() : Pair(Options{}) {}
  explicit Pair(const Options &o) {
    crypto::DeterministicRandom pskRng(4);
    std::optional<PresharedKey> psk;
    if (o.psk) {
      PresharedKey k;
      pskRng.Fill(k.data(), k.size());
      psk = k;
    }
    DeviceConfig ca;
    ca.privateKey = keyA.privateKey;
    ca.constants = o.constants;
    ca.wallClockOffset = Seconds(1.7e9);
    ca.exportKeyLog = o.keyLog;
    PeerConfig pb;
    pb.publicKey = keyB.publicKey;
    pb.presharedKey = psk;
    pb.allowedIps = {Prefix("10.0.0.2/32"), Prefix("fd00::2/128")};
    pb.endpoint = Ep("192.0.2.2:51820");
    pb.persistentKeepalive = o.keepaliveA;
    ca.peers.push_back(pb);

    DeviceConfig cb;
    cb.privateKey = keyB.privateKey;
    cb.constants = o.constants;
    cb.wallClockOffset = Seconds(1.7e9);
    cb.exportKeyLog = o.keyLog;
    PeerConfig pa;
    pa.publicKey = keyA.publicKey;
    pa.presharedKey = psk;
    pa.allowedIps = {Prefix("10.0.0.1/32"), Prefix("fd00::1/128")};
    if (o.bKnowsA) pa.endpoint = Ep("192.0.2.1:51820");
    pa.persistentKeepalive = o.keepaliveB;
    cb.peers.push_back(pa);

    a = net.AddNode(std::move(ca), Ep("192.0.2.1:51820"), rngA);
    b = net.AddNode(std::move(cb), Ep("192.0.2.2:51820"), rngB);
  }

  Device &A() { return net.device(a); }
  Device &B() { return net.device(b); }
  Peer &PeerOfA() { return *A().FindPeer(keyB.publicKey); } // A's view of B
  Peer &PeerOfB() { return *B().FindPeer(keyA.publicKey); } // B's view of A

  Bytes PacketAtoB(size_t size = 100, bool v6 = false) {
    return v6 ? MakeIpPacket(Ip("fd00::1"), Ip("fd00::2"), size)
              : MakeIpPacket(Ip("10.0.0.1"), Ip("10.0.0.2"), size);
  }
  Bytes PacketBtoA(size_t size = 100, bool v6 = false) {
    return v6 ? MakeIpPacket(Ip("fd00::2"), Ip("fd00::1"), size)
              : MakeIpPacket(Ip("10.0.0.2"), Ip("10.0.0.1"), size);
  }
};

} // namespace tunnelsim::wireguard::test
