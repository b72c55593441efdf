// Simultaneous rekeys (RFC 7296 2.8.1 for Child SAs, 2.8.2 for the IKE SA): both peers' rekey
// timers fire at the same instant, so the two CREATE_CHILD_SA requests cross on the link. Both
// exchanges complete; the SA created by the exchange that carried the lowest of the four nonces
// is redundant and deleted by its creator, the other one survives on both sides. The tests read
// the nonces and SPIs off the wire themselves (decrypting with the IKE SA keys), so the rule is
// checked against the messages, not against the core's own bookkeeping. And: an IKE SA Delete
// whose answers are all lost.
#include <boost/test/unit_test.hpp>

#include "ike_harness.h"
#include "ipsec/ike_message.h"
#include "ipsec/ike_sa_internal.h"

#include <algorithm>

using namespace tunnelsim;
using namespace tunnelsim::ipsec;
using namespace tunnelsim::ipsec::test;
using crypto::Bytes;

namespace {

// One CREATE_CHILD_SA exchange as seen on the wire.
struct WireExchange {
  Bytes nonceI, nonceR;
  Bytes requestSpi, responseSpi; // SA payload SPIs: the new SA's SPI of each end
  bool answered = false;
};

// Records the CREATE_CHILD_SA exchanges started by each peer (index = the requester), decoded
// with the IKE SA keys current when the recorder was made (peer 0 is that SA's initiator).
class ExchangeRecorder {
public:
  ExchangeRecorder(TwoPeers &net, EspCipher cipher)
      : cipher_(cipher), skEi_(net.a().ike->keys()->skEi), skEr_(net.a().ike->keys()->skEr) {}

  void See(int to, const Bytes &bytes) {
    auto header = ParseIkeHeader(bytes);
    if (!header || header->exchange != IkeExchange::CreateChildSa) return;
    const int from = 1 - to;
    const IkeParseResult parsed =
        ParseIkeMessage(bytes, IkeSkKey{cipher_, from == 0 ? skEi_ : skEr_});
    if (!parsed.message || !parsed.message->nonce || parsed.message->sa.empty()) return;
    const IkeMessage &m = *parsed.message;
    if (!m.response) {
      WireExchange &x = started[from];
      x.nonceI = *m.nonce;
      x.requestSpi = m.sa[0].spi;
    } else {
      WireExchange &x = started[to]; // an answer to the request of `to`
      x.nonceR = *m.nonce;
      x.responseSpi = m.sa[0].spi;
      x.answered = true;
    }
  }

  // The requester (0 or 1) whose exchange carried the lowest of the four nonces, compared
  // octet by octet as RFC 7296 2.8.1 says.
  int RequesterOfLowestNonce() const {
    const Bytes *lowest = nullptr;
    int owner = -1;
    for (int i = 0; i < 2; ++i) {
      for (const Bytes *n : {&started[i].nonceI, &started[i].nonceR}) {
        if (!lowest ||
            std::lexicographical_compare(n->begin(), n->end(), lowest->begin(), lowest->end())) {
          lowest = n;
          owner = i;
        }
      }
    }
    return owner;
  }

