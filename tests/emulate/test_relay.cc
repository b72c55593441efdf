// The relay pipeline on a virtual clock: packets through each tunnel type end to end, the
// link model's timing, impairments applied, ESP's replay window dropping reordered packets,
// and the IPsec gateways' IKEv2 over the relay's path (a lost message, a Child SA rekey).
#include "relay_test_packets.h"

#include "emulate/relay.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace tunnelsim::emulate {
namespace {

using test::kHome;
using test::kWork;
using test::PacketId;
using test::TcpPacket;

RelaySettings PlainPath(const std::string &tunnel) {
  RelaySettings s;
  s.tunnel.spec = tunnelsim::tunnel::DefaultSpecFor(tunnel).value();
  s.tunnel.seed = 7;
  s.tunnel.homeWan = 0x64400001;
  s.tunnel.workWan = 0xc6336402;
  s.tunnel.homeLan = 0xc0a80100;
  s.tunnel.workLan = 0x0a010000;
  s.tunnel.innerMtu = 1400;
  for (size_t i = 0; i < kHopCount; ++i) {
    s.hops[i].name = HopName(static_cast<HopIndex>(i));
    s.hops[i].rateBitsPerSecond = 1'000'000'000;
    s.hops[i].delay = Duration(100'000);
  }
  s.hops[kAccessDown].rateBitsPerSecond = 100'000'000;
  s.hops[kAccessUp].rateBitsPerSecond = 20'000'000;
  s.hops[kAccessDown].delay = s.hops[kAccessUp].delay = Milliseconds(5);
  s.hops[kWanDown].delay = s.hops[kWanUp].delay = Milliseconds(15);
  return s;
}

// Runs the relay on a virtual clock: each packet handed in at its time, and the relay advanced
// exactly to each deadline, as the real driver does when its timer fires on time. Times given
// to Send/RunTo count from a clock origin of 1 s (as a monotonic clock never reads 0).
constexpr Time kOrigin = Seconds(1);
// IPsec types negotiate their SAs with IKEv2 when the relay starts (two round trips, ~0.1 s on
// PlainPath): by default the relay starts this long before the origin, so tests of the data
// path see the tunnel up.
constexpr Duration kIkeWarmup = Milliseconds(500);

Duration DefaultWarmup(const RelaySettings &settings) {
  return settings.tunnel.spec.Ipsec() ? kIkeWarmup : Duration(0);
}

struct VirtualRun {
  explicit VirtualRun(const RelaySettings &settings)
      : VirtualRun(settings, DefaultWarmup(settings)) {}
  VirtualRun(const RelaySettings &settings, Duration warmup) : relay(settings, kOrigin - warmup) {}

  void Send(Side from, Bytes packet, Time at) {
    RunTo(at);
    relay.FromHost(from, std::move(packet), kOrigin + at);
  }
  void RunTo(Time untilFromOrigin) {
    const Time until = kOrigin + untilFromOrigin;
    for (Time next = relay.NextDeadline(); next <= until; next = relay.NextDeadline()) {
      std::vector<Delivery> out;
      relay.Advance(next, out);
      for (auto &d : out)
        delivered.push_back(std::move(d));
    }
    std::vector<Delivery> out;
    relay.Advance(until, out);
    for (auto &d : out)
      delivered.push_back(std::move(d));
  }

  Relay relay;
  std::vector<Delivery> delivered;
};

// The first packet at once, the others after 0.5 s (when WireGuard's handshake, which the
// first starts, is done: packets before it would wait in its small staging queue).
Time After(int i, Duration gap) { return i == 0 ? Time(0) : Milliseconds(500) + gap * i; }

// Data segments from work to home, 1 ms apart, and their deliveries.
VirtualRun Download(const RelaySettings &settings, int count, size_t size = 1400) {
  VirtualRun run(settings);
  for (int i = 0; i < count; ++i) {
    run.Send(Side::kWork, TcpPacket(kWork, kHome, size, 1000 + i), After(i, Milliseconds(1)));
  }
  run.RunTo(Seconds(10));
  return run;
}

BOOST_AUTO_TEST_CASE(each_tunnel_carries_packets_end_to_end_unchanged) {
  for (const std::string tunnel : {"none", "wireguard", "gre", "ipsec", "gre-over-ipsec"}) {
    BOOST_TEST_CONTEXT("tunnel " << tunnel) {
      VirtualRun run(PlainPath(tunnel));
      std::vector<Bytes> sentDown, sentUp;
      std::vector<std::tuple<Time, Side, Bytes>> sends;
      for (int i = 0; i < 20; ++i) {
        sentDown.push_back(TcpPacket(kWork, kHome, 1000 + i, 100 + i));
        sentUp.push_back(TcpPacket(kHome, kWork, 60, 500 + i));
        sends.emplace_back(After(i, Milliseconds(2)), Side::kWork, sentDown.back());
        // After the handshake the first download packet starts (two at once would collide).
        sends.emplace_back(After(i + 1, Milliseconds(2)) + Duration(1000), Side::kHome,
                           sentUp.back());
      }
      std::stable_sort(sends.begin(), sends.end(), [](const auto &a, const auto &b) {
        return std::get<0>(a) < std::get<0>(b);
      });
      for (auto &[at, side, packet] : sends)
        run.Send(side, packet, at);
      run.RunTo(Seconds(5));
      std::vector<Bytes> gotHome, gotWork;
      for (const auto &d : run.delivered)
        (d.to == Side::kHome ? gotHome : gotWork).push_back(d.packet);
      BOOST_TEST(gotHome.size() == sentDown.size());
      BOOST_TEST(gotWork.size() == sentUp.size());
      BOOST_TEST((gotHome == sentDown));
      BOOST_TEST((gotWork == sentUp));
      const auto counters = run.relay.TunnelCountersJson();
      if (tunnel != "none") {
        BOOST_TEST(counters.at("packets_encapsulated").get<uint64_t>() >= 40u);
        BOOST_TEST(counters.at("overhead_bytes").get<uint64_t>() > 0u);
      }
      if (tunnel == "wireguard" || tunnel == "ipsec" || tunnel == "gre-over-ipsec") {
        BOOST_TEST(counters.at("handshakes").get<uint64_t>() == 1u);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(outer_packets_are_real_and_encrypted) {
  // The access link carries outer packets: larger than the inner ones by the tunnel overhead,
  // and (ESP, WireGuard) without the inner payload in clear.
  const std::map<std::string, size_t> overhead = {
      {"none", 0}, {"gre", 24}, {"gre-over-ipsec", 20 + 8 + 8 + 4 + 2 + 16}};
  for (const auto &[tunnel, extra] : overhead) {
    BOOST_TEST_CONTEXT("tunnel " << tunnel) {
      VirtualRun run(PlainPath(tunnel));
      run.RunTo(Time(0)); // IKE's packets (IPsec types) are on the hop before the data packet
      const uint64_t before = run.relay.Hop(kAccessDown).Counters().bytes;
      run.Send(Side::kWork, TcpPacket(kWork, kHome, 1000, 1), Time(0));
      run.RunTo(Seconds(1));
      BOOST_REQUIRE(run.delivered.size() == 1u);
      const uint64_t bytes = run.relay.Hop(kAccessDown).Counters().bytes - before;
      BOOST_TEST(bytes >= 1000 + extra);
      BOOST_TEST(bytes <= 1000 + extra + 3); // ESP pads to 4 bytes
    }
  }
}

BOOST_AUTO_TEST_CASE(link_timing_is_serialisation_plus_propagation) {
  // One 1248-byte packet (1250 with the PPP header) down the plain path: 1 Gbit/s LAN and
  // WAN (10 us each), 100 Mbit/s access (100 us), plus 100 us + 15 ms + 5 ms + 100 us.
  VirtualRun run = Download(PlainPath("none"), 1, 1248);
  BOOST_REQUIRE(run.delivered.size() == 1u);
  const int64_t expected = 10'000 * 3 + 100'000 + 100'000 + 15'000'000 + 5'000'000 + 100'000;
  BOOST_TEST((run.delivered[0].due - kOrigin).count() == expected);
}

BOOST_AUTO_TEST_CASE(a_full_unimpaired_queue_drops_and_the_rest_leave_at_the_link_rate) {
  RelaySettings settings = PlainPath("none");
  settings.hops[kAccessDown].queuePackets = 10;
  VirtualRun run(settings);
  for (int i = 0; i < 50; ++i)
    run.Send(Side::kWork, TcpPacket(kWork, kHome, 1250, i), Time(0));
  run.RunTo(Seconds(5));
  // The WAN hop spaces them 10 us apart, access drains one per 100 us: about 10 + a few fit.
  const uint64_t drops = run.relay.Hop(kAccessDown).Counters().queueDrops;
  BOOST_TEST(drops > 30u);
  BOOST_TEST(run.delivered.size() == 50 - drops);
  for (size_t i = 1; i < run.delivered.size(); ++i) {
    BOOST_TEST((run.delivered[i].due - run.delivered[i - 1].due).count() >= 100'000);
  }
}

BOOST_AUTO_TEST_CASE(netem_delay_and_loss_are_applied_on_their_hop) {
  RelaySettings settings = PlainPath("wireguard");
  impairment::NetemSettings netem;
  netem.seed = 11;
  netem.latency = Milliseconds(10);
  netem.loss.model = impairment::LossSettings::Model::kRandom;
  netem.loss.probability = 0.2;
  settings.hops[kAccessDown].netem = netem;
  VirtualRun baseline = Download(PlainPath("wireguard"), 200);
  VirtualRun impaired = Download(settings, 200);
  const auto &counters = impaired.relay.Hop(kAccessDown).Stage()->Netem()->Counters();
  BOOST_TEST(counters.lost > 20u);
  BOOST_TEST(counters.lost < 70u);
  BOOST_TEST(impaired.delivered.size() == 200 - counters.lost);
  // Every surviving packet is exactly 10 ms later than without impairment (same queueing).
  std::map<uint32_t, Time> base;
  for (const auto &d : baseline.delivered)
    base[PacketId(d.packet)] = d.due;
  for (const auto &d : impaired.delivered) {
    BOOST_TEST((d.due - base.at(PacketId(d.packet))).count() >= Milliseconds(10).count());
  }
  const auto json = impaired.relay.ImpairmentsJson();
  BOOST_TEST(json.at("access.down").at("netem").at("lost").get<uint64_t>() == counters.lost);
}

BOOST_AUTO_TEST_CASE(ack_delay_applies_to_small_packets_of_the_return_path_only) {
  RelaySettings settings = PlainPath("none");
  impairment::AckImpairmentSettings ack;
  ack.seed = 3;
  ack.delay = Milliseconds(20);
  ack.classifier.mode = impairment::AckClassifierSettings::Mode::kSize;
  ack.classifier.maxAckSize = 200;
  settings.hops[kAccessUp].ack = ack;
  VirtualRun run(settings);
  run.Send(Side::kHome, TcpPacket(kHome, kWork, 52, 1), Time(0));   // ACK-sized
  run.Send(Side::kHome, TcpPacket(kHome, kWork, 1400, 2), Time(0)); // data
  run.RunTo(Seconds(1));
  BOOST_REQUIRE(run.delivered.size() == 2u);
  BOOST_TEST(PacketId(run.delivered[0].packet) == 2u); // the data overtook the delayed ACK
  BOOST_TEST((run.delivered[1].due - run.delivered[0].due).count() > Milliseconds(19).count());
  BOOST_TEST(run.relay.Hop(kAccessUp).Stage()->Ack()->Counters().delayed == 1u);
}

// netem reordering on the access downlink, as the study scenario: most packets 10 ms late,
// some sent at once, so the ESP receiver sees sequence numbers far behind its newest.
RelaySettings Reordering(const std::string &tunnel, uint32_t replayWindow) {
  RelaySettings settings = PlainPath(tunnel);
  if (auto *ipsec = settings.tunnel.spec.Ipsec()) ipsec->replayWindow = replayWindow;
  impairment::NetemSettings netem;
  netem.seed = 5;
  netem.latency = Milliseconds(10);
  netem.reorder = 0.05;
  settings.hops[kAccessDown].netem = netem;
  return settings;
}

VirtualRun BurstDownload(const RelaySettings &settings, int count) {
  VirtualRun run(settings);
  // 1400-byte packets back to back at 100 Mbit/s: 112 us apart, ~90 in every 10 ms.
  for (int i = 0; i < count; ++i) {
    run.Send(Side::kWork, TcpPacket(kWork, kHome, 1400, i), After(i, Duration(112'000)));
  }
  run.RunTo(Seconds(10));
  return run;
}

BOOST_AUTO_TEST_CASE(esp_replay_window_drops_packets_reordered_beyond_it) {
  VirtualRun narrow = BurstDownload(Reordering("gre-over-ipsec", 32), 2000);
  VirtualRun wide = BurstDownload(Reordering("gre-over-ipsec", 1024), 2000);
  const auto narrowCounters = narrow.relay.TunnelCountersJson();
  const uint64_t reordered = narrow.relay.Hop(kAccessDown).Stage()->Netem()->Counters().reordered;
  BOOST_TEST(reordered > 50u);
  // A packet sent at once overtakes ~90 delayed ones: with a 32-packet window the delayed
  // ones it overtook arrive too old and are dropped; with 1024 nothing is.
  BOOST_TEST(narrowCounters.at("replay_drops").get<uint64_t>() > reordered);
  BOOST_TEST(narrow.delivered.size() == 2000 - narrowCounters.at("replay_drops").get<uint64_t>());
  BOOST_TEST(wide.relay.TunnelCountersJson().at("replay_drops").get<uint64_t>() == 0u);
  BOOST_TEST(wide.delivered.size() == 2000u);
  const auto &esp = narrowCounters.at("extra").at("home").at("esp_inbound");
  BOOST_TEST(esp.at("drop_outside_window").get<uint64_t>() +
                 esp.at("drop_replay").get<uint64_t>() ==
             narrowCounters.at("replay_drops").get<uint64_t>());
}

// The relay's analysis of the outer ESP packets, run with the window the ESP core has, drops
// exactly the packets the core dropped (and says nothing about a window it was not given).
BOOST_AUTO_TEST_CASE(esp_replay_analysis_predicts_the_cores_drops) {
  for (uint32_t window : {32u, 64u}) {
    VirtualRun run = BurstDownload(Reordering("gre-over-ipsec", window), 2000);
    const EspReplayAnalysis *analysis = run.relay.EspAnalysis();
    BOOST_REQUIRE(analysis != nullptr);
    const uint64_t coreDrops = run.relay.TunnelCountersJson().at("replay_drops").get<uint64_t>();
    BOOST_TEST(coreDrops > 0u);
    BOOST_TEST(analysis->Drops(window) == coreDrops);
    BOOST_TEST(analysis->EspPackets() == 2000u);
  }
  // strongswan: charon is outside the relay, whose gateways pass packets through unchanged;
  // clear TCP packets are counted apart, not as ESP.
  VirtualRun plain = BurstDownload(Reordering("strongswan", 0), 100);
  BOOST_REQUIRE(plain.relay.EspAnalysis() != nullptr);
  BOOST_TEST(plain.relay.EspAnalysis()->EspPackets() == 0u);
  BOOST_TEST(plain.relay.EspAnalysis()->Json().at("other_packets").get<uint64_t>() == 100u);
  BOOST_TEST(plain.delivered.size() == 100u);
  BOOST_TEST(plain.delivered[0].packet ==
             TcpPacket(kWork, kHome, 1400, PacketId(plain.delivered[0].packet)));
  BOOST_TEST(VirtualRun(PlainPath("wireguard")).relay.EspAnalysis() == nullptr);
}

BOOST_AUTO_TEST_CASE(wireguard_window_absorbs_the_same_reordering) {
  VirtualRun run = BurstDownload(Reordering("wireguard", 32), 2000);
  BOOST_TEST(run.relay.TunnelCountersJson().at("replay_drops").get<uint64_t>() == 0u);
  BOOST_TEST(run.delivered.size() == 2000u);
  std::set<uint32_t> ids;
  bool outOfOrder = false;
  for (size_t i = 0; i < run.delivered.size(); ++i) {
    ids.insert(PacketId(run.delivered[i].packet));
    if (i > 0 && PacketId(run.delivered[i].packet) < PacketId(run.delivered[i - 1].packet)) {
      outOfOrder = true;
    }
  }
  BOOST_TEST(ids.size() == 2000u);
  BOOST_TEST(outOfOrder);
}

BOOST_AUTO_TEST_CASE(packets_above_the_tunnel_mtu_are_dropped_and_counted) {
  VirtualRun run(PlainPath("gre-over-ipsec"));
  run.Send(Side::kWork, TcpPacket(kWork, kHome, 1401, 1), Time(0));
  run.RunTo(Seconds(1));
  BOOST_TEST(run.delivered.empty());
  BOOST_TEST(run.relay.TunnelCountersJson().at("extra").at("work").at("too_big_drops") == 1);
}

BOOST_AUTO_TEST_CASE(same_arrivals_same_decisions) {
  // Model time decides everything: two runs with the same inputs agree exactly.
  VirtualRun a = BurstDownload(Reordering("gre-over-ipsec", 64), 500);
  VirtualRun b = BurstDownload(Reordering("gre-over-ipsec", 64), 500);
  BOOST_REQUIRE(a.delivered.size() == b.delivered.size());
  for (size_t i = 0; i < a.delivered.size(); ++i) {
    BOOST_TEST(a.delivered[i].due.count() == b.delivered[i].due.count());
    BOOST_TEST((a.delivered[i].packet == b.delivered[i].packet));
  }
}

// ---------------------------------------------------------------------------------------------
// IKEv2 between the IPsec gateways, over the relay's path

nlohmann::json Ike(const VirtualRun &run, const char *side) {
  return run.relay.TunnelCountersJson().at("extra").at(side).at("ike");
}

uint64_t DropsFor(const VirtualRun &run, const char *side, const std::string &reason) {
  const nlohmann::json drops = run.relay.TunnelCountersJson().at("extra").at(side).at("drops");
  return drops.contains(reason) ? drops.at(reason).get<uint64_t>() : 0;
}

// Inner packets both ways, `gap` apart from `from` to `to` (counted from the origin); returns
// how many were sent each way.
std::pair<int, int> TrafficBothWays(VirtualRun &run, Time from, Time to, Duration gap) {
  int down = 0, up = 0;
  for (Time at = from; at < to; at += gap) {
    run.Send(Side::kWork, TcpPacket(kWork, kHome, 1200, 100000 + down++), at);
    run.Send(Side::kHome, TcpPacket(kHome, kWork, 100, 200000 + up++), at + gap / 2);
  }
  return {down, up};
}

std::pair<size_t, size_t> Delivered(const VirtualRun &run) {
  size_t home = 0, work = 0;
  for (const auto &d : run.delivered)
    ++(d.to == Side::kHome ? home : work);
  return {home, work};
}

BOOST_AUTO_TEST_CASE(ipsec_gateways_negotiate_their_sas_with_ike_over_the_relay_path) {
  for (const std::string tunnel : {"ipsec", "gre-over-ipsec"}) {
    BOOST_TEST_CONTEXT("tunnel " << tunnel) {
      VirtualRun run(PlainPath(tunnel), Duration(0)); // the relay starts at the origin
      // Before the Child SA is installed an inner packet has no SA: dropped and counted, as the
      // ns-3 gateway does.
      run.Send(Side::kHome, TcpPacket(kHome, kWork, 100, 1), Time(0));
      run.RunTo(Milliseconds(5)); // through the LAN hop to the gateway
      BOOST_TEST(DropsFor(run, "home", "no-sa") == 1u);
      BOOST_TEST(Ike(run, "home").at("state") == "init-sent");
      // Two round trips of ~41 ms (access + WAN each way, both directions).
      run.RunTo(Milliseconds(300));
      for (const char *side : {"home", "work"}) {
        BOOST_TEST_CONTEXT(side) {
          const auto ike = Ike(run, side);
          BOOST_TEST(ike.at("state") == "established");
          BOOST_TEST(ike.at("messages_sent") == 2);     // IKE_SA_INIT and IKE_AUTH
          BOOST_TEST(ike.at("messages_received") == 2); // the other side's two
          BOOST_TEST(ike.at("retransmissions") == 0);
          BOOST_TEST(ike.at("child_sas_created") == 1);
        }
      }
      // The IKE datagrams crossed the WAN as UDP/500 outer packets, seen by the ESP analysis.
      BOOST_TEST(run.relay.EspAnalysis()->Json().at("ike_packets") == 4);
      BOOST_TEST(run.relay.Hop(kWanUp).Counters().packets == 2u);
      BOOST_TEST(run.relay.Hop(kWanDown).Counters().packets == 2u);

      const auto [down, up] = TrafficBothWays(run, Milliseconds(300), Seconds(1), Milliseconds(10));
      run.RunTo(Seconds(2));
      const auto [home, work] = Delivered(run);
      BOOST_TEST(home == size_t(down));
      BOOST_TEST(work == size_t(up)); // the packet sent before IKE was done is the one missing
      const auto counters = run.relay.TunnelCountersJson();
      BOOST_TEST(counters.at("handshakes") == 1);
      BOOST_TEST(counters.at("rekeys") == 0);
      // Each direction's ESP packets carry the SPI IKE chose: one SPI per direction, all of
      // the data packets on it.
      const auto analysis = run.relay.EspAnalysis()->Json();
      BOOST_TEST(run.relay.EspAnalysis()->EspPackets() == uint64_t(down + up));
      BOOST_TEST(analysis.at("per_spi").size() == 2u);
      const auto &outbound = counters.at("extra").at("work").at("esp_outbound");
      BOOST_TEST(outbound.at("packets") == down);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_lost_ike_sa_init_is_retransmitted_and_the_tunnel_comes_up) {
  RelaySettings settings = PlainPath("gre-over-ipsec");
  // The access uplink loses every other packet (netem's 4-state model moving 1 -> 3 -> 1): the
  // first IKE_SA_INIT and the first IKE_AUTH, from home to work, are lost.
  impairment::NetemSettings netem;
  netem.loss.model = impairment::LossSettings::Model::kState;
  netem.loss.p13 = 1.0;
  netem.loss.p31 = 1.0;
  settings.hops[kAccessUp].netem = netem;
  VirtualRun run(settings, Duration(0));
  run.RunTo(Seconds(3)); // the first retransmission is due after tunnel.ipsec.retransmit_timeout
  BOOST_TEST(Ike(run, "home").at("state") == "init-sent");
  BOOST_TEST(Ike(run, "work").at("messages_received") == 0);
  run.RunTo(Seconds(12));
  const auto home = Ike(run, "home");
  BOOST_TEST(home.at("state") == "established");
  BOOST_TEST(home.at("retransmissions") == 2); // IKE_SA_INIT and IKE_AUTH once each
  BOOST_TEST(Ike(run, "work").at("state") == "established");
  BOOST_TEST(run.relay.Hop(kAccessUp).Stage()->Netem()->Counters().lost == 2u);
  BOOST_TEST(run.relay.TunnelCountersJson().at("handshakes") == 1);
  // The downlink (no loss) then carries data.
  for (int i = 0; i < 20; ++i)
    run.Send(Side::kWork, TcpPacket(kWork, kHome, 1000, i), Seconds(12) + Milliseconds(2 * i));
  run.RunTo(Seconds(13));
  BOOST_TEST(run.delivered.size() == 20u);
}

BOOST_AUTO_TEST_CASE(a_child_sa_rekey_during_the_run_loses_no_packet) {
  RelaySettings settings = PlainPath("gre-over-ipsec");
  // Rekey 3 s before a 6 s lifetime, less up to 10 % jitter: 2.7..3 s after IKE, so the old
  // SAs' 2 s make-before-break overlap ends before their hard lifetime.
  settings.tunnel.spec.Ipsec()->childLifetime = Seconds(6);
  settings.tunnel.spec.Ipsec()->rekeyMargin = Seconds(3);
  VirtualRun run(settings);
  const auto [down, up] = TrafficBothWays(run, Time(0), Seconds(7), Milliseconds(2));
  run.RunTo(Seconds(8));
  const auto counters = run.relay.TunnelCountersJson();
  BOOST_TEST(counters.at("rekeys").get<uint64_t>() >= 1u);
  BOOST_TEST(Ike(run, "home").at("child_sas_rekeyed").get<uint64_t>() +
                 Ike(run, "work").at("child_sas_rekeyed").get<uint64_t>() >=
             1u);
  const auto [home, work] = Delivered(run);
  BOOST_TEST(home == size_t(down));
  BOOST_TEST(work == size_t(up));
  for (const char *side : {"home", "work"})
    BOOST_TEST(run.relay.TunnelCountersJson().at("extra").at(side).at("other_drops") == 0);
  // The new SAs carried traffic: more than one SPI per direction reached each receiver.
  BOOST_TEST(run.relay.EspAnalysis()->Json().at("per_spi").size() >= 4u);
}

BOOST_AUTO_TEST_CASE(the_same_seed_negotiates_the_same_sas) {
  // IKE's SPIs, nonces and keys come from the scenario seed: equal seeds, equal outer packets.
  auto outer = [](uint64_t seed) {
    RelaySettings settings = PlainPath("gre-over-ipsec");
    settings.tunnel.seed = seed;
    VirtualRun run(settings);
    run.Send(Side::kWork, TcpPacket(kWork, kHome, 500, 1), Time(0));
    run.RunTo(Seconds(1));
    return run.relay.EspAnalysis()->Json().at("per_spi");
  };
  BOOST_TEST(outer(7) == outer(7));
  BOOST_TEST(outer(7) != outer(8));
}

BOOST_AUTO_TEST_CASE(an_ike_sa_rekey_from_ike_lifetime_loses_no_packet_and_keeps_the_child_sa) {
  // tunnel.ipsec.ike_lifetime through ipsec::ApplyIpsecSpec: an IKE SA rekey 2.5 s (3 s less
  // rekey_margin 0.5 s, less up to 10 %) after IKE, again 2.25-2.5 s after that, with the Child
  // SAs moved to each new IKE SA.
  RelaySettings settings = PlainPath("gre-over-ipsec");
  settings.tunnel.spec.Ipsec()->ikeLifetime = Seconds(3);
  settings.tunnel.spec.Ipsec()->rekeyMargin = Milliseconds(500);
  VirtualRun run(settings);
  const auto [down, up] = TrafficBothWays(run, Time(0), Seconds(6), Milliseconds(2));
  run.RunTo(Seconds(7));
  for (const char *side : {"home", "work"}) {
    BOOST_TEST_CONTEXT(side) {
      const auto ike = Ike(run, side);
      BOOST_TEST(ike.at("ike_sas_rekeyed").get<uint64_t>() >= 2u);
      BOOST_TEST(ike.at("state") == "established");
      BOOST_TEST(ike.at("child_sas_created") == 1);
      BOOST_TEST(ike.at("child_sas_deleted") == 0);
      BOOST_TEST(ike.at("retransmissions") == 0);
      BOOST_TEST(run.relay.TunnelCountersJson().at("extra").at(side).at("drops").empty());
    }
  }
  const auto [home, work] = Delivered(run);
  BOOST_TEST(home == size_t(down));
  BOOST_TEST(work == size_t(up));
  // The same two ESP SAs (one per direction) carried every packet across the IKE SA rekeys.
  BOOST_TEST(run.relay.EspAnalysis()->Json().at("per_spi").size() == 2u);
  BOOST_TEST(run.relay.TunnelCountersJson().at("handshakes") == 1);
}

BOOST_AUTO_TEST_CASE(dpd_checks_a_peer_that_sends_no_esp_over_the_relay_path) {
  // tunnel.ipsec.dpd_delay through ipsec::ApplyIpsecSpec: data only from work to home, so
  // work hears nothing from home but IKE and checks it every second; home sees ESP throughout.
  RelaySettings settings = PlainPath("gre-over-ipsec");
  settings.tunnel.spec.Ipsec()->dpdDelay = Seconds(1);
  VirtualRun run(settings);
  int down = 0;
  for (Time at = Time(0); at < Seconds(4); at += Milliseconds(5))
    run.Send(Side::kWork, TcpPacket(kWork, kHome, 1200, down++), at);
  run.RunTo(Seconds(5));
  const auto work = Ike(run, "work");
  const auto home = Ike(run, "home");
  // IKE came up 0.5 s before the origin: checks at about 0.5, 1.5, 2.5, 3.5 and 4.5 s.
  BOOST_TEST(work.at("liveness_checks_sent") == 5);
  BOOST_TEST(work.at("retransmissions") == 0);
  BOOST_TEST(home.at("liveness_checks_sent") == 0);
  BOOST_TEST(home.at("messages_sent") == 2 + 5); // IKE_SA_INIT, IKE_AUTH and the answers
  BOOST_TEST(work.at("state") == "established");
  BOOST_TEST(home.at("state") == "established");
  BOOST_TEST(run.delivered.size() == size_t(down));
}

} // namespace
} // namespace tunnelsim::emulate
