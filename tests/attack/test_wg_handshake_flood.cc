// Handshake floods against a WireGuard responder (gwB) from an off-path host on the router:
// invalid MAC1 costs no DH at all; valid MAC1 with a forged MAC2 under load only earns cookie
// replies (no DH); an attacker that really holds cookies for its address is held to the
// per-source rate limit, and a cookie reply replayed on-path to the initiator is refused. The
// peer keeps (or gets) its tunnel throughout. (tests/ns3-wireguard covers the plain cookie
// flood with MAC2 = 0 and the peer connecting through it.)
#include "../ns3-wireguard/site_to_site.h"
#include "attacker.h"
#include "wg_messages.h"

#include "crypto/x25519.h"
#include "wireguard/cookie.h"
#include "wireguard/messages.h"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <random>

using namespace tunnelsim_test;
using namespace attack_test;
namespace wg = tunnelsim::wireguard;
namespace crypto = tunnelsim::crypto;

namespace {

using Messages = std::vector<std::vector<uint8_t>>;

// X25519OperationCount() at a simulation time.
void SampleDh(uint64_t *into) { *into = crypto::X25519OperationCount(); }

struct FloodNet {
  OffPathHost attacker;
  std::unique_ptr<SiteToSite> net;
  Ptr<Socket> socket;
  Address target;
  uint64_t received = 0; // datagrams that reached the attacker's socket