  WireExchange started[2];

private:
  EspCipher cipher_;
  Bytes skEi_, skEr_;
};

uint32_t SpiU32(const Bytes &b) {
  BOOST_REQUIRE_EQUAL(b.size(), 4u);
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
}

uint64_t SpiU64(const Bytes &b) {
  BOOST_REQUIRE_EQUAL(b.size(), 8u);
  uint64_t v = 0;
  for (uint8_t x : b)
    v = v << 8 | x;
  return v;
}

struct FlowStats {
  uint64_t attempted = 0, noSaAtSender = 0, delivered = 0, droppedAtReceiver = 0;
};

// From now on, one tunnel-mode packet each way every 5 ms over the shared link.
void StartFlow(TwoPeers &net, FlowStats &stats) {
  static const uint8_t siteA[] = {10, 1, 0, 5}, siteB[] = {10, 2, 0, 7};
  net.tickInterval = Milliseconds(5);
  net.onTick = [&net, &stats](Time) {
    for (int from = 0; from < 2; ++from) {
      Peer &p = from == 0 ? net.a() : net.b();
      ++stats.attempted;
      const Bytes inner = from == 0 ? Ipv4Packet(100, 17, 0x11, siteA, siteB)
                                    : Ipv4Packet(100, 17, 0x22, siteB, siteA);
      EspProtectResult r = p.sad.ProtectTunnel(inner);
      if (r.status != EspStatus::Ok) {
        ++stats.noSaAtSender;
        continue;
      }
      net.SendData(1 - from, r.packet);
    }
  };
  net.onData = [&net, &stats](int to, const Bytes &packet) {
    Peer &p = to == 0 ? net.a() : net.b();
    if (p.sad.Process(packet).status == EspStatus::Ok) {
      ++stats.delivered;
    } else {
      ++stats.droppedAtReceiver;
    }
  };
}

void StopFlow(TwoPeers &net) {
  net.onTick = nullptr;
  net.tickInterval = Duration(0);
  net.RunUntil(net.now() + Seconds(1)); // drain
}

} // namespace

BOOST_AUTO_TEST_SUITE(ike_rekey_collisions)

BOOST_AUTO_TEST_CASE(simultaneous_child_sa_rekey_keeps_the_sa_without_the_lowest_nonce) {
  // Seeds until both outcomes were seen (peer 0's and peer 1's exchange redundant).
  bool seenRedundant[2] = {false, false};
  for (uint64_t seed = 1; seed <= 12 && !(seenRedundant[0] && seenRedundant[1]); ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      IkeConfig a = BaseConfig(true), b = BaseConfig(false);
      a.rekeyOverlap = b.rekeyOverlap = Milliseconds(500);
      // B creates the first Child SA on reading IKE_AUTH, A one link delay (10 ms) later on
      // reading the answer: these soft times put both rekey timers at the same instant.
      a.lifetime.softTime = Seconds(3);
      b.lifetime.softTime = Seconds(3) + Milliseconds(10);
      TwoPeers net(a, b, seed);
      net.Start();
      net.RunUntil(Seconds(1));
      BOOST_REQUIRE(net.a().ike->state() == IkeState::Established);
      const uint32_t oldInboundA = net.a().ike->childSas().at(0).inboundSpi;
      ExchangeRecorder wire(net, a.ikeCipher);
      net.tamper = [&](int to, Bytes &bytes) {
        wire.See(to, bytes);
        return true;
      };
      FlowStats flow;
      StartFlow(net, flow);
      net.RunUntil(Seconds(3) + Milliseconds(100)); // both rekeys are over by now
      BOOST_REQUIRE(wire.started[0].answered);
      BOOST_REQUIRE(wire.started[1].answered); // both exchanges completed: they crossed
      const int redundant = wire.RequesterOfLowestNonce();
      const int survivor = 1 - redundant;
      seenRedundant[redundant] = true;
      // The surviving Child SA: the SPIs its exchange carried (request: the requester's
      // inbound SPI, answer: the responder's).
      const uint32_t survivorIn[2] = {
          SpiU32(survivor == 0 ? wire.started[0].requestSpi : wire.started[1].responseSpi),
          SpiU32(survivor == 1 ? wire.started[1].requestSpi : wire.started[0].responseSpi)};
      net.RunUntil(Seconds(5)); // past the overlap and the Deletes
      StopFlow(net);
      for (int i = 0; i < 2; ++i) {
        Peer &p = i == 0 ? net.a() : net.b();
        BOOST_TEST_CONTEXT("peer " << i) {
          const auto children = p.ike->childSas();
          BOOST_REQUIRE_EQUAL(children.size(), 1u);
          BOOST_TEST(children[0].inboundSpi == survivorIn[i]);
          BOOST_TEST(children[0].outboundSpi == survivorIn[1 - i]);
          BOOST_TEST(children[0].outboundInstalled);
          BOOST_TEST(!children[0].rekeyed);
          // No SA leaked in the data path: one SA each way.
          BOOST_TEST(p.sad.inboundCount() == 1u);
          BOOST_TEST(p.sad.outboundCount() == 1u);
          BOOST_TEST(p.sad.FindInbound(survivorIn[i]) != nullptr);
          BOOST_TEST(p.ike->counters().rekeyCollisions == 1u);
          BOOST_TEST(p.ike->counters().childSasRekeyed == 1u);
          BOOST_TEST(p.CountEvents(IkeEventType::ChildSaRekeyed) == 1u);
          // The old and the redundant Child SA.
          BOOST_TEST(p.ike->counters().childSasDeleted == 2u);
          BOOST_TEST(p.ike->counters().dropUnexpected == 0u);
          BOOST_TEST(p.ike->state() == IkeState::Established);
        }
      }
      BOOST_TEST(net.a().ike->childSas().at(0).inboundSpi != oldInboundA);
      BOOST_TEST(flow.attempted > 1500u);
      BOOST_TEST(flow.noSaAtSender == 0u);
      BOOST_TEST(flow.droppedAtReceiver == 0u);
      BOOST_TEST(flow.delivered == flow.attempted);
    }
  }
  BOOST_TEST(seenRedundant[0]);
  BOOST_TEST(seenRedundant[1]);
}

