// MSS clamping and path MTU discovery at the tunnel gateways (tunnel.clamp_mss,
// tunnel.pmtu_discovery), for WireGuard and GRE-over-IPsec, run through the scenario engine in
// this process. Hosts send 1448-byte segments (1500-byte packets) into tunnels whose MTU is
// smaller (WireGuard 1420, IPsec 1400). What crosses each node's IPv4 layer is watched through
// ns-3's own Ipv4L3Protocol Tx trace, independently of the gateways' counters:
//   (a) clamp_mss = "pmtu": no fragment anywhere, SYNs clamped, data flows;
//   (b) pmtu_discovery: the gateway answers with ICMP frag-needed, the sender lowers its MSS,
//       only the first flight is refused and resent at once in smaller segments without a
//       cwnd reduction (Linux's tcp_simple_retransmit), and every byte arrives;
//   (c) neither: the gateway fragments every full-sized segment, as before.
#define BOOST_TEST_MODULE scenario_gateway_mss_tests
#include <boost/test/unit_test.hpp>

#include "runner.h"
#include "scenario_error.h"
#include "scenario_loader.h"
#include "tunnel_spec_json.h"

#include "ns3/config.h"
#include "ns3/ipv4-header.h"
#include "ns3/ipv4.h"
#include "ns3/packet.h"
#include "ns3/simulator.h"

#include <string>
#include <vector>

