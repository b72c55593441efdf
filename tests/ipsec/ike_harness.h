// Two IKEv2 peers with their ESP SADs on a simulated link (fixed delay, seeded loss), driven
// in virtual time: the way an adapter drives the sans-IO cores.
#pragma once

#include "common/ip_packet.h"
#include "esp_test_util.h"
#include "ipsec/esp_sad.h"
#include "ipsec/ike_sa.h"

#include <functional>
#include <map>
#include <memory>
#include <queue>

namespace tunnelsim::ipsec {
inline std::ostream &operator<<(std::ostream &os, IkeState state) {
  return os << IkeStateName(state);
}
inline std::ostream &operator<<(std::ostream &os, IkeParseError e) { return os << int(e); }
} // namespace tunnelsim::ipsec

namespace tunnelsim::ipsec::test {

struct Peer {
  std::unique_ptr<crypto::DeterministicRandom> rng;
  std::unique_ptr<IkeSa> ike;
  EspSad sad;
  std::vector<IkeEvent> events;
  std::vector<IkeSaInstall> installs;
  Time timer = kNever;
  size_t ikeMessagesSent = 0;

  size_t CountEvents(IkeEventType type) const {
    size_t n = 0;
    for (const IkeEvent &e : events)
      n += e.type == type;
    return n;
  }
};

inline IkeConfig BaseConfig(bool initiator) {
  IkeConfig c;
  c.initiator = initiator;
  c.psk = crypto::Bytes{'s', 'e', 'c', 'r', 'e', 't', '-', 'p', 's', 'k'};
  c.localId = IkeIdPayload::Fqdn(initiator ? "gw-a.example" : "gw-b.example");
  c.remoteId = IkeIdPayload::Fqdn(initiator ? "gw-b.example" : "gw-a.example");
  c.localAddress = *IpAddress::Parse(initiator ? "192.0.2.1" : "198.51.100.1");
  c.remoteAddress = *IpAddress::Parse(initiator ? "198.51.100.1" : "192.0.2.1");
  c.localTrafficSelector = *IpPrefix::Parse(initiator ? "10.1.0.0/16" : "10.2.0.0/16");
  c.remoteTrafficSelector = *IpPrefix::Parse(initiator ? "10.2.0.0/16" : "10.1.0.0/16");
  c.retransmit.initialTimeout = Milliseconds(500);
  c.retransmit.maxRetransmits = 8;
  return c;
}

class TwoPeers {
public:
  TwoPeers(const IkeConfig &a, const IkeConfig &b, uint64_t seed, double loss = 0.0,
           Duration delay = Milliseconds(10))
      : lossRng_(seed), loss_(loss), delay_(delay) {
    peers_[0].rng = std::make_unique<crypto::DeterministicRandom>(seed * 2 + 1);
    peers_[1].rng = std::make_unique<crypto::DeterministicRandom>(seed * 2 + 2);
    peers_[0].ike = std::make_unique<IkeSa>(a, *peers_[0].rng);
    peers_[1].ike = std::make_unique<IkeSa>(b, *peers_[1].rng);
  }

  Peer &a() { return peers_[0]; }
  Peer &b() { return peers_[1]; }
  Time now() const { return now_; }

  void Start() { Apply(0, peers_[0].ike->Start(now_)); }

  // Lets `tamper` see (and change or drop) every IKE datagram in flight.
  std::function<bool(int to, crypto::Bytes &)> tamper;
  // Called every `dataInterval` while running, e.g. to send ESP traffic.
  std::function<void(Time)> onTick;
  Duration tickInterval{0};

  void Apply(int from, IkeActions actions) {
    Peer &p = peers_[from];
    for (const IkeSaInstall &install : actions.install) {
      p.installs.push_back(install);
      if (install.inbound) {
        p.sad.AddInbound(install.config);
      } else {
        p.sad.AddOutbound(install.config);
      }
    }
    for (const IkeSaRemove &remove : actions.remove) {
      if (remove.inbound) {
        p.sad.RemoveInbound(remove.spi);
      } else {
        p.sad.RemoveOutbound(remove.spi);
      }
    }
    for (const IkeEvent &e : actions.events)
      p.events.push_back(e);
    for (crypto::Bytes &datagram : actions.send) {
      ++p.ikeMessagesSent;
      if (loss_ > 0 && double(lossRng_.Uniform(1000000)) / 1e6 < loss_) continue;
      Enqueue(1 - from, std::move(datagram), true);
    }
    p.timer = actions.nextTimer;
  }

  // ESP data packets share the link (and its ordering) with IKE, without loss.
  void SendData(int to, crypto::Bytes packet) { Enqueue(to, std::move(packet), false); }
  std::function<void(int to, const crypto::Bytes &)> onData;

  void RunUntil(Time end) {
    Time nextTick = tickInterval.count() > 0 ? now_ : kNever;
    for (;;) {
      const Time queued = queue_.empty() ? kNever : queue_.top().at;
      const Time next = std::min({queued, peers_[0].timer, peers_[1].timer, nextTick});
      if (next > end) {
        now_ = end;
        return;
      }
      now_ = next;
      if (!queue_.empty() && queue_.top().at == now_) {
        InFlight f = queue_.top();
        queue_.pop();
        if (f.ike) {
          if (tamper && !tamper(f.to, f.bytes)) continue;
          Apply(f.to, peers_[f.to].ike->OnMessage(f.bytes, now_));
        } else if (onData) {
          onData(f.to, f.bytes);
        }
        continue;
      }
      if (nextTick == now_) {
        nextTick = now_ + tickInterval;
        if (onTick) onTick(now_);
        continue;
      }
      for (int i = 0; i < 2; ++i) {
        if (peers_[i].timer <= now_) {
          peers_[i].timer = kNever;
          Apply(i, peers_[i].ike->OnTimer(now_));
        }
      }
    }
  }

private:
  struct InFlight {
    Time at;
    uint64_t order;
    int to;
    bool ike;
    crypto::Bytes bytes;
    bool operator>(const InFlight &o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  void Enqueue(int to, crypto::Bytes bytes, bool ike) {
    queue_.push(InFlight{now_ + delay_, order_++, to, ike, std::move(bytes)});
  }

  Peer peers_[2];
  crypto::DeterministicRandom lossRng_;
  double loss_;
  Duration delay_;
  Time now_{0};
  uint64_t order_ = 0;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<InFlight>> queue_;
};

} // namespace tunnelsim::ipsec::test
