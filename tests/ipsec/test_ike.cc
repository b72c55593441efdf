#include <boost/test/unit_test.hpp>

#include "ike_harness.h"
#include "ipsec/key_export.h"

using namespace tunnelsim;
using namespace tunnelsim::ipsec;
using namespace tunnelsim::ipsec::test;
using crypto::Bytes;

namespace {

struct Variant {
  EspCipher ike, esp;
  EspMode mode;
  bool esn, pfs;
};

std::vector<Variant> Variants() {
  std::vector<Variant> v = {
      {EspCipher::ChaCha20Poly1305, EspCipher::ChaCha20Poly1305, EspMode::Tunnel, false, false},
      {EspCipher::ChaCha20Poly1305, EspCipher::ChaCha20Poly1305, EspMode::Transport, true, true},
  };
  if (EspCipherAvailable(EspCipher::Aes256Gcm16)) {
    v.push_back({EspCipher::Aes256Gcm16, EspCipher::Aes256Gcm16, EspMode::Tunnel, true, false});
    v.push_back(
        {EspCipher::Aes256Gcm16, EspCipher::ChaCha20Poly1305, EspMode::Transport, false, true});
  } else {
    BOOST_TEST_MESSAGE("AES-256-GCM unavailable on this CPU: IKE/ESP AES-GCM variants skipped");
  }
  return v;
}

std::pair<IkeConfig, IkeConfig> Configs(const Variant &v) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  for (IkeConfig *c : {&a, &b}) {
    c->ikeCipher = v.ike;
    c->espCipher = v.esp;
    c->childMode = v.mode;
    c->esn = v.esn;
    c->pfs = v.pfs;
  }
  return {a, b};
}

const IkeSaInstall *FindInstall(const Peer &p, uint32_t spi, bool inbound) {
  for (const IkeSaInstall &i : p.installs)
    if (i.config.spi == spi && i.inbound == inbound) return &i;
  return nullptr;
}

// A packet from the initiator's site to the responder's (or back), ESP-protected by the
// sender's SAD in tunnel or transport mode.
EspProtectResult ProtectFrom(Peer &p, bool fromA, EspMode mode, uint32_t id) {
  const uint8_t srcA[] = {10, 1, 0, 5}, dstB[] = {10, 2, 0, 7};
  Bytes inner = fromA ? Ipv4Packet(100, 17, uint8_t(id), srcA, dstB)
                      : Ipv4Packet(100, 17, uint8_t(id), dstB, srcA);
  inner[4] = uint8_t(id >> 8);
  inner[5] = uint8_t(id);
  if (mode == EspMode::Tunnel) return p.sad.ProtectTunnel(inner);
  // Transport mode: what GRE over IPsec does; selectors are the hosts' addresses.
  auto info = ParseIpPacket(inner.data(), inner.size());
  return p.sad.Protect(inner, kEspNextHeaderGre, info->source, info->destination);
}

} // namespace

BOOST_AUTO_TEST_SUITE(ikev2)

