// The scenario engine's link queues and its TCP at a high rate, run in this process so the
// devices' own drop traces can be tapped independently of the engine's results.
#define BOOST_TEST_MODULE tcp_engine_queue_tests
#include <boost/test/unit_test.hpp>

#include "runner.h"
#include "scenario_loader.h"

#include "ns3/config.h"
#include "ns3/packet.h"
#include "ns3/queue-item.h"
#include "ns3/simulator.h"

#include <fstream>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using namespace tunnelsim::scenario;

uint64_t gDeviceQueueDrops = 0;
uint64_t gQueueDiscDrops = 0;

void OnDeviceQueueDrop(ns3::Ptr<const ns3::Packet>) { ++gDeviceQueueDrops; }
void OnQueueDiscDrop(ns3::Ptr<const ns3::QueueDiscItem>) { ++gQueueDiscDrops; }

// One bulk download over the default path, whose 100 Mbit/s access link is the bottleneck.
json RunBulk(const std::vector<std::string> &sets) {
  const std::string path = "/tmp/tcp_engine_queue_tests.toml";
  std::ofstream(path) << "name = \"queues\"\n[[traffic.bulk]]\ndirection = \"download\"\n"
                         "start = \"0.1s\"\n[[traffic.ping]]\ndirection = \"upload\"\n"
                         "start = \"0.2s\"\ninterval = \"50ms\"\n";
  std::vector<Override> overrides;
  for (const std::string &set : sets)
    overrides.push_back(ParseOverride(set));
  const LoadedScenario scenario = LoadScenarioFile(path, overrides);
  gDeviceQueueDrops = 0;
  gQueueDiscDrops = 0;
  // Runs at time 0, after the engine has built the links and before any packet moves.
  ns3::Simulator::Schedule(ns3::Seconds(0), [] {
    ns3::Config::ConnectWithoutContext(
        "/NodeList/*/DeviceList/*/$ns3::PointToPointNetDevice/TxQueue/Drop",
        ns3::MakeCallback(&OnDeviceQueueDrop));
    // A device whose queue is full stops it; the layer above then drops what it is given.
    ns3::Config::ConnectWithoutContext("/NodeList/*/$ns3::TrafficControlLayer/TcDrop",
                                       ns3::MakeCallback(&OnDeviceQueueDrop));
    // Fail-safe: no queue disc exists to connect to unless an impairment installed one.
    ns3::Config::ConnectWithoutContextFailSafe(
        "/NodeList/*/$ns3::TrafficControlLayer/RootQueueDiscList/*/Drop",
        ns3::MakeCallback(&OnQueueDiscDrop));
  });
  return RunScenario(scenario, RunOptions{}).results;
}

} // namespace

BOOST_AUTO_TEST_CASE(queue_packets_is_the_queue_that_drops) {
  // Slow start overshoots a 1.2 MB BDP by far more than 30 packets, never by 3000.
  RunBulk({"duration=1.5s", "topology.queue_packets=30"});
  const uint64_t smallQueueDrops = gDeviceQueueDrops;
  BOOST_TEST(gQueueDiscDrops == 0u); // no queue disc hides the device queue any more
  RunBulk({"duration=1.5s", "topology.queue_packets=3000"});
  const uint64_t largeQueueDrops = gDeviceQueueDrops;
  BOOST_TEST(gQueueDiscDrops == 0u);
  BOOST_TEST(smallQueueDrops > 0u);
  BOOST_TEST(largeQueueDrops == 0u);
}
