// The device's index of peers by their earliest timer deadline: after every operation,
// NextTimer must equal the minimum over every peer's deadlines computed the slow way, and
// OnTimer must leave no peer with a deadline at or before `now`. A hub with many peers and
// spokes that talk to it through a lossy in-memory network, driven by random operations on a
// virtual clock, arms and cancels every kind of timer, adds and removes peers.
#include "harness.h"

#include <boost/test/unit_test.hpp>

#include <map>

using namespace tunnelsim;
using namespace tunnelsim::wireguard;
using namespace tunnelsim::wireguard::test;

namespace {

Time BruteForceNextTimer(const Device &device) {
  Time next = kNever;
  for (const Peer *peer : device.Peers())
    next = std::min(next, peer->timers().NextDeadline());
  return next;
}

IpAddress SpokeTunnelAddress(size_t i) {
  return Ip("10.77." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 2));
}
Endpoint SpokeEndpoint(size_t i) {
  return Ep("192.0." + std::to_string(2 + i / 200) + "." + std::to_string(i % 200 + 2) + ":51820");
}
const Endpoint kHubEndpoint = Ep("198.51.100.1:51820");
const IpAddress kHubTunnelAddress = Ip("10.77.255.1");

// A hub device and `spokeCount` spoke devices exchanging datagrams with random latency and
// loss. Every operation on the hub is followed by the index check.
class HubWorld {
public:
  HubWorld(size_t spokeCount, uint64_t seed) : rng_(seed), hubRng_(seed + 1), keyRng_(seed + 2) {
    hubKey_ = crypto::GenerateX25519KeyPair(keyRng_);
    DeviceConfig hubConfig;
    hubConfig.privateKey = hubKey_.privateKey;
    hubConfig.wallClockOffset = Seconds(1.7e9);
    for (size_t i = 0; i < spokeCount; ++i) {
      spokeKeys_.push_back(crypto::GenerateX25519KeyPair(keyRng_));
      spokeRngs_.push_back(std::make_unique<crypto::DeterministicRandom>(seed * 1000 + i));
      hubConfig.peers.push_back(HubSideConfig(i));
    }
    hub_ = std::make_unique<Device>(std::move(hubConfig), hubRng_, now_);
    CheckIndex("construction");
    for (size_t i = 0; i < spokeCount; ++i) {
      DeviceConfig spokeConfig;
      spokeConfig.privateKey = spokeKeys_[i].privateKey;
      spokeConfig.wallClockOffset = Seconds(1.7e9);
      PeerConfig hubPeer;
      hubPeer.publicKey = hubKey_.publicKey;
      hubPeer.allowedIps = {Prefix("10.77.255.1/32")};
      hubPeer.endpoint = kHubEndpoint;
      // A third of the spokes keep the path open with persistent keepalives.
      if (i % 3 == 0) hubPeer.persistentKeepalive = Seconds(1 + i % 7);
      spokeConfig.peers.push_back(hubPeer);
      spokes_.push_back(std::make_unique<Device>(std::move(spokeConfig), *spokeRngs_[i], now_));
    }
  }

  // The hub's view of spoke i: some have a known endpoint and persistent keepalive, the
  // others learn the endpoint from the spoke's first handshake.
  PeerConfig HubSideConfig(size_t i) const {
    PeerConfig config;
    config.publicKey = spokeKeys_[i].publicKey;
    config.allowedIps = {IpPrefix{SpokeTunnelAddress(i), 32}};
    if (i % 4 == 1) config.endpoint = SpokeEndpoint(i);
    if (i % 8 == 1) config.persistentKeepalive = Seconds(2 + i % 5);
    return config;
  }

  void CheckIndex(const std::string &after) {
    ++checks_;
    const Time expected = BruteForceNextTimer(*hub_);
    if (hub_->NextTimer() != expected)
      BOOST_FAIL("after " << after << " at t=" << now_.count() << " ns: NextTimer "
                          << hub_->NextTimer().count() << " != minimum over peers "
                          << expected.count());
  }

