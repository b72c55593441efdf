// Handshake behaviour in simulation: retries through loss, keepalive timers, and the cookie
// mechanism under an initiation flood.
#include "site_to_site.h"

#include "wireguard/device.h"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace tunnelsim_test;
namespace wg = tunnelsim::wireguard;
namespace crypto = tunnelsim::crypto;

namespace {

void RecordTime(std::vector<Time> *times, const std::string &) {
  times->push_back(Simulator::Now());
}

} // namespace

BOOST_AUTO_TEST_CASE(handshake_completes_through_30_percent_loss) {
  uint64_t runsWithRetries = 0, totalInitiations = 0;
  for (uint32_t run = 1; run <= 8; ++run) {
    ResetDefaults(run);
    SiteToSite net;
    // 30% loss in both directions of the access link while the tunnel is being set up.
    std::vector<Ptr<RateErrorModel>> models;
    for (uint32_t i = 0; i < 2; ++i) {
      Ptr<RateErrorModel> loss = CreateObject<RateErrorModel>();
      loss->SetRate(0.3);
      loss->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
      loss->AssignStreams(100 + run * 2 + i);
      DynamicCast<PointToPointNetDevice>(net.access.Get(i))->SetReceiveErrorModel(loss);
      models.push_back(loss);
    }
    CbrFlow flow = InstallCbr(net, Seconds(1), Seconds(60), MilliSeconds(100));
    std::vector<Time> completions;
    net.wgA->TraceConnectWithoutContext("HandshakeCompleted",
                                        MakeBoundCallback(&RecordTime, &completions));
    Simulator::Schedule(Seconds(40), [&models]() {
      for (auto &m : models)
        m->Disable();
    });
    Simulator::Stop(Seconds(60));
    Simulator::Run();

    const wg::DeviceCounters &a = net.wgA->GetCounters();
    BOOST_TEST_MESSAGE("run " << run << ": " << a.handshakeInitiationsSent
                              << " initiations, completed at "
                              << (completions.empty() ? -1.0 : completions.front().GetSeconds()));
    BOOST_REQUIRE(!completions.empty());
    // Completed while the loss was still on.
    BOOST_TEST(completions.front() < Seconds(40));
    BOOST_TEST(net.wgB->GetCounters().handshakesCompleted >= 1u);
    BOOST_TEST(flow.server->GetReceived() > 0u);
    totalInitiations += a.handshakeInitiationsSent;
    if (a.handshakeInitiationsSent > 1) ++runsWithRetries;
    Simulator::Destroy();
  }
  // With 30% loss each way, about half of the first attempts fail: retries must have happened.
  BOOST_TEST(runsWithRetries >= 2u);
  BOOST_TEST(totalInitiations > 8u);
}