  FloodNet() {
    SiteToSiteOptions options;
    options.extend = [this](SiteToSite &n) { attacker = AttachOffPathHost(n.router); };
    net = std::make_unique<SiteToSite>(options);
    socket = Socket::CreateSocket(attacker.node, UdpSocketFactory::GetTypeId());
    BOOST_REQUIRE_EQUAL(socket->Bind(InetSocketAddress(Ipv4Address::GetAny(), 40000)), 0);
    target = InetSocketAddress(net->gwBOuter, kWgPort);
    socket->SetRecvCallback(MakeCallback(&FloodNet::OnReceive, this));
  }
  void OnReceive(Ptr<Socket> s) {
    while (s->Recv())
      ++received;
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(invalid_mac1_flood_costs_the_responder_no_dh_and_gets_no_reply,
                        SimulationTeardown) {
  ResetDefaults(11);
  FloodNet f;
  // Well-formed initiations and responses with MAC1 corrupted: they pass every length and
  // type check, so only MAC1 stands between them and the DH operations.
  Messages initiations = NonPeerInitiations(f.net->wgB->GetPublicKey(), "198.51.100.2:51820", 8, 7);
  auto flood = std::make_shared<Messages>();
  std::mt19937 random(99);
  for (auto &message : initiations) {
    message[wg::initiation::kMac1 + 3] ^= 0x5a;
    flood->push_back(message);
    std::vector<uint8_t> response(wg::response::kSize);
    for (auto &byte : response)
      byte = static_cast<uint8_t>(random());
    response[0] = 2, response[1] = response[2] = response[3] = 0;
    flood->push_back(response);
  }
  // 2000 per second for 10 s, far above the 128/s under-load threshold.
  constexpr uint32_t kFlood = 20000;
  ScheduleUdpFlood(f.socket, f.target, flood, Seconds(3), MicroSeconds(500), kFlood);
  TxTo toAttacker(f.net->gwB, f.attacker.address);
  CbrFlow flow = InstallCbr(*f.net, Seconds(1), Seconds(15), MilliSeconds(20));
  uint64_t dhBefore = 0, dhAfter = 0;
  Simulator::Schedule(Seconds(2.9), &SampleDh, &dhBefore);
  Simulator::Schedule(Seconds(13.5), &SampleDh, &dhAfter);
  Simulator::Stop(Seconds(16));
  Simulator::Run();

  const wg::DeviceCounters &b = f.net->wgB->GetCounters();
  BOOST_TEST_MESSAGE("invalid MAC1: " << kFlood << " sent, " << b.Drops(wg::DropReason::BadMac1)
                                      << " BadMac1 drops, " << dhAfter - dhBefore
                                      << " DH operations during the flood");
  BOOST_TEST(dhAfter - dhBefore == 0u);
  BOOST_TEST(b.Drops(wg::DropReason::BadMac1) == kFlood);
  BOOST_TEST(b.TotalDrops() == kFlood);
  // MAC1 is checked before the load test: no cookie replies, nothing at all back.
  BOOST_TEST(b.cookieRepliesSent == 0u);
  BOOST_TEST(toAttacker.Packets() == 0u);
  BOOST_TEST(f.received == 0u);
  // The tunnel was never disturbed: one handshake, every inner packet delivered.
  BOOST_TEST(b.handshakesCompleted == 1u);
  BOOST_TEST(flow.server->GetLost() == 0u);
  BOOST_TEST(flow.server->GetReceived() == 700u);
  Simulator::Destroy();
}

BOOST_FIXTURE_TEST_CASE(valid_mac1_with_forged_mac2_under_load_earns_only_cookie_replies,
                        SimulationTeardown) {
  ResetDefaults(12);
  FloodNet f;
  // A non-peer knows gwB's public key, so its MAC1 is valid; it has no cookie, so it fills
  // MAC2 with random bytes.
  Messages initiations =
      NonPeerInitiations(f.net->wgB->GetPublicKey(), "198.51.100.2:51820", 16, 8);
  auto flood = std::make_shared<Messages>();
  std::mt19937 random(5);
  for (auto &message : initiations) {
    for (size_t i = 0; i < wg::kMacSize; ++i)
      message[wg::initiation::kMac2 + i] = static_cast<uint8_t>(random());
    flood->push_back(message);
  }
  constexpr uint32_t kFlood = 10000; // 1000 per second from 1 s to 11 s
  ScheduleUdpFlood(f.socket, f.target, flood, Seconds(1), MilliSeconds(1), kFlood);
  TxTo toAttacker(f.net->gwB, f.attacker.address);
  // The tunnel comes up before the flood and carries traffic through it.
  CbrFlow flow = InstallCbr(*f.net, Seconds(0.2), Seconds(12), MilliSeconds(20));
  uint64_t dhBefore = 0, dhAfter = 0;
  uint64_t unknownBefore = 0;
  Simulator::Schedule(Seconds(3), [&]() {
    dhBefore = crypto::X25519OperationCount();
    unknownBefore = f.net->wgB->GetCounters().Drops(wg::DropReason::UnknownPeer);
  });
  Simulator::Schedule(Seconds(11.5), &SampleDh, &dhAfter);
  Simulator::Stop(Seconds(13));
  Simulator::Run();

  const wg::DeviceCounters &b = f.net->wgB->GetCounters();
  const uint64_t unknown = b.Drops(wg::DropReason::UnknownPeer);
  const uint64_t cookieRequired = b.Drops(wg::DropReason::CookieRequired);
  BOOST_TEST_MESSAGE("forged MAC2: " << kFlood << " sent; " << unknown
                                     << " reached DH before the load detector engaged, "
                                     << cookieRequired << " cookie replies instead; "
                                     << dhAfter - dhBefore << " DH operations from 3 s to 11.5 s; "
                                     << toAttacker.Bytes() << " bytes back to the attacker");
  // Until 128 handshake messages arrived within a second, each one was processed (and cost
  // DH, ending as an unknown peer); from then on the responder was under load and every
  // forged MAC2 got a cookie reply instead.
  BOOST_TEST(unknown > 0u);
  BOOST_TEST(unknown < wg::Constants{}.underLoadHandshakesPerSecond);
  BOOST_TEST(unknown + cookieRequired == kFlood);
  BOOST_TEST(b.TotalDrops() == kFlood);
  BOOST_TEST(b.cookieRepliesSent == cookieRequired);
  BOOST_TEST(unknownBefore == unknown);
  BOOST_TEST(dhAfter - dhBefore == 0u);
  // The cookie replies went to the (real) source address; fewer bytes than what provoked
  // them (IP and UDP headers included), so the responder is no amplifier.
  BOOST_TEST(toAttacker.Packets() == cookieRequired);
  BOOST_TEST(f.received == cookieRequired);
  BOOST_TEST(toAttacker.Bytes() < uint64_t(kFlood) * (wg::initiation::kSize + 28));
  BOOST_TEST(b.handshakesCompleted == 1u);
  BOOST_TEST(flow.server->GetLost() == 0u);
  BOOST_TEST(flow.server->GetReceived() == 590u);
  Simulator::Destroy();
}

namespace {

// A non-peer that does everything right: it keeps one initiation (so its MAC1 stays the same),
// consumes the cookie replies it gets with the responder's public key and MACs every copy
// with the cookie it holds.
class CookieHoldingAttacker {
public:
  CookieHoldingAttacker(Ptr<Socket> socket, Address target, std::vector<uint8_t> initiation,
                        const crypto::X25519PublicKey &responder)
      : m_socket(socket), m_target(target), m_initiation(std::move(initiation)),
        m_cookies(responder, tunnelsim::Seconds(120)) {
    m_socket->SetRecvCallback(MakeCallback(&CookieHoldingAttacker::OnReceive, this));
  }
  void Flood(Time start, Time interval, uint32_t count) {
    for (uint32_t i = 0; i < count; ++i)
      Simulator::Schedule(start + interval * i, &CookieHoldingAttacker::SendOne, this);
  }
  uint64_t Sent() const { return m_sent; }
  uint64_t SentWithCookie() const { return m_sentWithCookie; }
  uint64_t CookiesAccepted() const { return m_cookiesAccepted; }

private:
  static tunnelsim::Time Now() { return tunnelsim::Time(Simulator::Now().GetNanoSeconds()); }
  void SendOne() {
    std::vector<uint8_t> message = m_initiation;
    if (m_cookies.HasFreshCookie(Now())) ++m_sentWithCookie;
    m_cookies.AddMacs(message.data(), wg::initiation::kMac1, Now());
    m_socket->SendTo(Create<Packet>(message.data(), message.size()), 0, m_target);
    ++m_sent;
  }
  void OnReceive(Ptr<Socket> socket) {
    while (Ptr<Packet> packet = socket->Recv()) {
      std::vector<uint8_t> reply(packet->GetSize());
      packet->CopyData(reply.data(), reply.size());
      if (m_cookies.ConsumeReply(crypto::ByteView(reply.data(), reply.size()), Now()))
        ++m_cookiesAccepted;
    }
  }

  Ptr<Socket> m_socket;
  Address m_target;
  std::vector<uint8_t> m_initiation;
  wg::CookieGenerator m_cookies;
  uint64_t m_sent = 0, m_sentWithCookie = 0, m_cookiesAccepted = 0;
};

} // namespace

BOOST_FIXTURE_TEST_CASE(cookie_holding_non_peer_is_rate_limited_and_replayed_cookie_replies_fail,
                        SimulationTeardown) {
  ResetDefaults(13);
  FloodNet f;
  CookieHoldingAttacker attacker(
      f.socket, f.target,
      NonPeerInitiations(f.net->wgB->GetPublicKey(), "198.51.100.2:51820", 1, 9).front(),
      f.net->wgB->GetPublicKey());
  constexpr double kFloodStart = 1, kFloodSeconds = 15;
  attacker.Flood(Seconds(kFloodStart), MilliSeconds(1), uint32_t(kFloodSeconds * 1000));
  // On the router, towards gwA: cookie replies gwB sends to gwA are copied and replayed to gwA
  // 3 s later (after gwA's handshake retry consumed the genuine ones), and all once more at
  // 18 s.
  OnPathReplayer cookieReplay(
      f.net->router, f.net->access.Get(1),
      [](const OuterPacket &p) {
        return p.ip.GetProtocol() == UdpL4Protocol::PROT_NUMBER &&
               p.payload.size() == 8 + wg::cookie_reply::kSize && p.payload[8] == 3;
      },
      Seconds(3));
  cookieReplay.CaptureBetween(Seconds(0), Seconds(17));
  cookieReplay.ReplayAllAt(Seconds(18));
  // The real peer starts its handshake in the middle of the flood.
  CbrFlow flow = InstallCbr(*f.net, Seconds(4), Seconds(19), MilliSeconds(20));
  uint64_t dhBefore = 0, dhAfter = 0;
  Simulator::Schedule(Seconds(3), &SampleDh, &dhBefore);
  Simulator::Schedule(Seconds(16.5), &SampleDh, &dhAfter);
  Simulator::Stop(Seconds(20));
  Simulator::Run();

  const wg::DeviceCounters &a = f.net->wgA->GetCounters();
  const wg::DeviceCounters &b = f.net->wgB->GetCounters();
  const uint64_t unknown = b.Drops(wg::DropReason::UnknownPeer);
  const uint64_t limited = b.Drops(wg::DropReason::RateLimited);
  BOOST_TEST_MESSAGE("cookie-holding attacker: "
                     << attacker.Sent() << " sent (" << attacker.SentWithCookie()
                     << " with a valid cookie, " << attacker.CookiesAccepted()
                     << " cookies obtained); responder: " << unknown << " unknown-peer, " << limited
                     << " rate-limited, " << b.Drops(wg::DropReason::CookieRequired)
                     << " cookie-required; " << dhAfter - dhBefore
                     << " DH operations from 3 s to 16.5 s; " << cookieReplay.Captured()
                     << " cookie replies to the peer replayed " << cookieReplay.Injected()
                     << " times");
  BOOST_TEST(attacker.CookiesAccepted() >= 1u);
  BOOST_TEST(attacker.SentWithCookie() > 10000u);
  // With a cookie, the token bucket (20/s, burst 5) is all that limits the attacker's DH work.
  const wg::Constants constants;
  const double bound = constants.underLoadHandshakesPerSecond + constants.ratelimitBurst +
                       constants.ratelimitPacketsPerSecond * kFloodSeconds;
  BOOST_TEST(unknown <= bound);
  BOOST_TEST(limited > 10000u);
  // Every attacker initiation was dropped; so was the peer's first one (a cookie reply instead).
  BOOST_TEST(unknown + limited + b.Drops(wg::DropReason::CookieRequired) ==
             attacker.Sent() + a.cookieRepliesReceived);
  BOOST_TEST(b.TotalDrops() == attacker.Sent() + a.cookieRepliesReceived);
  // Each attacker initiation that passes costs the responder 2 X25519 operations; the real
  // handshake costs both sides together 8 (2 key generations and 6 DH).
  const uint64_t attackerDhBound =
      2 * uint64_t(constants.ratelimitPacketsPerSecond * 13.5 + constants.ratelimitBurst);
  BOOST_TEST(dhAfter - dhBefore <= attackerDhBound + 8 * 3);
  // The peer got cookies too, retried with MAC2 and connected during the flood.
  BOOST_TEST(a.cookieRepliesReceived >= 1u);
  BOOST_TEST(b.handshakesCompleted >= 1u);
  BOOST_TEST(flow.server->GetReceived() > 500u);
  // Every replayed cookie reply was refused: gwA takes one cookie reply per MAC1 it sent.
  BOOST_TEST(cookieReplay.Captured() == a.cookieRepliesReceived);
  BOOST_TEST(cookieReplay.Injected() == 2 * cookieReplay.Captured());
  BOOST_TEST(a.Drops(wg::DropReason::BadCookieReply) +
                 a.Drops(wg::DropReason::UnexpectedResponse) ==
             cookieReplay.Injected());
  // gwA's other drops are inner packets that overflowed its staging queue while it waited
  // REKEY_TIMEOUT for the retry the cookie allowed.
  BOOST_TEST(a.TotalDrops() - a.Drops(wg::DropReason::StagedQueueFull) == cookieReplay.Injected());
  Simulator::Destroy();
}
