// The GRE-over-IPsec gateway core (model/tunnel/gre_ipsec_gateway.h) as a host drives it: two
// gateways back to back on a virtual clock, every outer datagram carried to the other after a
// fixed delay, every timer fired when it is due.
#define BOOST_TEST_MODULE tunnel_gateway
#include <boost/test/unit_test.hpp>

#include "../common/test_packets.h"

#include "tunnel/gre_ipsec_gateway.h"

#include <cstring>
#include <deque>
#include <functional>

using namespace tunnelsim;
using namespace tunnelsim::tunnel;

namespace {

const IpAddress kWanA = *IpAddress::Parse("192.0.2.1");
const IpAddress kWanB = *IpAddress::Parse("198.51.100.1");

// An IPv4/UDP packet from `src` to `dst` (10.1.0.0/24 is site A, 10.2.0.0/24 site B).
crypto::Bytes InnerPacket(const char *src, const char *dst, size_t payload, uint8_t fill) {
  return test_packets::Ipv4Packet(payload, 17, fill, IpAddress::Parse(src)->data(),
                                  IpAddress::Parse(dst)->data());
}

GreIpsecGatewayConfig ConfigFor(GreIpsecMode mode, bool a) {
  GreIpsecGatewayConfig c;
  c.mode = mode;
  c.local = a ? kWanA : kWanB;
  c.remote = a ? kWanB : kWanA;
  c.gre.outputKey = c.gre.inputKey = 42;
  c.gre.outputSequence = true;
  c.gre.inputSequence = gre::GreSequenceMode::DropOutOfOrder;
  ipsec::IkeConfig &ike = c.ike;
  ike.initiator = a;
  ike.psk = crypto::Bytes{'p', 's', 'k', '-', 't', 'e', 's', 't'};
  ike.localId = ipsec::IkeIdPayload::Fqdn(a ? "gw-a.test" : "gw-b.test");
  ike.remoteId = ipsec::IkeIdPayload::Fqdn(a ? "gw-b.test" : "gw-a.test");
  ike.localAddress = c.local;
  ike.remoteAddress = c.remote;
  if (mode == GreIpsecMode::GreOverIpsec) {
    ike.childMode = ipsec::EspMode::Transport;
    ike.localTrafficSelector = IpPrefix{c.local, 32};
    ike.remoteTrafficSelector = IpPrefix{c.remote, 32};
  } else {
    ike.childMode = ipsec::EspMode::Tunnel;
    ike.localTrafficSelector = *IpPrefix::Parse(a ? "10.1.0.0/24" : "10.2.0.0/24");
    ike.remoteTrafficSelector = *IpPrefix::Parse(a ? "10.2.0.0/24" : "10.1.0.0/24");
  }
  ike.retransmit.initialTimeout = Milliseconds(500);
  return c;
}

size_t Count(const std::vector<ipsec::IkeEventType> &events, ipsec::IkeEventType type) {
  size_t n = 0;
  for (const auto e : events)
    n += e == type;
  return n;
}

// Two gateways and the wire between them (10 ms each way, in order), in virtual time.
class BackToBack {
public:
  explicit BackToBack(GreIpsecMode mode, void (*tweak)(GreIpsecGatewayConfig &) = nullptr) {
    for (int side = 0; side < 2; ++side) {
      GreIpsecGatewayConfig config = ConfigFor(mode, side == 0);
      if (tweak) tweak(config);
      gateway[side] = std::make_unique<GreIpsecGateway>(
          config, std::make_unique<crypto::DeterministicRandom>(100 + side));
    }
  }

  void Start() {
    GreIpsecOutput out;
    gateway[0]->Start(now, out);
    Carry(0, out);
  }

  // Runs the wire and both gateways' timers until `until`.
  void RunUntil(Time until) {
    for (;;) {
      Time next = std::min(gateway[0]->NextTimer(), gateway[1]->NextTimer());
      if (!wire.empty()) next = std::min(next, wire.front().at);
      if (next > until) break;
      now = std::max(now, next);
      if (!wire.empty() && wire.front().at <= now) {
        InFlight d = std::move(wire.front());
        wire.pop_front();
        GreIpsecOutput out;
        gateway[d.to]->FromWan(d.protocol, d.payload, now, out);
        Carry(d.to, out);
        continue;
      }
      for (int side = 0; side < 2; ++side) {
        if (gateway[side]->NextTimer() <= now) {
          GreIpsecOutput out;
          gateway[side]->OnTimer(now, out);
          Carry(side, out);
        }
      }
    }
    now = until;
  }

