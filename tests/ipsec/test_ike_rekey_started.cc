// IKE SA rekeying started by our core (RFC 7296 2.8, IkeConfig::ikeRekeyTime): both ends move
// to the same new SPIs and keys, the Child SAs and their ESP traffic are untouched, the old IKE
// SA is deleted (its Delete retransmitted when lost), and the new SA carries further exchanges.
#include <boost/test/unit_test.hpp>

#include "ike_harness.h"
#include "ipsec/ike_message.h"

using namespace tunnelsim;
using namespace tunnelsim::ipsec;
using namespace tunnelsim::ipsec::test;

namespace {

// One tunnel-mode ESP packet from the other side on its current outbound SA: opened by `to`?
bool DeliveredEsp(TwoPeers &net, int to) {
  static const uint8_t siteA[] = {10, 1, 0, 5}, siteB[] = {10, 2, 0, 5};
  Peer &from = to == 0 ? net.b() : net.a();
  Peer &receiver = to == 0 ? net.a() : net.b();
  const crypto::Bytes inner =
      Ipv4Packet(64, 17, 0x5A, to == 0 ? siteB : siteA, to == 0 ? siteA : siteB);
  EspProtectResult sealed = from.sad.ProtectTunnel(inner);
  if (sealed.status != EspStatus::Ok) return false;
  return receiver.sad.Process(sealed.packet).status == EspStatus::Ok;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ike_rekey_started)

BOOST_AUTO_TEST_CASE(either_side_rekeys_the_ike_sa_and_the_child_sa_stays) {
  for (const bool initiatorRekeys : {true, false}) {
    BOOST_TEST_CONTEXT("rekeyed by the " << (initiatorRekeys ? "initiator" : "responder")) {
      IkeConfig a = BaseConfig(true), b = BaseConfig(false);
      (initiatorRekeys ? a : b).ikeRekeyTime = Seconds(10);
      TwoPeers net(a, b, 21);
      net.Start();
      net.RunUntil(Seconds(5));
      BOOST_REQUIRE(net.a().ike->state() == IkeState::Established);
      const uint64_t oldSpiI = net.a().ike->spiI(), oldSpiR = net.a().ike->spiR();
      const crypto::Bytes oldSkD = net.a().ike->keys()->skD;
      const auto childBefore = net.a().ike->childSas();
      BOOST_REQUIRE_EQUAL(childBefore.size(), 1u);
      net.RunUntil(Seconds(12)); // past the rekey at 10 s (no jitter)

      IkeSa &rekeyer = *(initiatorRekeys ? net.a() : net.b()).ike;
      IkeSa &other = *(initiatorRekeys ? net.b() : net.a()).ike;
      BOOST_TEST(rekeyer.counters().ikeSaRekeysStarted == 1u);
      BOOST_TEST(rekeyer.counters().ikeSasRekeyed == 1u);
      BOOST_TEST(other.counters().ikeSasRekeyed == 1u);
      BOOST_TEST(other.counters().ikeSaRekeysStarted == 0u);
      BOOST_TEST(net.a().ike->spiI() == net.b().ike->spiI());
      BOOST_TEST(net.a().ike->spiR() == net.b().ike->spiR());
      BOOST_TEST((net.a().ike->spiI() != oldSpiI && net.a().ike->spiR() != oldSpiR));
      BOOST_TEST((net.a().ike->keys()->skD == net.b().ike->keys()->skD));
      BOOST_TEST((net.a().ike->keys()->skD != oldSkD));
      // The rekey's initiator is the new IKE SA's initiator (RFC 7296 2.18).
      BOOST_TEST(rekeyer.config().initiator);
      BOOST_TEST(!other.config().initiator);
      // Same Child SA, still carrying ESP both ways.
      const auto childAfter = net.a().ike->childSas();
      BOOST_REQUIRE_EQUAL(childAfter.size(), 1u);
      BOOST_TEST(childAfter[0].inboundSpi == childBefore[0].inboundSpi);
      BOOST_TEST(DeliveredEsp(net, 0));
      BOOST_TEST(DeliveredEsp(net, 1));
      for (Peer *p : {&net.a(), &net.b()}) {
        BOOST_TEST(p->CountEvents(IkeEventType::IkeSaRekeyed) == 1u);
        BOOST_TEST(p->CountEvents(IkeEventType::ChildSaDeleted) == 0u);
        BOOST_TEST(p->ike->counters().dropIntegrity == 0u);
        BOOST_TEST(p->ike->counters().dropUnexpected == 0u);
        BOOST_TEST(p->ike->state() == IkeState::Established);
      }

      // The new IKE SA carries a Child SA rekey from either end (message IDs from 0).
      net.Apply(1, net.b().ike->RekeyChildSa(net.now()));
      net.RunUntil(Seconds(14));
      BOOST_TEST(net.a().CountEvents(IkeEventType::ChildSaRekeyed) == 1u);
      BOOST_TEST(net.b().CountEvents(IkeEventType::ChildSaRekeyed) == 1u);
      // The next IKE rekey is scheduled from the end of the last one: 10 s later.
      net.RunUntil(Seconds(20) - Milliseconds(50));
      BOOST_TEST(rekeyer.counters().ikeSaRekeysStarted == 1u);
      net.RunUntil(Seconds(21));
      BOOST_TEST(rekeyer.counters().ikeSaRekeysStarted == 2u);
      BOOST_TEST(net.a().ike->spiI() == net.b().ike->spiI());
      BOOST_TEST(net.a().ike->childSas().size() == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(lost_delete_of_the_old_ike_sa_is_retransmitted) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.ikeRekeyTime = Seconds(10);
  TwoPeers net(a, b, 22);
  net.Start();
  net.RunUntil(Seconds(5));
  const uint64_t oldSpiI = net.a().ike->spiI();
  int lostDeletes = 0, deliveredOldSpi = 0;
  net.tamper = [&](int to, crypto::Bytes &bytes) {
    auto header = ParseIkeHeader(bytes);
    if (to != 1 || !header || header->spiI != oldSpiI ||
        header->exchange != IkeExchange::Informational) {
      return true;
    }
    ++deliveredOldSpi;
    return lostDeletes++ > 0; // the first Delete of the old IKE SA is lost
  };
  const uint64_t retransmitsBefore = net.a().ike->counters().retransmissions;
  net.RunUntil(Seconds(15));
  BOOST_TEST(net.a().ike->counters().ikeSaRekeysStarted == 1u);
  BOOST_TEST(deliveredOldSpi == 2);
  BOOST_TEST(net.a().ike->counters().retransmissions == retransmitsBefore + 1);
  // Answered: no further retransmissions of it.
  const size_t sentAfter = net.a().ikeMessagesSent;
  net.RunUntil(Seconds(19));
  BOOST_TEST(net.a().ikeMessagesSent == sentAfter);
  BOOST_TEST(net.b().ike->counters().dropUnexpected == 0u);
  BOOST_TEST(net.a().ike->state() == IkeState::Established);
}

BOOST_AUTO_TEST_CASE(refused_ike_rekey_is_retried_and_the_old_sa_stays) {
  // The peer answers TEMPORARY_FAILURE (its own request in flight): we keep the old IKE SA and
  // try again about rekeyRetryDelay later.
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.ikeRekeyTime = Seconds(10);
  TwoPeers net(a, b, 23);
  net.Start();
  net.RunUntil(Seconds(5));
  const uint64_t oldSpiI = net.a().ike->spiI();
  // B has a request outstanding exactly when A's rekey arrives: B's DPD-free liveness request
  // is simulated by dropping B's first CREATE_CHILD_SA answer and making B send a request.
  int refused = 0;
  net.tamper = [&](int to, crypto::Bytes &bytes) {
    auto header = ParseIkeHeader(bytes);
    if (to == 1 && header && header->exchange == IkeExchange::CreateChildSa && refused == 0) {
      ++refused;
      net.Apply(1, net.b().ike->DeleteChildSa(net.now())); // B now has a request outstanding
    }
    return true;
  };
  net.RunUntil(Seconds(10) + Milliseconds(5));
  net.RunUntil(Seconds(16));
  BOOST_TEST(refused == 1);
  BOOST_TEST(net.a().ike->counters().rekeyCollisions >= 1u);
  BOOST_TEST(net.a().ike->counters().ikeSaRekeysStarted == 1u);
  BOOST_TEST(net.a().ike->spiI() != oldSpiI);
  BOOST_TEST(net.a().ike->spiI() == net.b().ike->spiI());
  BOOST_TEST(net.a().ike->state() == IkeState::Established);
  BOOST_TEST(net.b().ike->state() == IkeState::Established);
}

BOOST_AUTO_TEST_CASE(a_rekey_time_without_jitter_leaves_the_random_stream_alone) {
  // Until the first rekey, a run with ikeRekeyTime set (no jitter) draws exactly what a run
  // without IKE SA rekeying draws: the same SPIs, keys and Child SAs for the same seed.
  auto childSpisAndKeys = [](Duration rekeyTime) {
    IkeConfig a = BaseConfig(true), b = BaseConfig(false);
    a.ikeRekeyTime = b.ikeRekeyTime = rekeyTime;
    TwoPeers net(a, b, 24);
    net.Start();
    net.Apply(0, net.a().ike->RekeyChildSa(Seconds(0)));
    net.RunUntil(Seconds(5));
    net.Apply(1, net.b().ike->RekeyChildSa(net.now()));
    net.RunUntil(Seconds(9));
    std::vector<crypto::Bytes> out{net.a().ike->keys()->skD};
    for (const IkeSaInstall &i : net.a().installs)
      out.push_back(i.config.keymat);
    return out;
  };
  BOOST_TEST((childSpisAndKeys(Seconds(0)) == childSpisAndKeys(Seconds(10))));
  BOOST_TEST(childSpisAndKeys(Seconds(0)).size() >= 5u); // IKE keys + 2 Child SAs, both ways
}

BOOST_AUTO_TEST_SUITE_END()
