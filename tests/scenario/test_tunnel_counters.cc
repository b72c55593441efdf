// GRE/IPsec tunnels in the scenario engine, run in this process so the gateways' own Drop
// trace can be tapped independently of the engine: the replay counters results.json reports
// must equal what the gateways traced, and equal the ESP cores' counters.
#define BOOST_TEST_MODULE scenario_tunnel_tests
#include <boost/test/unit_test.hpp>

#include "runner.h"
#include "scenario_loader.h"

#include "ns3/config.h"
#include "ns3/packet.h"
#include "ns3/simulator.h"

#include <map>
#include <string>

namespace {

using nlohmann::json;
using namespace tunnelsim::scenario;

std::map<std::string, uint64_t> gTracedDrops;

void OnGatewayDrop(const std::string &reason, ns3::Ptr<const ns3::Packet>) {
  ++gTracedDrops[reason];
}

json RunLibraryScenario(const std::string &name, const std::vector<std::string> &sets) {
  std::vector<Override> overrides;
  for (const std::string &set : sets)
    overrides.push_back(ParseOverride(set));
  const LoadedScenario scenario = LoadScenarioFile(
      std::string(TUNNELSIM_SOURCE_DIR) + "/scenarios/library/" + name + ".toml", overrides);
  gTracedDrops.clear();
  // Runs at time 0, after the engine has installed the gateways and before any packet moves.
  ns3::Simulator::Schedule(ns3::Seconds(0), [] {
    ns3::Config::ConnectWithoutContext("/NodeList/*/ApplicationList/*/$ns3::GreIpsecGateway/Drop",
                                       ns3::MakeCallback(&OnGatewayDrop));
  });
  return RunScenario(scenario, RunOptions{}).results;
}

uint64_t Traced(const std::string &reason) {
  const auto found = gTracedDrops.find(reason);
  return found == gTracedDrops.end() ? 0 : found->second;
}

} // namespace

BOOST_AUTO_TEST_CASE(esp_replay_drops_in_results_equal_the_gateway_traces) {
  // A small window at a rate where netem's 10 ms reordering overtakes more than 32 packets.
  const json results = RunLibraryScenario(
      "reorder-collapse", {"duration=2s", "tunnel.type=gre-over-ipsec",
                           "tunnel.ipsec.replay_window=32", "impairment.access.down.reorder=0.5"});
  const json &counters = results.at("tunnel").at("counters");
  const uint64_t replay = Traced("replay") + Traced("outside-window");
  BOOST_TEST(replay > 0u);
  BOOST_TEST(counters.at("replay_drops").get<uint64_t>() == replay);
  BOOST_TEST(counters.at("auth_failures").get<uint64_t>() == Traced("icv-failure"));

  uint64_t coreReplay = 0, coreOutside = 0;
  std::map<std::string, uint64_t> reportedDrops;
  for (const char *side : {"home", "work"}) {
    const json &extra = counters.at("extra").at(side);
    coreReplay += extra.at("esp_inbound").at("drop_replay").get<uint64_t>();
    coreOutside += extra.at("esp_inbound").at("drop_outside_window").get<uint64_t>();
    for (const auto &[reason, count] : extra.at("drops").items())
      reportedDrops[reason] += count.get<uint64_t>();
  }
  BOOST_TEST(coreReplay == Traced("replay"));
  BOOST_TEST(coreOutside == Traced("outside-window"));
  BOOST_TEST((reportedDrops == gTracedDrops));
  BOOST_TEST(counters.at("handshakes").get<uint64_t>() == 1u);
}

BOOST_AUTO_TEST_CASE(a_large_window_drops_nothing_on_the_same_path) {
  const json results =
      RunLibraryScenario("reorder-collapse",
                         {"duration=2s", "tunnel.type=gre-over-ipsec",
                          "tunnel.ipsec.replay_window=1024", "impairment.access.down.reorder=0.5"});
  BOOST_TEST(results.at("tunnel").at("counters").at("replay_drops").get<uint64_t>() == 0u);
  BOOST_TEST(Traced("replay") + Traced("outside-window") == 0u);
  BOOST_TEST(
      results.at("impairments").at("access.down").at("netem").at("reordered").get<uint64_t>() > 0u);
}