namespace {

using nlohmann::json;
using namespace tunnelsim::scenario;

constexpr uint64_t kTransferBytes = 150000;

struct IpTally {
  uint64_t fragments = 0;         // IPv4 packets with MF or an offset, on any node
  uint64_t icmpFragNeeded = 0;    // ICMP type 3 code 4 sent by any node
  uint64_t oversizeAfterIcmp = 0; // TCP packets > 1420 bytes sent after the first such ICMP
  bool icmpSeen = false;
};
IpTally gTally;

void OnIpTx(ns3::Ptr<const ns3::Packet> packet, ns3::Ptr<ns3::Ipv4>, uint32_t) {
  ns3::Ipv4Header header;
  ns3::Ptr<ns3::Packet> copy = packet->Copy();
  copy->RemoveHeader(header);
  if (!header.IsLastFragment() || header.GetFragmentOffset() != 0) ++gTally.fragments;
  if (header.GetProtocol() == 1 && copy->GetSize() >= 2) {
    uint8_t typeCode[2];
    copy->CopyData(typeCode, 2);
    if (typeCode[0] == 3 && typeCode[1] == 4) {
      ++gTally.icmpFragNeeded;
      gTally.icmpSeen = true;
    }
  }
  if (gTally.icmpSeen && header.GetProtocol() == 6 &&
      header.GetPayloadSize() + header.GetSerializedSize() > 1420)
    ++gTally.oversizeAfterIcmp;
}

// `bytes` 0: a bulk transfer without end, for `duration`.
json Run(const std::string &tunnel, const std::vector<std::string> &sets,
         uint64_t bytes = kTransferBytes, const std::string &duration = "4s") {
  const std::string text = "name = \"gateway-mss\"\n"
                           "duration = \"" +
                           duration +
                           "\"\n"
                           "[tunnel]\n"
                           "type = \"" +
                           tunnel +
                           "\"\n"
                           "[tcp]\n"
                           "segment_size = 1448\n"
                           "[[traffic.bulk]]\n"
                           "direction = \"download\"\n"
                           "start = \"0.5s\"\n" +
                           (bytes > 0 ? "bytes = " + std::to_string(bytes) + "\n" : "");
  std::vector<Override> overrides;
  for (const std::string &set : sets)
    overrides.push_back(ParseOverride(set));
  const LoadedScenario scenario = LoadScenarioText(text, "gateway-mss.toml", overrides);
  gTally = IpTally{};
  ns3::Simulator::Schedule(ns3::Seconds(0), [] {
    ns3::Config::ConnectWithoutContext("/NodeList/*/$ns3::Ipv4L3Protocol/Tx",
                                       ns3::MakeCallback(&OnIpTx));
  });
  return RunScenario(scenario, RunOptions{}).results;
}

const json &Gateway(const json &results) {
  return results.at("tunnel").at("counters").at("extra").at("gateway");
}

uint64_t Received(const json &results) {
  return results.at("flows").at(0).at("bytes_received").get<uint64_t>();
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_mss_pmtu)

BOOST_AUTO_TEST_CASE(the_keys_decode_to_the_gateway_spec_and_bad_values_are_refused) {
  using tunnelsim::tunnel::GatewaySpec;
  const auto spec = [](const std::vector<std::string> &sets) {
    std::vector<Override> overrides = {ParseOverride("tunnel.type=wireguard")};
    for (const std::string &set : sets)
      overrides.push_back(ParseOverride(set));
    return TunnelSpecFrom(LoadScenarioText("", "case.toml", overrides).resolved).gateway;
  };
  const GatewaySpec off = spec({});
  BOOST_TEST(!off.ClampMssFor(1420).has_value());
  BOOST_TEST(!off.pmtuDiscovery);
  BOOST_TEST(!off.HostsUseMssOption());
  BOOST_TEST(*spec({"tunnel.clamp_mss=pmtu"}).ClampMssFor(1420) == 1380);
  BOOST_TEST(*spec({"tunnel.clamp_mss=pmtu"}).ClampMssFor(1400) == 1360);
  BOOST_TEST(*spec({"tunnel.clamp_mss=1200"}).ClampMssFor(1420) == 1200);
  BOOST_TEST(spec({"tunnel.pmtu_discovery=true"}).HostsUseMssOption());
  // ns-3's own TCP would stall on PMTU discovery: refused.
  BOOST_CHECK_THROW(LoadScenarioText("", "case.toml",
                                     {ParseOverride("tunnel.type=wireguard"),
                                      ParseOverride("tunnel.pmtu_discovery=true"),
                                      ParseOverride("tcp.stack=ns3")}),
                    ScenarioErrors);
  for (const std::string bad : {"12", "65536", "pmtu ", "1e3", "-5", "", "on"}) {
    BOOST_TEST_CONTEXT("clamp_mss = \"" << bad << "\"") {
      BOOST_CHECK_THROW(LoadScenarioText("", "case.toml",
                                         {ParseOverride("tunnel.type=wireguard"),
                                          ParseOverride("tunnel.clamp_mss=" + bad)}),
                        ScenarioErrors);
    }
  }
}

const std::vector<std::string> kTunnels = {"wireguard", "gre-over-ipsec"};

BOOST_AUTO_TEST_CASE(clamping_to_the_tunnel_mtu_leaves_nothing_to_fragment) {
  for (const std::string &tunnel : kTunnels) {
    BOOST_TEST_CONTEXT("tunnel.type = " << tunnel) {
      const json results = Run(tunnel, {"tunnel.clamp_mss=pmtu"});
      BOOST_TEST(gTally.fragments == 0u);
      BOOST_TEST(Gateway(results).at("clamped_syns").get<uint64_t>() >= 2u); // SYN and SYN-ACK
      BOOST_TEST(Gateway(results).at("fragments_into_tunnel").get<uint64_t>() == 0u);
      BOOST_TEST(Gateway(results).at("clamp_malformed").get<uint64_t>() == 0u);
      // The clamp's MSS (tunnel MTU - 40) less 12 bytes of timestamps, nearly every segment.
      const json &flow = results.at("flows").at(0);
      const double averageSegment = flow.at("data_bytes_sent").get<double>() /
                                    flow.at("data_segments_sent").get<double>();
      BOOST_TEST(averageSegment > 1300.0);
      BOOST_TEST(Received(results) == kTransferBytes);
      BOOST_TEST(results.at("flows").at(0).at("goodput_mbps").get<double>() > 0.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_fixed_clamp_below_the_mtu_is_what_the_sender_uses) {
  // 1000-byte MSS: 1000 - 12 bytes of timestamps per segment, well inside either tunnel.
  const json results = Run("wireguard", {"tunnel.clamp_mss=\"1000\""});
  BOOST_TEST(gTally.fragments == 0u);
  BOOST_TEST(Gateway(results).at("clamped_syns").get<uint64_t>() >= 2u);
  const json &flow = results.at("flows").at(0);
  const double segments = flow.at("data_segments_sent").get<double>();
  // At most 1000 - 12, and not RFC 1122's 536 - 12 that a gateway inserts into a SYN that
  // arrives without an MSS option (the hosts advertise theirs, as Linux does).
  const double averageSegment = flow.at("data_bytes_sent").get<double>() / segments;
  BOOST_TEST(averageSegment <= 988.0);
  BOOST_TEST(averageSegment > 950.0);
  BOOST_TEST(Received(results) == kTransferBytes);
}

BOOST_AUTO_TEST_CASE(pmtu_discovery_answers_with_icmp_and_the_sender_lowers_its_mss) {
  for (const std::string &tunnel : kTunnels) {
    BOOST_TEST_CONTEXT("tunnel.type = " << tunnel) {
      const json results = Run(tunnel, {"tunnel.pmtu_discovery=true"});
      const json &gateway = Gateway(results);
      BOOST_TEST(gateway.at("icmp_frag_needed_sent").get<uint64_t>() > 0u);
      BOOST_TEST(gTally.icmpFragNeeded == gateway.at("icmp_frag_needed_sent").get<uint64_t>());
      // Only the first flight (initial window of 10 segments, two fragments each) is refused;
      // nothing larger than the tunnel leaves a host once the first ICMP error is out.
      BOOST_TEST(gateway.at("pmtu_drops").get<uint64_t>() <= 20u);
      BOOST_TEST(gTally.fragments <= 20u);
      BOOST_TEST(gTally.oversizeAfterIcmp <= 10u); // the rest of the flight already in transit
      BOOST_TEST(Received(results) == kTransferBytes);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_refused_flight_is_resent_at_once_without_a_cwnd_reduction) {
  // Linux's tcp_simple_retransmit: after the ICMP error the sender marks the too-big segments
  // lost and resends them in smaller pieces at once, keeping cwnd and ssthresh. Repaired by
  // TLP and an RTO instead (as before it was modelled), cwnd restarts from one segment and the
  // first seconds' goodput was about 1/60 of the clamped run's.
  for (const std::string &tunnel : kTunnels) {
    BOOST_TEST_CONTEXT("tunnel.type = " << tunnel) {
      const json clamped = Run(tunnel, {"tunnel.clamp_mss=pmtu"}, 0, "3s");
      const json discovered = Run(tunnel, {"tunnel.pmtu_discovery=true"}, 0, "3s");
      BOOST_TEST(Gateway(discovered).at("icmp_frag_needed_sent").get<uint64_t>() > 0u);
      const json &flow = discovered.at("flows").at(0);
      BOOST_TEST(flow.at("linux_tcp").at("retransmission_timeouts").get<uint64_t>() == 0u);
      BOOST_TEST(flow.at("linux_tcp").at("tlps_sent").get<uint64_t>() == 0u);
      BOOST_TEST(gTally.oversizeAfterIcmp <= 10u);
      const double goodput = flow.at("goodput_mbps").get<double>();
      const double clampedGoodput = clamped.at("flows").at(0).at("goodput_mbps").get<double>();
      BOOST_TEST(goodput >= 0.8 * clampedGoodput);
    }
  }
}

BOOST_AUTO_TEST_CASE(without_either_the_gateway_fragments_as_before) {
  for (const std::string &tunnel : kTunnels) {
    BOOST_TEST_CONTEXT("tunnel.type = " << tunnel) {
      const json results = Run(tunnel, {});
      // Every full-sized segment is split in two on its way into the tunnel.
      BOOST_TEST(gTally.fragments >= 2 * (kTransferBytes / 1448));
      BOOST_TEST(gTally.icmpFragNeeded == 0u);
      const json &counters = results.at("tunnel").at("counters");
      const bool reported = counters.contains("extra") && counters.at("extra").contains("gateway");
      BOOST_TEST(!reported); // results.json as before either feature existed
      BOOST_TEST(Received(results) == kTransferBytes);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