BOOST_AUTO_TEST_CASE(exchange_completes_in_two_round_trips_with_matching_keys) {
  for (const Variant &v : Variants()) {
    auto [ca, cb] = Configs(v);
    TwoPeers net(ca, cb, 1);
    net.Start();
    net.RunUntil(Seconds(1));
    BOOST_TEST(IkeStateName(net.a().ike->state()) == std::string("established"));
    BOOST_TEST(IkeStateName(net.b().ike->state()) == std::string("established"));
    // IKE_SA_INIT and IKE_AUTH: two requests, two responses.
    BOOST_TEST(net.a().ikeMessagesSent == 2u);
    BOOST_TEST(net.b().ikeMessagesSent == 2u);
    BOOST_TEST(net.a().ike->counters().retransmissions == 0u);
    // 2 RTTs of 20 ms: established at 40 ms.
    BOOST_REQUIRE(net.a().CountEvents(IkeEventType::Established) == 1u);
    BOOST_REQUIRE(net.a().ike->childSas().size() == 1u);
    BOOST_REQUIRE(net.b().ike->childSas().size() == 1u);
    const IkeChildSaInfo ca1 = net.a().ike->childSas()[0], cb1 = net.b().ike->childSas()[0];
    BOOST_TEST(ca1.outboundSpi == cb1.inboundSpi);
    BOOST_TEST(cb1.outboundSpi == ca1.inboundSpi);
    const IkeSaInstall *aOut = FindInstall(net.a(), ca1.outboundSpi, false);
    const IkeSaInstall *bIn = FindInstall(net.b(), ca1.outboundSpi, true);
    const IkeSaInstall *bOut = FindInstall(net.b(), cb1.outboundSpi, false);
    const IkeSaInstall *aIn = FindInstall(net.a(), cb1.outboundSpi, true);
    BOOST_REQUIRE(aOut && bIn && bOut && aIn);
    BOOST_TEST(aOut->config.keymat == bIn->config.keymat);
    BOOST_TEST(bOut->config.keymat == aIn->config.keymat);
    BOOST_TEST(aOut->config.keymat != bOut->config.keymat);
    BOOST_TEST(aOut->config.keymat.size() == kEspKeymatSize);
    BOOST_TEST((aOut->config.mode == v.mode && aOut->config.esn == v.esn));
    // The installed SAs carry traffic both ways.
    for (int dir = 0; dir < 2; ++dir) {
      Peer &from = dir == 0 ? net.a() : net.b();
      Peer &to = dir == 0 ? net.b() : net.a();
      EspProtectResult sealed = ProtectFrom(from, dir == 0, v.mode, 1);
      BOOST_REQUIRE(sealed.status == EspStatus::Ok);
      BOOST_TEST(to.sad.Process(sealed.packet).status == EspStatus::Ok);
    }
    // Both sides agree on the IKE SA keys.
    BOOST_TEST(net.a().ike->keys()->skD == net.b().ike->keys()->skD);
    BOOST_TEST(net.a().ike->keys()->skEi == net.b().ike->keys()->skEi);
    BOOST_TEST(net.a().ike->spiR() == net.b().ike->spiR());
  }
}

BOOST_AUTO_TEST_CASE(completes_through_retransmissions_under_20_percent_loss) {
  size_t totalRetransmissions = 0, totalResent = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    IkeConfig a = BaseConfig(true), b = BaseConfig(false);
    a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::ChaCha20Poly1305;
    TwoPeers net(a, b, seed, 0.20);
    net.Start();
    net.RunUntil(Seconds(120));
    BOOST_TEST(net.a().ike->state() == IkeState::Established, "seed " << seed);
    BOOST_TEST(net.b().ike->state() == IkeState::Established, "seed " << seed);
    BOOST_TEST(net.a().ike->childSas().size() == 1u);
    BOOST_TEST(net.b().ike->childSas().size() == 1u);
    totalRetransmissions += net.a().ike->counters().retransmissions;
    totalResent += net.b().ike->counters().responsesResent;
  }
  BOOST_TEST(totalRetransmissions > 5u);
  BOOST_TEST(totalResent > 0u); // lost responses were answered from the response cache
}