BOOST_AUTO_TEST_CASE(simultaneous_ike_sa_rekey_keeps_the_sa_without_the_lowest_nonce) {
  bool seenRedundant[2] = {false, false};
  for (uint64_t seed = 1; seed <= 12 && !(seenRedundant[0] && seenRedundant[1]); ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      IkeConfig a = BaseConfig(true), b = BaseConfig(false);
      // Established on B when IKE_AUTH arrives, on A 10 ms later: both timers at 10.02 s.
      a.ikeRekeyTime = Seconds(10);
      b.ikeRekeyTime = Seconds(10) + Milliseconds(10);
      TwoPeers net(a, b, seed);
      net.Start();
      net.RunUntil(Seconds(1));
      BOOST_REQUIRE(net.a().ike->state() == IkeState::Established);
      const auto childBefore = net.a().ike->childSas();
      BOOST_REQUIRE_EQUAL(childBefore.size(), 1u);
      ExchangeRecorder wire(net, a.ikeCipher); // the rekeys run on the first IKE SA
      net.tamper = [&](int to, Bytes &bytes) {
        wire.See(to, bytes);
        return true;
      };
      FlowStats flow;
      StartFlow(net, flow);
      net.RunUntil(Seconds(10) + Milliseconds(100));
      BOOST_REQUIRE(wire.started[0].answered);
      BOOST_REQUIRE(wire.started[1].answered);
      const int redundant = wire.RequesterOfLowestNonce();
      const int survivor = 1 - redundant;
      seenRedundant[redundant] = true;
      // The surviving IKE SA: its requester is the new SA's initiator (RFC 7296 2.18).
      const uint64_t spiI = SpiU64(wire.started[survivor].requestSpi);
      const uint64_t spiR = SpiU64(wire.started[survivor].responseSpi);
      net.RunUntil(Seconds(13)); // the Deletes of the old and of the redundant IKE SA are over
      StopFlow(net);
      for (int i = 0; i < 2; ++i) {
        Peer &p = i == 0 ? net.a() : net.b();
        BOOST_TEST_CONTEXT("peer " << i) {
          BOOST_TEST(p.ike->state() == IkeState::Established);
          BOOST_TEST(p.ike->spiI() == spiI);
          BOOST_TEST(p.ike->spiR() == spiR);
          BOOST_TEST(p.ike->config().initiator == (i == survivor));
          BOOST_TEST(p.ike->retiredIkeSaCount() == 0u); // both Deletes answered
          BOOST_TEST(p.ike->counters().ikeSasRekeyed == 1u);
          BOOST_TEST(p.ike->counters().ikeSaRekeysStarted == (i == survivor ? 1u : 0u));
          BOOST_TEST(p.ike->counters().rekeyCollisions == 1u);
          BOOST_TEST(p.CountEvents(IkeEventType::IkeSaRekeyed) == 1u);
          BOOST_TEST(p.CountEvents(IkeEventType::ChildSaDeleted) == 0u);
          BOOST_TEST(p.ike->counters().dropUnexpected == 0u);
          BOOST_TEST(p.ike->counters().dropIntegrity == 0u);
          BOOST_TEST(p.ike->counters().retransmissions == 0u);
          // The Child SA was inherited, untouched.
          const auto children = p.ike->childSas();
          BOOST_REQUIRE_EQUAL(children.size(), 1u);
          BOOST_TEST(p.sad.inboundCount() == 1u);
          BOOST_TEST(p.sad.outboundCount() == 1u);
        }
      }
      BOOST_TEST(net.a().ike->childSas().at(0).inboundSpi == childBefore.at(0).inboundSpi);
      BOOST_TEST((net.a().ike->keys()->skD == net.b().ike->keys()->skD));
      BOOST_TEST(flow.attempted > 4000u);
      BOOST_TEST(flow.delivered == flow.attempted);
      // The surviving IKE SA carries the next exchange (message IDs from 0 on both ends).
      net.Apply(redundant, (redundant == 0 ? net.a() : net.b()).ike->RekeyChildSa(net.now()));
      net.RunUntil(net.now() + Seconds(2));
      BOOST_TEST(net.a().CountEvents(IkeEventType::ChildSaRekeyed) == 1u);
      BOOST_TEST(net.b().CountEvents(IkeEventType::ChildSaRekeyed) == 1u);
    }
  }
  BOOST_TEST(seenRedundant[0]);
  BOOST_TEST(seenRedundant[1]);
}

