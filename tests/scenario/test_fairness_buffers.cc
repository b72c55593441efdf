// Jain's fairness index over bulk flows and the warning for a TCP buffer below the path's BDP
// (issue #19): the formula on known vectors, and which keys warn on which scenarios.
#include <boost/test/unit_test.hpp>

#include "buffer_check.h"
#include "fairness.h"
#include "scenario_loader.h"

using namespace tunnelsim::scenario;
using nlohmann::json;

namespace {

LoadedScenario Load(const std::string &text, const std::vector<Override> &overrides = {}) {
  return LoadScenarioText(text, "case.toml", overrides);
}

json Flow(const char *kind, double goodput) { return {{"kind", kind}, {"goodput_mbps", goodput}}; }

// The default path: 100 Mbit/s down, one-way 0.1 + 5 + 15 + 0.1 ms, so 40.4 ms round trip.
constexpr double kDefaultRttS = 0.0404;
constexpr uint64_t kDefaultBdpBytes = 505000; // 100e6 / 8 * 0.0404

} // namespace

BOOST_AUTO_TEST_SUITE(fairness_and_buffers)

BOOST_AUTO_TEST_CASE(jain_index_on_known_vectors) {
  BOOST_TEST(*JainIndex({5, 5, 5, 5}) == 1.0, boost::test_tools::tolerance(1e-12));
  // One flow with everything: 1/n.
  BOOST_TEST(*JainIndex({7, 0, 0, 0}) == 0.25, boost::test_tools::tolerance(1e-12));
  // (1+2+3+4)^2 / (4 * (1+4+9+16)) = 100 / 120.
  BOOST_TEST(*JainIndex({1, 2, 3, 4}) == 100.0 / 120.0, boost::test_tools::tolerance(1e-12));
  // Scale-free: the same shares in other units give the same index.
  BOOST_TEST(*JainIndex({10, 20, 30, 40}) == *JainIndex({1, 2, 3, 4}),
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*JainIndex({3, 1}) == 16.0 / 20.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(!JainIndex({}).has_value());
  BOOST_TEST(!JainIndex({0, 0}).has_value());
}

BOOST_AUTO_TEST_CASE(fairness_json_covers_bulk_flows_only) {
  const json flows = json::array(
      {Flow("bulk", 1), Flow("ping", 0), Flow("bulk", 3), Flow("udp", 50), Flow("bulk", 2)});
  const std::optional<json> fairness = BulkFairnessJson(flows);
  BOOST_TEST_REQUIRE(fairness.has_value());
  BOOST_TEST(fairness->at("flows").get<int>() == 3);
  BOOST_TEST(fairness->at("jain").get<double>() == 36.0 / 42.0,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(fairness->at("min_goodput_mbps").get<double>() == 1.0);
  BOOST_TEST(fairness->at("max_goodput_mbps").get<double>() == 3.0);
  // One bulk flow (whatever else runs): nothing to compare.
  BOOST_TEST(!BulkFairnessJson(json::array({Flow("bulk", 9), Flow("udp", 1)})).has_value());
  // Every bulk flow starved: the index is undefined, the key says so.
  BOOST_TEST(
      BulkFairnessJson(json::array({Flow("bulk", 0), Flow("bulk", 0)}))->at("jain").is_null());
}

BOOST_AUTO_TEST_CASE(defaults_do_not_warn) {
  for (const char *stack : {"linux", "ns3"}) {
    const LoadedScenario loaded = Load(std::string("[tcp]\nstack = \"") + stack + "\"\n");
    BOOST_TEST(BuffersBelowPathBdp(loaded.resolved).empty(), stack);
    BOOST_TEST(loaded.warnings.empty(), stack);
  }
  // Autotuning without set maxima grows past any BDP, even at 10 Gbit/s.
  const LoadedScenario fast =
      Load("[topology]\naccess_down_rate = \"10Gbps\"\nwan_rate = \"10Gbps\"\n"
           "lan_rate = \"10Gbps\"\n");
  BOOST_TEST(BuffersBelowPathBdp(fast.resolved).empty());
}

BOOST_AUTO_TEST_CASE(fixed_receive_buffer_below_bdp_warns_with_the_cap) {
  const LoadedScenario loaded = Load("[tcp]\nautotune_buffers = false\nreceive_buffer = 65536\n");
  const std::vector<BufferBelowBdp> found = BuffersBelowPathBdp(loaded.resolved);
  BOOST_TEST_REQUIRE(found.size() == 1u);
  BOOST_TEST(found[0].key == "tcp.receive_buffer");
  BOOST_TEST(found[0].bufferBytes == 65536u);
  BOOST_TEST(found[0].bdpBytes == kDefaultBdpBytes);
  BOOST_TEST(found[0].roundTripMs == 40.4, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(found[0].goodputCapMbps == 65536 * 8 / kDefaultRttS / 1e6,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST_REQUIRE(loaded.warnings.size() == 1u);
  const std::string &warning = loaded.warnings[0];
  for (const char *part :
       {"case.toml", "tcp.receive_buffer = 65536 bytes", "505000 bytes", "12.98 Mbit/s"})
    BOOST_TEST(warning.find(part) != std::string::npos, warning << " lacks " << part);
  const json record = found[0].ToJson();
  BOOST_TEST(record.at("key") == "tcp.receive_buffer");
  BOOST_TEST(record.at("goodput_cap_mbps").get<double>() == found[0].goodputCapMbps);
}

BOOST_AUTO_TEST_CASE(each_binding_key_is_named) {
  // stack ns3 has no autotuning: its send buffer binds.
  auto keys = [](const LoadedScenario &loaded) {
    std::vector<std::string> names;
    for (const BufferBelowBdp &buffer : BuffersBelowPathBdp(loaded.resolved))
      names.push_back(buffer.key);
    return names;
  };
  BOOST_TEST(keys(Load("[tcp]\nstack = \"ns3\"\nsend_buffer = 100000\n")) ==
                 std::vector<std::string>{"tcp.send_buffer"},
             boost::test_tools::per_element());
  // With autotuning the fixed buffers do not apply, a set maximum does.
  BOOST_TEST(keys(Load("[tcp]\nsend_buffer = 100000\nreceive_buffer_max = 65536\n")) ==
                 std::vector<std::string>{"tcp.receive_buffer_max"},
             boost::test_tools::per_element());
  // At the BDP exactly the buffer fills the path.
  BOOST_TEST(keys(Load("[tcp]\nautotune_buffers = false\n",
                       {{"tcp.receive_buffer", std::to_string(kDefaultBdpBytes)}}))
                 .empty());
  // A longer path with the default 4 MiB: 1 Gbit/s x 40.4 ms is 5.05 MB.
  BOOST_TEST(keys(Load("[tcp]\nstack = \"ns3\"\n[topology]\naccess_down_rate = \"1Gbps\"\n")) ==
                 (std::vector<std::string>{"tcp.send_buffer", "tcp.receive_buffer"}),
             boost::test_tools::per_element());
  // Without bulk TCP traffic no buffer matters.
  BOOST_TEST(keys(Load("[tcp]\nautotune_buffers = false\nreceive_buffer = 65536\n"
                       "[[traffic.ping]]\ninterval = \"100ms\"\n"))
                 .empty());
}

BOOST_AUTO_TEST_CASE(extreme_delays_saturate_instead_of_overflowing) {
  // Each topology delay may be 9e18 ns; the round trip 2 (2 lan + access + wan) of these
  // would overflow int64 (validation runs the check on any valid scenario, fuzzed ones too).
  const LoadedScenario loaded = Load("[topology]\nlan_delay = \"2000000000s\"\n"
                                     "access_delay = \"2000000000s\"\n"
                                     "wan_delay = \"2000000000s\"\n"
                                     "[tcp]\nautotune_buffers = false\n");
  const std::vector<BufferBelowBdp> found = BuffersBelowPathBdp(loaded.resolved);
  BOOST_TEST_REQUIRE(found.size() == 2u);
  BOOST_TEST(found[0].roundTripMs == 9.0e12, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(found[0].bdpBytes == 112500000000000000u); // 100 Mbit/s x 9e9 s
}

BOOST_AUTO_TEST_SUITE_END()