BOOST_AUTO_TEST_CASE(retransmission_backs_off_exponentially_then_gives_up) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.retransmit.initialTimeout = Seconds(1);
  a.retransmit.backoff = 2.0;
  a.retransmit.maxRetransmits = 4;
  TwoPeers net(a, b, 3, 1.0); // everything is lost
  std::vector<Time> sendTimes;
  crypto::DeterministicRandom rng(9);
  IkeSa lone(a, rng);
  IkeActions act = lone.Start(Time(0));
  sendTimes.push_back(Time(0));
  while (act.nextTimer != kNever) {
    Time t = act.nextTimer;
    act = lone.OnTimer(t);
    if (!act.send.empty()) sendTimes.push_back(t);
    for (const IkeEvent &e : act.events)
      BOOST_TEST((e.type == IkeEventType::Timeout));
  }
  // Sent at 0, retransmitted at 1, 3, 7, 15 s; gave up at 31 s.
  std::vector<double> seconds;
  for (Time t : sendTimes)
    seconds.push_back(ToSeconds(t));
  BOOST_TEST(seconds == (std::vector<double>{0, 1, 3, 7, 15}), boost::test_tools::per_element());
  BOOST_TEST(lone.state() == IkeState::Failed);
  BOOST_TEST(lone.counters().retransmissions == 4u);
}

namespace {

struct FlowStats {
  uint64_t attempted = 0, noSaAtSender = 0, delivered = 0, droppedAtReceiver = 0;
};

// Runs both directions' flows of one packet every 5 ms through the peers' SADs for `duration`.
void RunFlow(TwoPeers &net, EspMode mode, Duration duration, FlowStats &stats,
             bool reportLifetimes) {
  uint32_t id = 0;
  net.tickInterval = Milliseconds(5);
  net.onTick = [&](Time now) {
    for (int from = 0; from < 2; ++from) {
      Peer &p = from == 0 ? net.a() : net.b();
      ++stats.attempted;
      EspProtectResult r = ProtectFrom(p, from == 0, mode, ++id);
      if (r.status == EspStatus::NoSa) {
        ++stats.noSaAtSender;
        continue;
      }
      BOOST_REQUIRE_MESSAGE(r.status == EspStatus::Ok, EspStatusName(r.status));
      if (r.softLifetimeReached && reportLifetimes) {
        net.Apply(from, p.ike->OnChildSaLifetime(r.spi, false, now));
      }
      net.SendData(1 - from, r.packet);
    }
  };
  net.onData = [&](int to, const Bytes &packet) {
    Peer &p = to == 0 ? net.a() : net.b();
    EspOpenResult r = p.sad.Process(packet);
    if (r.status == EspStatus::Ok) {
      ++stats.delivered;
    } else {
      ++stats.droppedAtReceiver;
    }
  };
  net.RunUntil(net.now() + duration);
  net.onTick = nullptr;
  net.tickInterval = Duration(0);
  net.RunUntil(net.now() + Seconds(1)); // drain
}

} // namespace

BOOST_AUTO_TEST_CASE(make_before_break_rekey_loses_no_packet) {
  for (const Variant &v : Variants()) {
    auto [a, b] = Configs(v);
    for (IkeConfig *c : {&a, &b}) {
      c->lifetime.softTime = Seconds(4);
      c->lifetime.hardTime = Seconds(8);
      c->lifetime.jitter = 0.2;
      c->rekeyMode = IkeRekeyMode::MakeBeforeBreak;
      c->rekeyOverlap = Milliseconds(500);
    }
    b.lifetime.softTime = Seconds(5); // the initiator usually rekeys first, but not always
    TwoPeers net(a, b, 11);
    net.Start();
    net.RunUntil(Seconds(1));
    BOOST_REQUIRE(net.a().ike->state() == IkeState::Established);
    FlowStats stats;
    RunFlow(net, v.mode, Seconds(20), stats, false);
    const uint64_t rekeys =
        net.a().ike->counters().childSasRekeyed + 0 * net.b().ike->counters().childSasRekeyed;
    BOOST_TEST(rekeys >= 4u);
    BOOST_TEST(net.a().ike->counters().childSasRekeyed == net.b().ike->counters().childSasRekeyed);
    BOOST_TEST(stats.attempted > 7000u);
    BOOST_TEST(stats.noSaAtSender == 0u);
    BOOST_TEST(stats.droppedAtReceiver == 0u);
    BOOST_TEST(stats.delivered == stats.attempted);
    // Old SAs were deleted after their overlap: at most the one being replaced right now
    // is left besides the current one, and the SADs hold exactly what the IKE SAs know.
    for (Peer *p : {&net.a(), &net.b()}) {
      size_t current = 0;
      for (const IkeChildSaInfo &c : p->ike->childSas())
        current += !c.rekeyed;
      BOOST_TEST(current == 1u);
      BOOST_TEST(p->ike->childSas().size() <= 2u);
      BOOST_TEST(p->sad.inboundCount() == p->ike->childSas().size());
    }
  }
}