BOOST_AUTO_TEST_CASE(crossing_rekeys_whose_second_request_is_lost_once_end_on_the_first) {
  // Both timers fire at once, but B's request is lost once: B answered A's request while its
  // own was in flight, A completed its rekey before B's request (resent) arrived. A refuses the
  // late one (Child SA: CHILD_SA_NOT_FOUND, the old one is rekeyed; IKE SA: TEMPORARY_FAILURE
  // on the old SA, or B sees A's Delete of the old SA first), and B moves to A's new SA.
  for (const bool ikeSa : {false, true}) {
    BOOST_TEST_CONTEXT((ikeSa ? "IKE SA" : "Child SA")) {
      IkeConfig a = BaseConfig(true), b = BaseConfig(false);
      a.rekeyOverlap = b.rekeyOverlap = Milliseconds(500);
      if (ikeSa) {
        a.ikeRekeyTime = Seconds(10);
        b.ikeRekeyTime = Seconds(10) + Milliseconds(10);
      } else {
        a.lifetime.softTime = Seconds(10);
        b.lifetime.softTime = Seconds(10) + Milliseconds(10);
      }
      TwoPeers net(a, b, 41);
      net.Start();
      net.RunUntil(Seconds(1));
      BOOST_REQUIRE(net.a().ike->state() == IkeState::Established);
      const uint64_t firstSpiI = net.a().ike->spiI();
      int lost = 0;
      net.tamper = [&](int to, Bytes &bytes) {
        auto header = ParseIkeHeader(bytes);
        const bool bRequest = to == 0 && header && !(header->flags & flags::kResponse) &&
                              header->exchange == IkeExchange::CreateChildSa;
        return !(bRequest && lost++ == 0);
      };
      FlowStats flow;
      StartFlow(net, flow);
      net.RunUntil(Seconds(14));
      StopFlow(net);
      BOOST_TEST(lost >= 1);
      for (int i = 0; i < 2; ++i) {
        Peer &p = i == 0 ? net.a() : net.b();
        BOOST_TEST_CONTEXT("peer " << i) {
          BOOST_TEST(p.ike->state() == IkeState::Established);
          BOOST_TEST(p.ike->childSas().size() == 1u);
          BOOST_TEST(p.sad.inboundCount() == 1u);
          BOOST_TEST(p.sad.outboundCount() == 1u);
          BOOST_TEST(p.ike->retiredIkeSaCount() == 0u);
          BOOST_TEST(p.ike->counters().dropIntegrity == 0u);
          // Only B saw a collision (A's request arrived while B's own was in flight).
          BOOST_TEST(p.ike->counters().rekeyCollisions == (i == 1 ? 1u : 0u));
          if (ikeSa) {
            BOOST_TEST(p.ike->counters().ikeSasRekeyed == 1u);
            BOOST_TEST(p.ike->counters().ikeSaRekeysStarted == (i == 0 ? 1u : 0u));
          } else {
            BOOST_TEST(p.ike->counters().childSasRekeyed == 1u);
          }
        }
      }
      BOOST_TEST(net.a().ike->spiI() == net.b().ike->spiI());
      BOOST_TEST(net.a().ike->spiR() == net.b().ike->spiR());
      BOOST_TEST((net.a().ike->spiI() != firstSpiI) == ikeSa);
      BOOST_TEST(net.a().ike->config().initiator != net.b().ike->config().initiator);
      const auto ca = net.a().ike->childSas(), cb = net.b().ike->childSas();
      BOOST_TEST(ca.at(0).inboundSpi == cb.at(0).outboundSpi);
      BOOST_TEST(ca.at(0).outboundSpi == cb.at(0).inboundSpi);
      BOOST_TEST(flow.attempted > 4000u);
      BOOST_TEST(flow.delivered == flow.attempted);
    }
  }
}

