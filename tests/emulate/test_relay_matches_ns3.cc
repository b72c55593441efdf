// The relay's path model against ns-3, packet for packet: the same scenario (impairments on
// both directions of the access link, the engine's seed derivation), the same packets at the
// same times, once through the relay's LinkHop built by RelaySettingsFrom and once through
// the scenario engine's own ns-3 topology and ImpairmentQueueDisc (InstallImpairments). Each
// packet's fate must agree: dropped or not, and the nanosecond it reaches the far end of the
// link (which also fixes the order). A different core, seed derivation, release order or link
// timing in the relay makes this fail.
#include "relay_from_scenario.h"

#include "impairments.h"
#include "scenario_loader.h"
#include "topology.h"

#include "emulate/link_hop.h"
#include "ns3/impairment/impairment_helper.h"

#include "ns3/ipv4-header.h"
#include "ns3/ipv4-queue-disc-item.h"
#include "ns3/node.h"
#include "ns3/packet.h"
#include "ns3/simulator.h"
#include "ns3/traffic-control-layer.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>

namespace tunnelsim::emulate {
namespace {

using nlohmann::json;

// (packet id, arrival time in ns) in arrival order; ids repeat for netem duplicates.
using Fates = std::vector<std::pair<uint32_t, int64_t>>;

struct TestPacket {
  int64_t atNs;
  uint32_t id;
  size_t payload; // bytes after the 20-byte IPv4 header
};

// A deterministic mix of sizes and gaps: data-sized and ACK-sized packets, bursts and pauses.
std::vector<TestPacket> PacketSequence(size_t count, uint32_t salt) {
  std::vector<TestPacket> packets;
  uint64_t state = 0x9e3779b97f4a7c15ULL ^ salt;
  int64_t t = 1'000'000;
  for (size_t i = 0; i < count; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const uint32_t r = static_cast<uint32_t>(state >> 33);
    const size_t payload = (r % 4 == 0) ? 32 + r % 40 : 1000 + r % 380;
    t += (r % 7 == 0) ? 2'000'000 : 30'000 + r % 120'000;
    packets.push_back({t, static_cast<uint32_t>(i), payload});
  }
  return packets;
}

ns3::Ipv4Header HeaderFor(const TestPacket &p) {
  ns3::Ipv4Header header;
  header.SetSource(ns3::Ipv4Address("100.64.0.1"));
  header.SetDestination(ns3::Ipv4Address("198.51.100.2"));
  header.SetProtocol(253); // experimental: nothing above IP cares
  header.SetTtl(64);
  header.SetPayloadSize(static_cast<uint16_t>(p.payload));
  return header;
}

std::vector<uint8_t> PayloadFor(const TestPacket &p) {
  std::vector<uint8_t> payload(p.payload, 0xab);
  for (int i = 0; i < 4; ++i)
    payload[p.payload - 4 + i] = static_cast<uint8_t>(p.id >> (8 * i));
  return payload;
}

// The bytes ns-3's queue disc sees for the packet (its Ipv4Header serialised + payload).
std::vector<uint8_t> WireBytes(const TestPacket &p) {
  auto payload = PayloadFor(p);
  ns3::Ptr<ns3::Packet> packet = ns3::Create<ns3::Packet>(payload.data(), payload.size());
  packet->AddHeader(HeaderFor(p));
  std::vector<uint8_t> bytes(packet->GetSize());
  packet->CopyData(bytes.data(), bytes.size());
  return bytes;
}

uint32_t IdAtEnd(const uint8_t *data, size_t size) {
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i)
    id |= uint32_t(data[size - 4 + i]) << (8 * i);
  return id;
}

Fates ThroughRelay(const LinkHopSettings &settings, const std::vector<TestPacket> &packets) {
  LinkHop hop(settings);
  Fates fates;
  std::vector<Released> arrived;
  auto runTo = [&](Time until) {
    for (Time next = hop.NextEvent(); next <= until; next = hop.NextEvent()) {
      hop.Advance(next, arrived);
    }
  };
  for (const auto &p : packets) {
    runTo(Time(p.atNs));
    hop.Submit(WireBytes(p), Time(p.atNs));
  }
  runTo(Seconds(100));
  for (const auto &a : arrived) {
    fates.emplace_back(IdAtEnd(a.packet.data(), a.packet.size()), a.due.count());
  }
  return fates;
}

struct Ns3Capture {
  Fates fates;
  void OnMacRx(ns3::Ptr<const ns3::Packet> packet) {
    std::vector<uint8_t> bytes(packet->GetSize());
    packet->CopyData(bytes.data(), bytes.size());
    fates.emplace_back(IdAtEnd(bytes.data(), bytes.size()), ns3::Simulator::Now().GetNanoSeconds());
  }
};

bool Discard(ns3::Ptr<ns3::NetDevice>, ns3::Ptr<const ns3::Packet>, uint16_t,
             const ns3::Address &) {
  return true;
}

// Both access directions through the engine's ns-3 set-up, packets put straight into the
// sending device's traffic control layer (the root queue disc InstallImpairments put there).
std::pair<Fates, Fates> ThroughNs3(const json &resolved, const std::vector<TestPacket> &down,
                                   const std::vector<TestPacket> &up) {
  scenario::Topology topology = scenario::BuildTopology(resolved.at("topology"));
  auto impairments = scenario::InstallImpairments(resolved, topology);
  ns3::Ptr<ns3::NetDevice> homeSide = topology.links.at("access").Get(0);
  ns3::Ptr<ns3::NetDevice> workSide = topology.links.at("access").Get(1);
  BOOST_REQUIRE(ImpairmentHelper::Find(homeSide));
  BOOST_REQUIRE(ImpairmentHelper::Find(workSide));
  Ns3Capture atHome, atWork;
  // Received packets stop at the device: nothing above it answers and disturbs the link.
  homeSide->SetReceiveCallback(ns3::MakeCallback(&Discard));
  workSide->SetReceiveCallback(ns3::MakeCallback(&Discard));
  homeSide->TraceConnectWithoutContext("MacRx", ns3::MakeCallback(&Ns3Capture::OnMacRx, &atHome));
  workSide->TraceConnectWithoutContext("MacRx", ns3::MakeCallback(&Ns3Capture::OnMacRx, &atWork));
  auto schedule = [](ns3::Ptr<ns3::NetDevice> device, const std::vector<TestPacket> &packets) {
    auto tc = device->GetNode()->GetObject<ns3::TrafficControlLayer>();
    for (const auto &p : packets) {
      ns3::Simulator::Schedule(ns3::NanoSeconds(p.atNs), [tc, device, p] {
        auto payload = PayloadFor(p);
        auto packet = ns3::Create<ns3::Packet>(payload.data(), payload.size());
        tc->Send(device, ns3::Create<ns3::Ipv4QueueDiscItem>(packet, device->GetBroadcast(), 0x0800,
                                                             HeaderFor(p)));
      });
    }
  };
  schedule(workSide, down);
  schedule(homeSide, up);
  ns3::Simulator::Stop(ns3::Seconds(100));
  ns3::Simulator::Run();
  ns3::Simulator::Destroy();
  return {atHome.fates, atWork.fates};
}

const char *kScenario = R"(
name = "relay-vs-ns3"
duration = "10s"
seed = 42

[topology]
access_down_rate = "50Mbps"
access_up_rate = "10Mbps"

[impairment.access.down]
delay = "10ms"
jitter = "4ms"
reorder = 5
loss = 2
duplicate = 1
limit = 400

[impairment.access.up]
ack_delay = "20ms"
ack_delay_jitter = "10ms"
ack_classifier = "size"
ack_max_size = 200
ack_thin_drop = 1
ack_thin_every = 4
)";