  void HubTunnelPacket(size_t spoke) {
    Actions out;
    hub_->OnTunnelPacket(MakeIpPacket(kHubTunnelAddress, SpokeTunnelAddress(spoke), 60), now_, out);
    CheckIndex("hub OnTunnelPacket");
    BOOST_REQUIRE(out.nextTimer == hub_->NextTimer());
    Send(kHub, out);
  }

  void SpokeTunnelPacket(size_t spoke) {
    Actions out;
    spokes_[spoke]->OnTunnelPacket(MakeIpPacket(SpokeTunnelAddress(spoke), kHubTunnelAddress, 60),
                                   now_, out);
    Send(spoke, out);
  }

  void RemoveAndReaddPeer(size_t spoke) {
    BOOST_REQUIRE(hub_->RemovePeer(spokeKeys_[spoke].publicKey));
    CheckIndex("RemovePeer");
    hub_->AddPeer(HubSideConfig(spoke), now_);
    CheckIndex("AddPeer");
  }

  // Delivers everything due and fires every due timer up to `until`, checking after each.
  void RunUntil(Time until) {
    for (;;) {
      const Time arrival = inFlight_.empty() ? kNever : inFlight_.begin()->first;
      Time timer = hub_->NextTimer();
      for (auto &spoke : spokes_)
        timer = std::min(timer, spoke->NextTimer());
      const Time next = std::min(arrival, timer);
      if (next == kNever || next > until) break;
      now_ = std::max(now_, next);
      if (arrival <= timer) {
        Flight flight = std::move(inFlight_.begin()->second);
        inFlight_.erase(inFlight_.begin());
        Deliver(flight);
      } else {
        if (hub_->NextTimer() <= now_) {
          Actions out;
          hub_->OnTimer(now_, out);
          CheckIndex("hub OnTimer");
          BOOST_REQUIRE(out.nextTimer == hub_->NextTimer());
          for (const Peer *peer : hub_->Peers())
            BOOST_REQUIRE_MESSAGE(peer->timers().NextDeadline() > now_,
                                  "OnTimer left a due timer unfired");
          ++hubTimerRuns_;
          Send(kHub, out);
        }
        for (size_t i = 0; i < spokes_.size(); ++i) {
          if (spokes_[i]->NextTimer() > now_) continue;
          Actions out;
          spokes_[i]->OnTimer(now_, out);
          Send(i, out);
        }
      }
    }
    now_ = std::max(now_, until);
  }

  crypto::DeterministicRandom &rng() { return rng_; }
  Time now() const { return now_; }
  size_t spokeCount() const { return spokes_.size(); }
  size_t checks() const { return checks_; }
  size_t hubTimerRuns() const { return hubTimerRuns_; }
  const Device &hub() const { return *hub_; }

private:
  static constexpr size_t kHub = SIZE_MAX;
  struct Flight {
    size_t from;
    Endpoint to;
    Bytes data;
  };

  void Send(size_t from, Actions &out) {
    for (Datagram &d : out.toNetwork) {
      if (rng_.Uniform(100) < 15) continue; // lost
      const Duration latency = Milliseconds(1 + static_cast<int64_t>(rng_.Uniform(40)));
      inFlight_.emplace(now_ + latency, Flight{from, d.to, std::move(d.data)});
    }
    out.Clear();
  }

  void Deliver(const Flight &flight) {
    if (flight.from == kHub) {
      for (size_t i = 0; i < spokes_.size(); ++i) {
        if (!(SpokeEndpoint(i) == flight.to)) continue;
        Actions out;
        spokes_[i]->OnDatagram(flight.data, kHubEndpoint, now_, out);
        Send(i, out);
        return;
      }
      return;
    }
    Actions out;
    hub_->OnDatagram(flight.data, SpokeEndpoint(flight.from), now_, out);
    CheckIndex("hub OnDatagram");
    BOOST_REQUIRE(out.nextTimer == hub_->NextTimer());
    Send(kHub, out);
  }

