// An off-path attacker sends random bytes to gwB's WireGuard port: random lengths and
// contents, and random contents behind valid-looking headers (each message type with zero
// reserved bytes and its exact size; transport data even carrying the receiver index of the
// live session). gwB sends nothing at all to the attacker's address, counts every datagram as
// a drop, and the tunnel keeps carrying traffic without a loss.
#include "../ns3-wireguard/site_to_site.h"
#include "attacker.h"

#include "wireguard/messages.h"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <random>

using namespace tunnelsim_test;
using namespace attack_test;
namespace wg = tunnelsim::wireguard;

namespace {

using Messages = std::vector<std::vector<uint8_t>>;

std::vector<uint8_t> RandomBytes(std::mt19937 &random, size_t size) {
  std::vector<uint8_t> bytes(size);
  for (auto &byte : bytes)
    byte = static_cast<uint8_t>(random());
  return bytes;
}

// Random contents behind a header that passes the type, reserved-bytes and size checks.
std::vector<uint8_t> Typed(std::mt19937 &random, uint8_t type, size_t size) {
  std::vector<uint8_t> message = RandomBytes(random, size);
  message[0] = type;
  message[1] = message[2] = message[3] = 0;
  return message;
}

size_t UniformSize(std::mt19937 &random, size_t low, size_t high) {
  return std::uniform_int_distribution<size_t>(low, high)(random);
}

} // namespace

BOOST_FIXTURE_TEST_CASE(random_bytes_to_the_wireguard_port_get_no_reply_and_the_tunnel_works,
                        SimulationTeardown) {
  ResetDefaults(41);
  OffPathHost attacker;
  SiteToSiteOptions options;
  options.extend = [&attacker](SiteToSite &n) { attacker = AttachOffPathHost(n.router); };
  SiteToSite net(options);

  // The receiver index gwA's transport packets carry, read off the WAN by a tap (it is sent
  // in the clear), so some forgeries even name the live session.
  std::optional<uint32_t> liveIndex;
  OnPathReplayer indexSniffer(
      net.router, net.wan.Get(0),
      [&liveIndex](const OuterPacket &p) {
        if (p.ip.GetProtocol() == UdpL4Protocol::PROT_NUMBER && p.payload.size() >= 8 + 32 &&
            p.payload[8] == 4)
          liveIndex = wg::LoadLe32(p.payload.data() + 8 + wg::transport::kReceiver);
        return false;
      },
      Seconds(0));
  indexSniffer.CaptureBetween(Seconds(0), Seconds(20));

  constexpr uint32_t kFullyRandom = 2000, kPerType = 1000, kLiveIndex = 500;
  constexpr uint32_t kTotal = kFullyRandom + 4 * kPerType + kLiveIndex;
  auto messages = std::make_shared<Messages>();
  Ptr<Socket> socket = Socket::CreateSocket(attacker.node, UdpSocketFactory::GetTypeId());
  BOOST_REQUIRE_EQUAL(socket->Bind(), 0);
  // Built once the tunnel is up (the session index is known by then), sent from 3 s to 8 s.
  Simulator::Schedule(Seconds(2.5), [&]() {
    BOOST_REQUIRE(liveIndex.has_value());
    std::mt19937 random(4711);
    for (uint32_t i = 0; i < kFullyRandom; ++i)
      messages->push_back(RandomBytes(random, UniformSize(random, 0, 1400)));
    for (uint32_t i = 0; i < kPerType; ++i) {
      messages->push_back(Typed(random, 1, wg::initiation::kSize));
      messages->push_back(Typed(random, 2, wg::response::kSize));
      messages->push_back(Typed(random, 3, wg::cookie_reply::kSize));
      messages->push_back(Typed(random, 4, UniformSize(random, wg::transport::kMinSize, 1400)));
    }
    for (uint32_t i = 0; i < kLiveIndex; ++i) {
      std::vector<uint8_t> message =
          Typed(random, 4, UniformSize(random, wg::transport::kMinSize, 1400));
      for (int b = 0; b < 4; ++b)
        message[wg::transport::kReceiver + b] = uint8_t(*liveIndex >> (8 * b));
      messages->push_back(std::move(message));
    }
    std::shuffle(messages->begin(), messages->end(), random);
    BOOST_REQUIRE_EQUAL(messages->size(), kTotal);
  });
  ScheduleUdpFlood(socket, InetSocketAddress(net.gwBOuter, kWgPort), messages, Seconds(3),
                   MicroSeconds(750), kTotal);
  TxTo toAttacker(net.gwB, attacker.address);
  CbrFlow flow = InstallCbr(net, Seconds(1), Seconds(10), MilliSeconds(20));
  InnerDuplicates inner(flow.server);
  Simulator::Stop(Seconds(11));
  Simulator::Run();

  const wg::DeviceCounters &b = net.wgB->GetCounters();
  uint64_t received = 0;
  while (socket->Recv())
    ++received;
  BOOST_TEST_MESSAGE("random bytes: "
                     << kTotal << " sent; gwB dropped " << b.Drops(wg::DropReason::Malformed)
                     << " malformed, " << b.Drops(wg::DropReason::BadMac1) << " bad MAC1, "
                     << b.Drops(wg::DropReason::UnexpectedResponse) << " unexpected, "
                     << b.Drops(wg::DropReason::UnknownIndex) << " unknown index, "
                     << b.Drops(wg::DropReason::DecryptFailed) << " failed decryption; "
                     << toAttacker.Packets() << " packets to the attacker");
  BOOST_TEST(toAttacker.Packets() == 0u);
  BOOST_TEST(received == 0u);
  BOOST_TEST(b.TotalDrops() == kTotal);
  BOOST_TEST(b.Drops(wg::DropReason::BadMac1) == 2 * kPerType);
  BOOST_TEST(b.Drops(wg::DropReason::UnexpectedResponse) == kPerType);
  BOOST_TEST(b.Drops(wg::DropReason::DecryptFailed) == kLiveIndex);
  BOOST_TEST(b.Drops(wg::DropReason::UnknownIndex) >= kPerType);
  BOOST_TEST(b.Drops(wg::DropReason::Malformed) + b.Drops(wg::DropReason::UnknownIndex) +
                 b.Drops(wg::DropReason::BadMac1) + b.Drops(wg::DropReason::UnexpectedResponse) +
                 b.Drops(wg::DropReason::DecryptFailed) ==
             kTotal);
  BOOST_TEST(b.cookieRepliesSent == 0u);
  BOOST_TEST(b.handshakesCompleted == 1u);
  BOOST_TEST(flow.server->GetLost() == 0u);
  BOOST_TEST(inner.Received() == 450u);
  BOOST_TEST(inner.Duplicates() == 0u);
  Simulator::Destroy();
}