BOOST_AUTO_TEST_CASE(passive_keepalive_follows_received_data_by_keepalive_timeout) {
  ResetDefaults();
  SiteToSite net;
  // One packet from A to B at t = 2 s, nothing back: B owes A a keepalive 10 s after the data.
  CbrFlow flow = InstallCbr(net, Seconds(2), Seconds(2.05), Seconds(1));
  std::vector<Time> keepalivesA, keepalivesB, dataAtB;
  net.wgA->TraceConnectWithoutContext("KeepaliveSent",
                                      MakeBoundCallback(&RecordTime, &keepalivesA));
  net.wgB->TraceConnectWithoutContext("KeepaliveSent",
                                      MakeBoundCallback(&RecordTime, &keepalivesB));
  net.wgB->TraceConnectWithoutContext(
      "Rx", MakeBoundCallback(
                +[](std::vector<Time> *times, Ptr<const Packet>, const std::string &) {
                  times->push_back(Simulator::Now());
                },
                &dataAtB));
  Simulator::Stop(Seconds(60));
  Simulator::Run();
  BOOST_REQUIRE_EQUAL(flow.server->GetReceived(), 1u);
  BOOST_REQUIRE_EQUAL(dataAtB.size(), 1u);
  BOOST_REQUIRE_EQUAL(keepalivesB.size(), 1u);
  BOOST_TEST((keepalivesB[0] - dataAtB[0]).GetSeconds() == 10.0,
             boost::test_tools::tolerance(1e-6));
  // Keepalives are not answered with keepalives, and A never received data.
  BOOST_TEST(keepalivesA.empty());
  Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(persistent_keepalive_every_interval_while_idle) {
  ResetDefaults();
  SiteToSiteOptions options;
  options.optionsA.persistentKeepalive = Seconds(25);
  SiteToSite net(options);
  std::vector<Time> keepalives;
  net.wgA->TraceConnectWithoutContext("KeepaliveSent", MakeBoundCallback(&RecordTime, &keepalives));
  // Stops before REKEY_AFTER_TIME: keepalives count as sent traffic, so at 120 s the session
  // would be renewed (and the initiator's post-handshake keepalive would join the series).
  Simulator::Stop(Seconds(110));
  Simulator::Run();
  // No traffic at all: the first keepalive (after the handshake it triggers) opens the
  // tunnel, then one every 25 s.
  BOOST_TEST_MESSAGE("first keepalive at " << keepalives.front().GetSeconds() << " s");
  BOOST_REQUIRE_EQUAL(keepalives.size(), 5u);
  BOOST_TEST(keepalives.front() < Seconds(1));
  for (size_t i = 1; i < keepalives.size(); ++i)
    BOOST_TEST((keepalives[i] - keepalives[i - 1]).GetSeconds() == 25.0,
               boost::test_tools::tolerance(1e-6));
  BOOST_TEST(net.wgA->GetCounters().handshakesCompleted == 1u);
  Simulator::Destroy();
}

namespace {

// Handshake initiations addressed to `responder` from identities it does not know: each from
// its own sans-IO device, as a flooding host with many keys would send them.
std::vector<crypto::Bytes> ForeignInitiations(const crypto::X25519PublicKey &responder,
                                              size_t count) {
  std::vector<crypto::Bytes> messages;
  crypto::DeterministicRandom rng(4242);
  for (size_t i = 0; i < count; ++i) {
    wg::DeviceConfig config;
    config.privateKey = crypto::GenerateX25519KeyPair(rng).privateKey;
    wg::PeerConfig peer;
    peer.publicKey = responder;
    peer.allowedIps.push_back(*tunnelsim::IpPrefix::Parse("0.0.0.0/0"));
    peer.endpoint = wg::Endpoint::Parse("198.51.100.2:51820");
    config.peers.push_back(peer);
    wg::Device device(config, rng);
    // Any IPv4 packet triggers the handshake.
    crypto::Bytes packet(20, 0);
    packet[0] = 0x45;
    packet[3] = 20;
    packet[8] = 64;
    packet[12] = 10, packet[15] = 1;
    packet[16] = 10, packet[19] = 2;
    wg::Actions actions = device.OnTunnelPacket(packet, tunnelsim::Time(0));
    BOOST_REQUIRE(!actions.toNetwork.empty());
    messages.push_back(actions.toNetwork.front().data);
  }
  return messages;
}

} // namespace

BOOST_AUTO_TEST_CASE(initiation_flood_from_non_peer_engages_cookies_and_peer_still_connects) {
  ResetDefaults();
  Ptr<Node> attacker;
  Ipv4Address gwBOuter;
  SiteToSiteOptions options;
  options.extend = [&attacker](SiteToSite &net) {
    NodeContainer nodes;
    nodes.Create(1);
    attacker = nodes.Get(0);
    InternetStackHelper internet;
    internet.SetIpv6StackInstall(false);
    internet.Install(attacker);
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue("1Gbps"));
    p2p.SetChannelAttribute("Delay", TimeValue(MilliSeconds(5)));
    Ipv4AddressHelper addresses;
    addresses.SetBase("203.0.113.0", "255.255.255.252");
    addresses.Assign(p2p.Install(net.router, attacker));
  };
  SiteToSite net(options);

  // 1000 initiations per second from 0.5 s to 20 s, far above the under-load threshold.
  const std::vector<crypto::Bytes> flood = ForeignInitiations(net.wgB->GetPublicKey(), 16);
  Ptr<Socket> socket = Socket::CreateSocket(attacker, UdpSocketFactory::GetTypeId());
  socket->Bind();
  const Address target = InetSocketAddress(net.gwBOuter, kWgPort);
  for (uint32_t i = 0; i < 19500; ++i) {
    const crypto::Bytes &message = flood[i % flood.size()];
    Simulator::Schedule(MilliSeconds(500 + i), [socket, target, &message]() {
      socket->SendTo(Create<Packet>(message.data(), message.size()), 0, target);
    });
  }
  CbrFlow flow = InstallCbr(net, Seconds(2), Seconds(25), MilliSeconds(100));
  std::vector<Time> completed, cookiesAtA;
  net.wgA->TraceConnectWithoutContext("HandshakeCompleted",
                                      MakeBoundCallback(&RecordTime, &completed));
  net.wgA->TraceConnectWithoutContext("CookieReplyReceived",
                                      MakeBoundCallback(&RecordTime, &cookiesAtA));
  Simulator::Stop(Seconds(25));
  Simulator::Run();

  const wg::DeviceCounters &b = net.wgB->GetCounters();
  BOOST_TEST_MESSAGE("responder: " << b.cookieRepliesSent << " cookie replies, "
                                   << b.Drops(wg::DropReason::CookieRequired)
                                   << " cookie-required drops, "
                                   << b.Drops(wg::DropReason::UnknownPeer)
                                   << " unknown-peer drops; peer completed at "
                                   << (completed.empty() ? -1 : completed[0].GetSeconds()));
  // The flood put the responder under load: initiations without MAC2 got cookie replies
  // instead of costly DH work.
  BOOST_TEST(b.cookieRepliesSent > 1000u);
  BOOST_TEST(b.Drops(wg::DropReason::CookieRequired) > 1000u);
  // The real peer was asked for a cookie, retried with MAC2 and got through during the flood.
  BOOST_TEST(!cookiesAtA.empty());
  BOOST_REQUIRE(!completed.empty());
  BOOST_TEST(completed.front() > cookiesAtA.front());
  BOOST_TEST(completed.front() < Seconds(20));
  BOOST_TEST(flow.server->GetReceived() > 0u);
  Simulator::Destroy();
}