  crypto::DeterministicRandom rng_, hubRng_, keyRng_;
  crypto::X25519KeyPair hubKey_;
  std::vector<crypto::X25519KeyPair> spokeKeys_;
  std::vector<std::unique_ptr<crypto::DeterministicRandom>> spokeRngs_;
  std::unique_ptr<Device> hub_;
  std::vector<std::unique_ptr<Device>> spokes_;
  std::multimap<Time, Flight> inFlight_;
  Time now_{0};
  size_t checks_ = 0;
  size_t hubTimerRuns_ = 0;
};

} // namespace

BOOST_AUTO_TEST_SUITE(timer_index)

BOOST_AUTO_TEST_CASE(next_timer_matches_brute_force_minimum_under_random_operations) {
  for (uint64_t seed : {11u, 12u}) {
    HubWorld world(96, seed);
    auto &rng = world.rng();
    for (int step = 0; step < 700; ++step) {
      const size_t spoke = rng.Uniform(world.spokeCount());
      const uint64_t op = rng.Uniform(100);
      if (op < 35)
        world.HubTunnelPacket(spoke);
      else if (op < 70)
        world.SpokeTunnelPacket(spoke);
      else if (op < 73)
        world.RemoveAndReaddPeer(spoke);
      // Mostly short steps, sometimes long enough for keepalives, retries, give-ups, rekeys
      // and zeroed keys.
      const uint64_t pause = rng.Uniform(100);
      const Duration advance = pause < 80   ? Milliseconds(int64_t(rng.Uniform(200)))
                               : pause < 97 ? Seconds(int64_t(1 + rng.Uniform(15)))
                                            : Seconds(int64_t(60 + rng.Uniform(300)));
      world.RunUntil(world.now() + advance);
    }
    world.RunUntil(world.now() + Seconds(1000)); // let every timer run out
    BOOST_TEST_MESSAGE("seed " << seed << ": " << world.checks() << " checks, "
                               << world.hubTimerRuns() << " hub timer runs, "
                               << world.hub().counters().handshakesCompleted << " handshakes");
    // The run exercised what it is meant to: sessions, expiries and a drained index.
    BOOST_CHECK_GT(world.checks(), 5000u);
    BOOST_CHECK_GT(world.hubTimerRuns(), 200u);
    BOOST_CHECK_GT(world.hub().counters().handshakesCompleted, 50u);
    BOOST_CHECK_GT(world.hub().counters().keysZeroed, 0u);
    BOOST_CHECK_GT(world.hub().counters().keepalivesSent, 0u);
  }
}

BOOST_AUTO_TEST_CASE(removing_a_peer_drops_its_deadline) {
  crypto::DeterministicRandom keyRng(5), rng(6);
  DeviceConfig config;
  config.privateKey = crypto::GenerateX25519KeyPair(keyRng).privateKey;
  PeerConfig early, late;
  early.publicKey = crypto::GenerateX25519KeyPair(keyRng).publicKey;
  early.endpoint = Ep("192.0.2.10:51820");
  early.persistentKeepalive = Seconds(1);
  late.publicKey = crypto::GenerateX25519KeyPair(keyRng).publicKey;
  late.endpoint = Ep("192.0.2.11:51820");
  late.persistentKeepalive = Seconds(1);
  Device device(config, rng, Time(0));
  device.AddPeer(early, Seconds(3));
  device.AddPeer(late, Seconds(7));
  BOOST_CHECK(device.NextTimer() == Seconds(3)); // keepalive due at once when added
  BOOST_REQUIRE(device.RemovePeer(early.publicKey));
  BOOST_CHECK(device.NextTimer() == Seconds(7));
  BOOST_REQUIRE(device.RemovePeer(late.publicKey));
  BOOST_CHECK(device.NextTimer() == kNever);
}

BOOST_AUTO_TEST_SUITE_END()