BOOST_AUTO_TEST_CASE(packet_lifetime_from_the_data_path_triggers_rekey) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  for (IkeConfig *c : {&a, &b}) {
    c->ikeCipher = c->espCipher = EspCipher::ChaCha20Poly1305;
    c->lifetime.softPackets = 300;
    c->lifetime.hardPackets = 1000;
    c->rekeyOverlap = Milliseconds(200);
  }
  TwoPeers net(a, b, 5);
  net.Start();
  net.RunUntil(Seconds(1));
  FlowStats stats;
  RunFlow(net, EspMode::Tunnel, Seconds(6), stats, true);
  // 1200 packets per direction at 300 per SA: several rekeys, no loss, no hard expiry.
  BOOST_TEST(net.a().ike->counters().childSasRekeyed + net.b().ike->counters().childSasRekeyed >=
             3u);
  BOOST_TEST(stats.delivered == stats.attempted);
  BOOST_TEST(net.a().sad.outboundTotals().dropHardLifetime == 0u);
}

BOOST_AUTO_TEST_CASE(break_before_make_rekey_shows_the_gap) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  for (IkeConfig *c : {&a, &b}) {
    c->ikeCipher = c->espCipher = EspCipher::ChaCha20Poly1305;
    c->lifetime.softTime = Seconds(4);
    c->lifetime.hardTime = Seconds(8);
    c->rekeyMode = IkeRekeyMode::BreakBeforeMake;
  }
  b.lifetime.softTime = Seconds(6);
  TwoPeers net(a, b, 12);
  net.Start();
  net.RunUntil(Seconds(1));
  FlowStats stats;
  RunFlow(net, EspMode::Tunnel, Seconds(10), stats, false);
  BOOST_TEST(net.a().ike->counters().childSasDeleted >= 2u);
  BOOST_TEST(net.a().ike->counters().childSasCreated >= 3u);
  BOOST_TEST(stats.noSaAtSender > 0u); // packets with no SA during delete + create
  BOOST_TEST(stats.delivered + stats.noSaAtSender + stats.droppedAtReceiver == stats.attempted);
  BOOST_TEST(stats.delivered < stats.attempted);
  // Traffic flows again after each gap.
  BOOST_TEST(net.a().sad.outboundCount() == 1u);
  BOOST_TEST(net.b().sad.inboundCount() == 1u);
  BOOST_TEST_MESSAGE("break-before-make: " << stats.noSaAtSender << " of " << stats.attempted
                                           << " packets had no SA");
}

BOOST_AUTO_TEST_CASE(informational_delete_removes_the_child_sa_and_the_ike_sa) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::ChaCha20Poly1305;
  TwoPeers net(a, b, 21);
  net.Start();
  net.RunUntil(Seconds(1));
  BOOST_REQUIRE(net.b().sad.inboundCount() == 1u);
  net.Apply(1, net.b().ike->DeleteChildSa(net.now())); // the responder deletes
  net.RunUntil(Seconds(2));
  BOOST_TEST(net.a().sad.inboundCount() == 0u);
  BOOST_TEST(net.a().sad.outboundCount() == 0u);
  BOOST_TEST(net.b().sad.inboundCount() == 0u);
  BOOST_TEST(net.b().sad.outboundCount() == 0u);
  BOOST_TEST(net.a().CountEvents(IkeEventType::ChildSaDeleted) == 1u);
  BOOST_TEST(net.b().CountEvents(IkeEventType::ChildSaDeleted) == 1u);
  BOOST_TEST(ProtectFrom(net.a(), true, EspMode::Tunnel, 1).status == EspStatus::NoSa);
  BOOST_TEST(net.a().ike->state() == IkeState::Established);
  net.Apply(0, net.a().ike->DeleteIkeSa(net.now()));
  net.RunUntil(Seconds(3));
  BOOST_TEST(net.a().ike->state() == IkeState::Deleted);
  BOOST_TEST(net.b().ike->state() == IkeState::Deleted);
}