void RequireSameFates(const Fates &relay, const Fates &ns3) {
  BOOST_TEST_REQUIRE(relay.size() == ns3.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < relay.size(); ++i) {
    if (relay[i] != ns3[i] && ++mismatches <= 5) {
      BOOST_ERROR("packet " << i << ": relay id " << relay[i].first << " at " << relay[i].second
                            << " ns, ns-3 id " << ns3[i].first << " at " << ns3[i].second << " ns");
    }
  }
  BOOST_TEST(mismatches == 0u);
}

BOOST_AUTO_TEST_CASE(relay_link_hops_match_the_ns3_queue_disc_packet_for_packet) {
  const auto loaded = scenario::LoadScenarioText(kScenario, "relay-vs-ns3.toml", {});
  const RelaySettings settings = RelaySettingsFrom(loaded.resolved);
  const auto down = PacketSequence(3000, 1);
  const auto up = PacketSequence(3000, 2);

  const Fates relayDown = ThroughRelay(settings.hops[kAccessDown], down);
  const Fates relayUp = ThroughRelay(settings.hops[kAccessUp], up);
  const auto [ns3Down, ns3Up] = ThroughNs3(loaded.resolved, down, up);

  // The impairments did something worth comparing.
  BOOST_TEST(relayDown.size() < down.size()); // lost
  BOOST_TEST(relayUp.size() < up.size());     // thinned
  bool reordered = false;
  for (size_t i = 1; i < relayDown.size(); ++i)
    reordered |= relayDown[i].first < relayDown[i - 1].first;
  BOOST_TEST(reordered);

  RequireSameFates(relayDown, ns3Down);
  RequireSameFates(relayUp, ns3Up);
}

BOOST_AUTO_TEST_CASE(a_different_seed_gives_different_fates) {
  // The comparison above is sensitive to the seed: the relay with another scenario seed
  // no longer matches ns-3 with the first.
  const auto loaded = scenario::LoadScenarioText(kScenario, "relay-vs-ns3.toml", {});
  const auto other = scenario::LoadScenarioText(kScenario, "relay-vs-ns3.toml",
                                                {scenario::ParseOverride("seed=43")});
  const auto down = PacketSequence(1000, 1);
  const Fates a = ThroughRelay(RelaySettingsFrom(loaded.resolved).hops[kAccessDown], down);
  const Fates b = ThroughRelay(RelaySettingsFrom(other.resolved).hops[kAccessDown], down);
  BOOST_TEST((a != b));
}

} // namespace
} // namespace tunnelsim::emulate