BOOST_AUTO_TEST_CASE(repeated_collisions_under_loss_leave_both_ends_agreeing) {
  // Both ends rekey the Child SA and the IKE SA on the same timers over and over, on a link
  // that loses 10 % of the IKE messages: crossings, late requests, lost answers and
  // retransmissions in every combination. Whatever happens, both ends stay up and agree.
  for (uint64_t seed = 50; seed < 58; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      IkeConfig a = BaseConfig(true), b = BaseConfig(false);
      for (IkeConfig *c : {&a, &b}) {
        c->rekeyOverlap = Milliseconds(300);
        c->rekeyRetryDelay = Milliseconds(200);
        c->lifetime.hardTime = Seconds(30);
        c->retransmit.maxRetransmits = 4; // a retired IKE SA waits 15.5 s for its Delete
      }
      a.lifetime.softTime = Seconds(2);
      b.lifetime.softTime = Seconds(2) + Milliseconds(10);
      a.ikeRekeyTime = Seconds(5);
      b.ikeRekeyTime = Seconds(5) + Milliseconds(10);
      TwoPeers net(a, b, seed, 0.1);
      net.Start();
      net.RunUntil(Seconds(40));
      BOOST_REQUIRE(net.a().ike->state() == IkeState::Established);
      BOOST_REQUIRE(net.b().ike->state() == IkeState::Established);
      BOOST_TEST(net.a().ike->spiI() == net.b().ike->spiI());
      BOOST_TEST(net.a().ike->spiR() == net.b().ike->spiR());
      BOOST_TEST(net.a().ike->config().initiator != net.b().ike->config().initiator);
      BOOST_TEST(net.a().ike->counters().rekeyCollisions > 0u);
      // Every current (not superseded) Child SA of A is one of B's, with the SPIs crossed.
      for (const IkeChildSaInfo &ca : net.a().ike->childSas()) {
        if (ca.rekeyed) continue;
        bool found = false;
        for (const IkeChildSaInfo &cb : net.b().ike->childSas())
          found = found || (cb.inboundSpi == ca.outboundSpi && cb.outboundSpi == ca.inboundSpi);
        BOOST_TEST(found);
      }
      for (Peer *p : {&net.a(), &net.b()}) {
        BOOST_TEST(p->ike->childSas().size() <= 4u);
        BOOST_TEST(p->ike->retiredIkeSaCount() <= 2u);
        BOOST_TEST(p->ike->counters().dropIntegrity == 0u);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(ike_sa_delete_whose_answers_are_lost_ends_locally_after_retransmissions) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.retransmit.maxRetransmits = 3;
  TwoPeers net(a, b, 31);
  net.Start();
  net.RunUntil(Seconds(1));
  BOOST_REQUIRE(net.a().ike->state() == IkeState::Established);
  // Every answer B sends to an INFORMATIONAL request is lost on its way to A.
  int deletesSeenByB = 0, answersLost = 0;
  net.tamper = [&](int to, Bytes &bytes) {
    auto header = ParseIkeHeader(bytes);
    if (!header || header->exchange != IkeExchange::Informational) return true;
    if (to == 1) ++deletesSeenByB;
    if (to == 0 && (header->flags & flags::kResponse)) {
      ++answersLost;
      return false;
    }
    return true;
  };
  net.Apply(0, net.a().ike->DeleteIkeSa(net.now()));
  net.RunUntil(net.now() + Seconds(1));
  // B deleted at once.
  BOOST_TEST(net.b().ike->state() == IkeState::Deleted);
  BOOST_TEST(net.b().sad.inboundCount() == 0u);
  BOOST_TEST(net.a().ike->state() == IkeState::Established); // still waiting for the answer
  net.RunUntil(net.now() + Seconds(20));                     // 0.5 + 1 + 2 + 4 s of back-off
  // A sent the Delete 1 + 3 times and then gave up: deleted locally, not failed.
  BOOST_TEST(deletesSeenByB == 4);
  BOOST_TEST(net.a().ike->counters().retransmissions == 3u);
  BOOST_TEST(net.a().ike->state() == IkeState::Deleted);
  BOOST_TEST(net.a().CountEvents(IkeEventType::IkeSaDeleted) == 1u);
  BOOST_TEST(net.a().CountEvents(IkeEventType::Timeout) == 0u);
  BOOST_TEST(net.a().ike->childSas().empty());
  BOOST_TEST(net.a().sad.inboundCount() == 0u);
  BOOST_TEST(net.a().sad.outboundCount() == 0u);
  // B answered every retransmission from its response cache, byte for byte the same answer.
  BOOST_TEST(answersLost == 4);
  BOOST_TEST(net.b().ike->counters().responsesResent == 3u);
  BOOST_TEST(net.b().ike->counters().dropUnexpected == 0u);
  BOOST_TEST(net.b().CountEvents(IkeEventType::IkeSaDeleted) == 1u);
  // Nothing more is sent or scheduled by either side.
  BOOST_TEST((net.a().timer == kNever));
  BOOST_TEST((net.b().timer == kNever));
}

BOOST_AUTO_TEST_CASE(lowest_nonce_is_compared_octet_by_octet) {
  // The corner cases of the rule the core applies: octets compare unsigned from the first on,
  // a nonce that is a prefix of another is the lower one, and any of the four can decide.
  using ike_internal::OurExchangeHasLowestNonce;
  const Bytes n00ff{0x00, 0xff}, n0100{0x01, 0x00}, n01{0x01}, nff{0xff}, n7f{0x7f};
  BOOST_TEST(OurExchangeHasLowestNonce(n00ff, nff, n0100, n01));  // our Ni
  BOOST_TEST(OurExchangeHasLowestNonce(nff, n00ff, n0100, n01));  // our Nr
  BOOST_TEST(!OurExchangeHasLowestNonce(n0100, nff, n00ff, n7f)); // the peer's Ni
  BOOST_TEST(!OurExchangeHasLowestNonce(nff, n7f, nff, n00ff));   // the peer's Nr
  BOOST_TEST(OurExchangeHasLowestNonce(n01, nff, n0100, nff));    // a prefix is lower
  BOOST_TEST(!OurExchangeHasLowestNonce(n7f, nff, nff, n0100));   // not a number: 0x0100 < 0x7f
}

BOOST_AUTO_TEST_SUITE_END()