  GreIpsecOutput Send(int from, const crypto::Bytes &inner) {
    GreIpsecOutput out;
    gateway[from]->FromLan(inner, now, out);
    GreIpsecOutput copy = out;
    Carry(from, out);
    return copy;
  }

  // Carries out a gateway's actions as a host would.
  void Carry(int from, GreIpsecOutput &out) {
    for (GreIpsecAction &action : out.actions) {
      if (auto *send = std::get_if<SendOuter>(&action)) {
        if (send->protocol == OuterProtocol::Esp) lastEspSpi[from] = send->spi;
        ++sent;
        if (lose && lose(sent, *send)) continue;
        wire.push_back({now + Milliseconds(10), 1 - from, send->protocol, send->payload});
      } else if (auto *deliver = std::get_if<DeliverInner>(&action)) {
        const crypto::ByteView p = deliver->packet();
        delivered[from].emplace_back(p.data(), p.data() + p.size());
      } else if (auto *event = std::get_if<IkeEventHappened>(&action)) {
        events[from].push_back(event->event.type);
      } else if (auto *timer = std::get_if<TimerChanged>(&action)) {
        BOOST_TEST((timer->at == gateway[from]->NextTimer() || timer->at >= now));
      }
    }
  }

  struct InFlight {
    Time at;
    int to;
    OuterProtocol protocol;
    crypto::Bytes payload;
  };
  std::unique_ptr<GreIpsecGateway> gateway[2];
  std::deque<InFlight> wire;
  // Loses the `n`th outer datagram (counted from 1 over both gateways) when it returns true.
  std::function<bool(size_t n, const SendOuter &)> lose;
  size_t sent = 0;
  Time now{0};
  std::vector<crypto::Bytes> delivered[2];
  std::vector<ipsec::IkeEventType> events[2];
  uint32_t lastEspSpi[2] = {0, 0};
};

size_t CountKind(const GreIpsecOutput &out, OuterProtocol protocol) {
  size_t n = 0;
  for (const GreIpsecAction &action : out.actions)
    if (const auto *send = std::get_if<SendOuter>(&action)) n += send->protocol == protocol;
  return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(gre_over_ipsec_ike_up_a_packet_each_way_a_rekey_and_bad_datagrams) {
  BackToBack b(GreIpsecMode::GreOverIpsec);

  // Before IKE is up there is no SA: the packet is dropped and counted.
  b.Send(0, InnerPacket("10.1.0.1", "10.2.0.1", 100, 0x11));
  BOOST_TEST(b.gateway[0]->counters().drops.at("no-sa") == 1u);

  b.Start();
  b.RunUntil(Seconds(1));
  for (int side = 0; side < 2; ++side) {
    BOOST_TEST(b.gateway[side]->counters().ikeSasEstablished == 1u);
    BOOST_TEST(b.gateway[side]->counters().childSasCreated == 1u);
    BOOST_TEST(b.gateway[side]->sad().inboundCount() == 1u);
    BOOST_TEST(b.gateway[side]->sad().outboundCount() == 1u);
    BOOST_TEST((b.gateway[side]->ike()->state() == ipsec::IkeState::Established));
  }

  const crypto::Bytes aToB = InnerPacket("10.1.0.1", "10.2.0.1", 1000, 0x22);
  const crypto::Bytes bToA = InnerPacket("10.2.0.1", "10.1.0.1", 500, 0x33);
  const GreIpsecOutput sent = b.Send(0, aToB);
  BOOST_TEST(CountKind(sent, OuterProtocol::Esp) == 1u);
  b.Send(1, bToA);
  b.RunUntil(Seconds(2));
  BOOST_REQUIRE(b.delivered[1].size() == 1u);
  BOOST_REQUIRE(b.delivered[0].size() == 1u);
  BOOST_TEST(b.delivered[1][0] == aToB);
  BOOST_TEST(b.delivered[0][0] == bToA);
  BOOST_TEST(b.gateway[0]->gre()->counters().encapsulated == 2u); // the no-sa one was too
  BOOST_TEST(b.gateway[1]->gre()->counters().decapsulated == 1u);
  const uint32_t firstSpi = b.lastEspSpi[0];

  // A rekey the operator asks for: a new Child SA, the old one retired, traffic on the new.
  GreIpsecOutput rekey;
  b.gateway[0]->RekeyChildSa(b.now, rekey);
  BOOST_TEST(CountKind(rekey, OuterProtocol::Ike) == 1u);
  b.Carry(0, rekey);
  b.RunUntil(Seconds(10));
  BOOST_TEST(Count(b.events[0], ipsec::IkeEventType::ChildSaRekeyed) == 1u);
  BOOST_TEST(b.gateway[0]->counters().childSasCreated == 2u);
  b.Send(0, aToB);
  b.RunUntil(Seconds(11));
  BOOST_TEST(b.lastEspSpi[0] != firstSpi);
  BOOST_REQUIRE(b.delivered[1].size() == 2u);
  BOOST_TEST(b.delivered[1][1] == aToB);

  // Bad datagrams are counted drops, each with its reason, never delivered.
  GreIpsecOutput bad;
  const crypto::Bytes garbage(64, 0xEE);
  b.gateway[1]->FromWan(OuterProtocol::Esp, garbage, b.now, bad);
  b.gateway[1]->FromWan(OuterProtocol::Gre, garbage, b.now, bad);
  b.gateway[1]->FromWan(OuterProtocol::Ike, garbage, b.now, bad);
  BOOST_TEST(b.gateway[1]->counters().drops.at("no-sa") == 1u); // unknown SPI 0xEEEEEEEE
  BOOST_TEST(b.gateway[1]->counters().drops.at("unprotected-gre") == 1u);
  const ipsec::IkeCounters &ike = b.gateway[1]->ike()->counters();
  BOOST_TEST(ike.dropMalformed + ike.dropIntegrity + ike.dropUnexpected > 0u);
  size_t drops = 0;
  for (const GreIpsecAction &action : bad.actions) {
    BOOST_TEST(!std::holds_alternative<DeliverInner>(action));
    drops += std::holds_alternative<DropPacket>(action);
  }
  BOOST_TEST(drops == 2u);
  BOOST_TEST(b.gateway[1]->counters().innerPacketsDelivered == 2u);
}

BOOST_AUTO_TEST_CASE(a_soft_lifetime_sends_the_rekey_request_before_the_packet_that_reached_it) {
  BackToBack b(GreIpsecMode::GreOverIpsec,
               [](GreIpsecGatewayConfig &c) { c.ike.lifetime.softPackets = 3; });
  b.Start();
  b.RunUntil(Seconds(1));
  const crypto::Bytes inner = InnerPacket("10.1.0.1", "10.2.0.1", 200, 0x44);
  b.Send(0, inner);
  b.Send(0, inner);
  const GreIpsecOutput third = b.Send(0, inner);
  // The third packet reaches the soft lifetime: IKE's CREATE_CHILD_SA, then the packet.
  BOOST_REQUIRE(third.actions.size() >= 2u);
  const auto *first = std::get_if<SendOuter>(&third.actions.front());
  BOOST_REQUIRE(first != nullptr);
  BOOST_TEST((first->protocol == OuterProtocol::Ike));
  const auto *last = std::get_if<SendOuter>(&third.actions.back());
  BOOST_REQUIRE(last != nullptr);
  BOOST_TEST((last->protocol == OuterProtocol::Esp));
  b.RunUntil(Seconds(5));
  BOOST_TEST(b.gateway[0]->counters().childSasCreated == 2u);
  BOOST_TEST(b.delivered[1].size() == 3u);
}

BOOST_AUTO_TEST_CASE(open_then_finish_esp_equals_from_wan) {
  BackToBack b(GreIpsecMode::GreOverIpsec);
  b.Start();
  b.RunUntil(Seconds(1));
  GreIpsecOutput out;
  const crypto::Bytes inner = InnerPacket("10.1.0.1", "10.2.0.1", 300, 0x55);
  b.gateway[0]->FromLan(inner, b.now, out);
  const auto &esp = std::get<SendOuter>(out.actions.back());
  GreIpsecOutput opened;
  std::optional<OpenedEsp> step = b.gateway[1]->OpenEsp(esp.payload, b.now, opened);
  BOOST_REQUIRE(step.has_value());
  BOOST_TEST(opened.actions.empty()); // nothing delivered before FinishEsp
  // The same packet again is a replay, dropped at the ICV/anti-replay step.
  BOOST_TEST(!b.gateway[1]->OpenEsp(esp.payload, b.now, opened).has_value());
  BOOST_TEST(b.gateway[1]->counters().drops.at("replay") == 1u);
  GreIpsecOutput finished;
  b.gateway[1]->FinishEsp(std::move(*step), finished);
  BOOST_REQUIRE(finished.actions.size() == 1u);
  const auto &deliver = std::get<DeliverInner>(finished.actions.front());
  const crypto::ByteView p = deliver.packet();
  BOOST_TEST(crypto::Bytes(p.data(), p.data() + p.size()) == inner);
}

BOOST_AUTO_TEST_CASE(ipsec_tunnel_mode_checks_the_inner_packet_against_the_selectors) {
  BackToBack b(GreIpsecMode::IpsecTunnel);
  b.Start();
  b.RunUntil(Seconds(1));
  const crypto::Bytes aToB = InnerPacket("10.1.0.7", "10.2.0.9", 700, 0x66);
  const crypto::Bytes bToA = InnerPacket("10.2.0.9", "10.1.0.7", 70, 0x67);
  b.Send(0, aToB);
  b.Send(1, bToA);
  b.RunUntil(Seconds(2));
  BOOST_REQUIRE(b.delivered[1].size() == 1u);
  BOOST_REQUIRE(b.delivered[0].size() == 1u);
  BOOST_TEST(b.delivered[1][0] == aToB);
  BOOST_TEST(b.delivered[0][0] == bToA);
  BOOST_TEST(b.gateway[0]->gre() == nullptr);
  GreIpsecOutput out;
  b.gateway[1]->FromWan(OuterProtocol::Gre, aToB, b.now, out);
  BOOST_TEST(b.gateway[1]->counters().drops.at("unexpected-gre") == 1u);
}

BOOST_AUTO_TEST_CASE(plain_gre_has_no_ike_and_names_its_drops) {
  BackToBack b(GreIpsecMode::Gre);
  b.Start();
  BOOST_TEST(b.wire.empty());
  BOOST_TEST(b.gateway[0]->ike() == nullptr);
  BOOST_TEST((b.gateway[0]->NextTimer() == kNever));
  const crypto::Bytes aToB = InnerPacket("10.1.0.1", "10.2.0.1", 64, 0x77);
  const GreIpsecOutput sent = b.Send(0, aToB);
  BOOST_TEST(CountKind(sent, OuterProtocol::Gre) == 1u);
  b.Send(0, aToB);
  b.RunUntil(Seconds(1));
  BOOST_TEST(b.delivered[1].size() == 2u);
  BOOST_TEST(b.gateway[0]->counters().outerPacketsSent == 2u);

  // Sequence numbers: the first packet again is out of sequence; a bad version is named too.
  GreIpsecOutput out;
  b.gateway[1]->FromWan(OuterProtocol::Gre, std::get<SendOuter>(sent.actions.back()).payload, b.now,
                        out);
  crypto::Bytes badVersion = std::get<SendOuter>(sent.actions.back()).payload;
  badVersion[1] |= 0x07;
  b.gateway[1]->FromWan(OuterProtocol::Gre, badVersion, b.now, out);
  b.gateway[1]->FromWan(OuterProtocol::Esp, aToB, b.now, out);
  b.gateway[1]->FromWan(OuterProtocol::Ike, aToB, b.now, out);
  const auto &drops = b.gateway[1]->counters().drops;
  BOOST_TEST(drops.at("gre-out-of-sequence") == 1u);
  BOOST_TEST(drops.at("gre-bad-version") == 1u);
  BOOST_TEST(drops.at("unexpected-esp") == 1u);
  BOOST_TEST(drops.at("unexpected-udp") == 1u);
  BOOST_TEST(b.delivered[1].size() == 2u);
}

BOOST_AUTO_TEST_CASE(timers_drive_retransmission_lifetime_rekeys_and_dead_peer_detection) {
  BackToBack b(GreIpsecMode::GreOverIpsec, [](GreIpsecGatewayConfig &c) {
    c.ike.lifetime.softTime = Seconds(3);
    c.ike.lifetime.hardTime = Seconds(5);
    c.ike.dpdDelay = Seconds(1);
  });
  // The first IKE_SA_INIT is lost: only the initiator's retransmission timer brings IKE up.
  b.lose = [](size_t n, const SendOuter &send) {
    return n == 1 && send.protocol == OuterProtocol::Ike;
  };
  b.Start();
  BOOST_TEST(b.wire.empty());
  BOOST_TEST((b.gateway[0]->NextTimer() == Milliseconds(500)));
  b.RunUntil(Seconds(2));
  BOOST_TEST(b.gateway[0]->ike()->counters().retransmissions == 1u);
  BOOST_TEST(b.gateway[1]->counters().ikeSasEstablished == 1u);

  // No traffic for 10 s: Child SAs rekeyed on their soft lifetime (every ~3 s), and liveness
  // checks sent after a second without a packet from the peer.
  b.RunUntil(Seconds(12));
  BOOST_TEST(b.gateway[0]->counters().childSasCreated >= 3u);
  BOOST_TEST(b.gateway[0]->ike()->counters().livenessChecksSent +
                 b.gateway[1]->ike()->counters().livenessChecksSent >
             0u);
  BOOST_TEST((b.gateway[0]->ike()->state() == ipsec::IkeState::Established));
  BOOST_TEST(b.gateway[0]->sad().outboundCount() >= 1u);
  const crypto::Bytes inner = InnerPacket("10.1.0.1", "10.2.0.1", 100, 0x88);
  b.Send(0, inner);
  b.RunUntil(Seconds(13));
  BOOST_REQUIRE(!b.delivered[1].empty());
  BOOST_TEST(b.delivered[1].back() == inner);
}

BOOST_AUTO_TEST_CASE(the_inbound_policy_check_can_be_left_to_the_host) {
  // ipsec-up hands every decrypted packet to its TUN; the simulated hosts check it (RFC 4301).
  for (const bool check : {true, false}) {
    BackToBack b(
        GreIpsecMode::IpsecTunnel,
        check ? nullptr : +[](GreIpsecGatewayConfig &c) { c.inboundPolicyCheck = false; });
    const crypto::Bytes outside = InnerPacket("10.9.9.9", "10.2.0.1", 40, 0x99);
    GreIpsecOutput out;
    b.gateway[1]->FinishEsp(OpenedEsp{1, ipsec::kEspNextHeaderIpv4, outside}, out);
    b.gateway[1]->FinishEsp(OpenedEsp{1, 99, outside}, out);
    b.gateway[1]->FinishEsp(OpenedEsp{1, ipsec::kEspNextHeaderIpv4, {}}, out);
    size_t delivered = 0;
    for (const GreIpsecAction &action : out.actions)
      delivered += std::holds_alternative<DeliverInner>(action);
    const auto &drops = b.gateway[1]->counters().drops;
    if (check) {
      BOOST_TEST(delivered == 0u);
      BOOST_TEST(drops.at("policy-mismatch") == 1u);
      BOOST_TEST(drops.at("unexpected-next-header") == 1u);
    } else {
      BOOST_TEST(delivered == 2u); // the empty payload is not delivered
      BOOST_TEST(drops.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(hard_lifetimes_reach_ike_unless_the_host_says_not) {
  for (const bool report : {true, false}) {
    BackToBack b(
        GreIpsecMode::GreOverIpsec,
        report ? +[](GreIpsecGatewayConfig &c) { c.ike.lifetime.hardPackets = 2; }
               : [](GreIpsecGatewayConfig &c) {
                   c.ike.lifetime.hardPackets = 2;
                   c.reportHardLifetimes = false;
                 });
    b.Start();
    b.RunUntil(Seconds(1));
    const crypto::Bytes inner = InnerPacket("10.1.0.1", "10.2.0.1", 60, 0xAA);
    b.Send(0, inner);
    b.Send(0, inner);
    const GreIpsecOutput third = b.Send(0, inner); // beyond the hard limit: dropped
    BOOST_TEST(b.gateway[0]->counters().drops.at("hard-lifetime") == 1u);
    BOOST_TEST(CountKind(third, OuterProtocol::Esp) == 0u);
    BOOST_TEST(CountKind(third, OuterProtocol::Ike) == (report ? 1u : 0u));
  }
}

BOOST_AUTO_TEST_CASE(a_replaced_ike_sa_takes_its_child_sas_with_it) {
  BackToBack b(GreIpsecMode::IpsecTunnel);
  b.Start();
  b.RunUntil(Seconds(1));
  BOOST_TEST(b.gateway[1]->sad().inboundCount() == 1u);
  const uint64_t oldSpiI = b.gateway[1]->ike()->spiI();
  // The initiator restarted (a new IKE SA); the responder starts over too.
  for (int side = 0; side < 2; ++side)
    b.gateway[side]->ReplaceIke(ConfigFor(GreIpsecMode::IpsecTunnel, side == 0).ike);
  for (int side = 0; side < 2; ++side) {
    BOOST_TEST(b.gateway[side]->sad().inboundCount() == 0u);
    BOOST_TEST(b.gateway[side]->sad().outboundCount() == 0u);
    BOOST_TEST((b.gateway[side]->ike()->state() != ipsec::IkeState::Established));
  }
  b.Start();
  b.RunUntil(Seconds(2));
  BOOST_TEST((b.gateway[1]->ike()->state() == ipsec::IkeState::Established));
  BOOST_TEST(b.gateway[1]->ike()->spiI() != oldSpiI);
  const crypto::Bytes inner = InnerPacket("10.1.0.1", "10.2.0.1", 60, 0xBB);
  b.Send(0, inner);
  b.RunUntil(Seconds(3));
  BOOST_REQUIRE(!b.delivered[1].empty());
  BOOST_TEST(b.delivered[1].back() == inner);
}