BOOST_AUTO_TEST_CASE(wrong_psk_fails_authentication_cleanly) {
  for (int wrongSide = 0; wrongSide < 2; ++wrongSide) {
    IkeConfig a = BaseConfig(true), b = BaseConfig(false);
    a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::ChaCha20Poly1305;
    (wrongSide == 0 ? a : b).psk = Bytes{'w', 'r', 'o', 'n', 'g'};
    TwoPeers net(a, b, 31);
    net.Start();
    net.RunUntil(Seconds(60));
    BOOST_TEST(net.a().ike->state() == IkeState::Failed);
    BOOST_TEST(net.b().ike->state() == IkeState::Failed);
    BOOST_TEST(net.a().CountEvents(IkeEventType::AuthenticationFailed) == 1u);
    BOOST_TEST(net.b().CountEvents(IkeEventType::AuthenticationFailed) == 1u);
    BOOST_TEST(net.a().installs.empty());
    BOOST_TEST(net.b().installs.empty());
    BOOST_TEST(net.a().ike->counters().authFailures + net.b().ike->counters().authFailures >= 1u);
    BOOST_TEST(net.a().ike->counters().retransmissions == 0u); // failed at once, no retries
    BOOST_TEST((net.a().timer == kNever));
  }
  // A wrong identity fails the same way.
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::ChaCha20Poly1305;
  b.remoteId = IkeIdPayload::Fqdn("someone-else.example");
  TwoPeers net(a, b, 32);
  net.Start();
  net.RunUntil(Seconds(5));
  BOOST_TEST(net.b().ike->state() == IkeState::Failed);
  BOOST_TEST(net.a().ike->state() == IkeState::Failed);
}

BOOST_AUTO_TEST_CASE(malformed_and_forged_messages_are_dropped_and_counted) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::ChaCha20Poly1305;
  TwoPeers net(a, b, 41);
  crypto::DeterministicRandom fuzz(77);
  size_t injected = 0;
  // Before each genuine message arrives, the receiver first sees mangled copies of it.
  net.tamper = [&](int to, Bytes &datagram) {
    Peer &p = to == 0 ? net.a() : net.b();
    const IkeCounters before = p.ike->counters();
    std::vector<Bytes> bad;
    bad.push_back(Bytes(datagram.begin(), datagram.begin() + 10)); // truncated header
    Bytes shortLength = datagram;
    shortLength.pop_back(); // length field no longer matches
    bad.push_back(shortLength);
    Bytes badVersion = datagram;
    badVersion[17] = 0x30;
    bad.push_back(badVersion);
    Bytes badPayloadLength = datagram;
    badPayloadLength[kIkeHeaderSize + 2] = 0xFF; // first payload claims to be huge
    bad.push_back(badPayloadLength);
    Bytes flipped = datagram;
    flipped[kIkeHeaderSize + 4 + fuzz.Uniform(datagram.size() - kIkeHeaderSize - 4)] ^= 0x04;
    bad.push_back(flipped);
    Bytes garbage(200);
    fuzz.Fill(garbage.data(), garbage.size());
    bad.push_back(garbage);
    for (Bytes &m : bad) {
      net.Apply(to, p.ike->OnMessage(m, net.now()));
      ++injected;
    }
    const IkeCounters &after = p.ike->counters();
    const uint64_t dropped = (after.dropMalformed - before.dropMalformed) +
                             (after.dropIntegrity - before.dropIntegrity) +
                             (after.dropUnexpected - before.dropUnexpected);
    // The flipped bit in a clear IKE_SA_INIT payload may go unnoticed by parsing (e.g. in
    // a nonce); everything else must be counted as dropped.
    BOOST_TEST(dropped >= bad.size() - 1);
    return true;
  };
  net.Start();
  net.RunUntil(Seconds(30));
  BOOST_TEST(injected >= 24u);
  BOOST_TEST(net.a().ike->counters().dropMalformed > 0u);
  BOOST_TEST(net.b().ike->counters().dropMalformed > 0u);
  BOOST_TEST(net.b().ike->counters().dropIntegrity + net.a().ike->counters().dropIntegrity > 0u);
}

BOOST_AUTO_TEST_CASE(wire_format_round_trips_and_exports) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::ChaCha20Poly1305;
  if (EspCipherAvailable(EspCipher::Aes256Gcm16)) {
    a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::Aes256Gcm16;
  }
  std::vector<Bytes> seen;
  TwoPeers net(a, b, 51);
  net.tamper = [&](int, Bytes &d) {
    seen.push_back(d);
    return true;
  };
  net.Start();
  net.RunUntil(Seconds(1));
  BOOST_REQUIRE(seen.size() == 4u);
  IkeParseResult init = ParseIkeMessage(seen[0], std::nullopt);
  BOOST_REQUIRE(init.message);
  BOOST_TEST(init.message->sa.size() == 1u);
  BOOST_TEST(init.message->ke->group == 31);
  BOOST_TEST(init.message->nonce->size() == 32u);
  BOOST_TEST(init.message->fromInitiator);
  BOOST_TEST(!init.message->response);
  // IKE_AUTH decrypts with SK_ei and carries the Child SA proposal and selectors.
  const IkeSaKeys *keys = net.a().ike->keys();
  IkeParseResult auth = ParseIkeMessage(seen[2], IkeSkKey{a.ikeCipher, keys->skEi});
  BOOST_REQUIRE(auth.message);
  BOOST_TEST(auth.message->messageId == 1u);
  BOOST_TEST((auth.message->idi == a.localId));
  BOOST_TEST(auth.message->auth->data.size() == 32u);
  BOOST_TEST(auth.message->sa[0].protocolId == kProtocolEsp);
  BOOST_TEST(auth.message->tsi->at(0).start.ToString() == "10.1.0.0");
  BOOST_TEST(auth.message->tsi->at(0).end.ToString() == "10.1.255.255");
  BOOST_TEST(ParseIkeMessage(seen[2], IkeSkKey{a.ikeCipher, keys->skEr}).error ==
             IkeParseError::Integrity);

  if (a.espCipher == EspCipher::Aes256Gcm16) {
    auto line = WiresharkEspSaLine(net.a().installs.back().config);
    BOOST_REQUIRE(line);
    BOOST_TEST(line->find("\"IPv4\",\"") == 0u);
    BOOST_TEST(line->find("\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x") != std::string::npos);
    BOOST_TEST(line->find(",\"NULL\",\"\"") != std::string::npos);
    auto ike = WiresharkIkev2Line(net.a().ike->spiI(), net.a().ike->spiR(), *keys, a.ikeCipher);
    BOOST_REQUIRE(ike);
    // Bare hex SPIs (2 x 16), SK_ei/SK_er of 36 bytes (2 x 72), the quoted algorithm (41),
    // two empty integrity keys, "NONE [RFC4306]" (16) and 7 commas.
    BOOST_TEST(ike->size() == 2 * 16 + 2 * 72 + 41 + 16 + 7);
    BOOST_TEST(ike->find("," + crypto::ToHex(keys->skEi) + ",") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
