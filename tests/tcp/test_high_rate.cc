// The Linux-like TCP at several Gbit/s on a clean path whose links all run at the same rate, so
// the sender's own link is the bottleneck (issue #19, 10 Gbit/s), and its walk-free send path.
#define BOOST_TEST_MODULE tcp_high_rate_tests
#include <boost/test/unit_test.hpp>

#include "timeseries_goodput.h"

#include "runner.h"
#include "scenario_loader.h"

#include "ns3/boolean.h"
#include "ns3/config.h"
#include "ns3/packet.h"
#include "ns3/simulator.h"
#include "ns3/uinteger.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using namespace tunnelsim::scenario;

// Device-queue drops per node id, from the trace contexts ("/NodeList/<id>/...").
std::map<uint32_t, uint64_t> gDropsByNode;

void OnDrop(std::string context, ns3::Ptr<const ns3::Packet>) {
  const size_t start = context.find("/NodeList/") + 10;
  ++gDropsByNode[static_cast<uint32_t>(std::stoul(context.substr(start)))];
}

RunOutcome RunBulk(const std::vector<std::string> &sets) {
  const std::string path = "/tmp/tcp_high_rate_tests.toml";
  std::ofstream(path) << "name = \"high-rate\"\n[[traffic.bulk]]\ndirection = \"download\"\n"
                         "start = \"0.1s\"\n";
  std::vector<Override> overrides;
  for (const std::string &set : sets)
    overrides.push_back(ParseOverride(set));
  const LoadedScenario scenario = LoadScenarioFile(path, overrides);
  gDropsByNode.clear();
  ns3::Simulator::Schedule(ns3::Seconds(0), [] {
    ns3::Config::Connect("/NodeList/*/DeviceList/*/$ns3::PointToPointNetDevice/TxQueue/Drop",
                         ns3::MakeCallback(&OnDrop));
    // A full device queue is stopped; the traffic-control layer drops what it is then given.
    ns3::Config::Connect("/NodeList/*/$ns3::TrafficControlLayer/TcDrop",
                         ns3::MakeCallback(&OnDrop));
  });
  return RunScenario(scenario, RunOptions{});
}

uint64_t Drops() {
  uint64_t total = 0;
  for (const auto &entry : gDropsByNode)
    total += entry.second;
  return total;
}

using tcp_test::MeanBulkGoodput;

// Every link at 2.5 Gbit/s, a 6 ms round trip, 100-packet queues: slow start fills the server's
// own device queue long before HyStart's ACK train (half an RTT of ACKs, about 1.1 MB) ends it.
const std::vector<std::string> kSameRatePath = {"duration=0.5s",
                                                "topology.access_down_rate=2500Mbps",
                                                "topology.lan_rate=2500Mbps",
                                                "topology.access_up_rate=2500Mbps",
                                                "topology.wan_rate=2500Mbps",
                                                "topology.lan_delay=50us",
                                                "topology.access_delay=1ms",
                                                "topology.wan_delay=2ms",
                                                "topology.queue_packets=100",
                                                "tcp.segment_size=1348",
                                                "output.interval=50ms"};

// The server is the engine's fifth node (home host, home gateway, WAN router, work gateway,
// work host); a download is sent from it.
constexpr uint32_t kServerNode = 4;
// 1348-byte payloads in 1402-byte frames (IP, TCP with timestamps, PPP) at 2.5 Gbit/s.
constexpr double kGoodputCapacityMbps = 2500.0 * 1348 / 1402;

} // namespace

// Linux never drops its own segments at the sending host: TCP small queues keep at most about
// 1 MiB of a socket's data in the qdisc and driver, and the rest waits in the socket. Without
// that, a sender whose link is the path's bottleneck overflowed its own device queue in slow
// start (at 10 Gbit/s: 1 283 drops at 0.5 s, then CUBIC held cwnd near 3 MB, 6 % of the path).
BOOST_AUTO_TEST_CASE(sender_at_its_link_rate_never_drops_its_own_segments) {
  const RunOutcome run = RunBulk(kSameRatePath);
  const double goodput = MeanBulkGoodput(run.timeseriesCsv, 0.3, 0.5);
  BOOST_TEST_MESSAGE("2.5 Gbit/s, same-rate path: " << goodput << " Mbit/s in (0.3 s, 0.5 s], "
                                                    << Drops() << " device-queue drops");
  BOOST_TEST(Drops() == 0u);
  BOOST_TEST(run.results.at("flows").at(0).at("retransmissions").get<uint64_t>() == 0u);
  BOOST_TEST(goodput >= 0.9 * kGoodputCapacityMbps);

  // The same run with every segment handed down at once, as ns-3's TCP does: the server's
  // queue drops in slow start (this is what the test would see without the fix).
  ns3::Config::SetDefault("tunnelsim::LinuxTcpSocket::LocalQueueLimit", ns3::UintegerValue(0));
  RunBulk(kSameRatePath);
  ns3::Config::SetDefault("tunnelsim::LinuxTcpSocket::LocalQueueLimit",
                          ns3::UintegerValue(1048576));
  BOOST_TEST_MESSAGE("without small queues: server drops " << gDropsByNode[kServerNode]);
  BOOST_TEST(gDropsByNode[kServerNode] > 0u);
}

// The send path that replaces SendPendingData's NextSeg walk for new data must name the same
// segment NextSeg would, in every state it acts in: checked on every segment it sends (the
// socket aborts the run on a difference) through slow start, reordering, RACK recoveries with
// loss, an ACK-delaying uplink and a small queue.
BOOST_AUTO_TEST_CASE(walk_free_send_path_names_what_next_seg_names) {
  ns3::Config::SetDefault("tunnelsim::LinuxTcpSocket::VerifyNextSeg", ns3::BooleanValue(true));
  const RunOutcome run =
      RunBulk({"duration=3s", "impairment.access.down.reorder=3", "impairment.access.down.loss=1",
               "impairment.access.down.delay=10ms", "impairment.access.up.ack_delay=20ms",
               "topology.queue_packets=60"});
  ns3::Config::SetDefault("tunnelsim::LinuxTcpSocket::VerifyNextSeg", ns3::BooleanValue(false));
  const json &flow = run.results.at("flows").at(0);
  BOOST_TEST_MESSAGE("verified run: " << flow.at("goodput_mbps") << " Mbit/s, "
                                      << flow.at("retransmissions") << " retransmissions");
  BOOST_TEST(flow.at("retransmissions").get<uint64_t>() > 0u); // recoveries were exercised
  BOOST_TEST(flow.at("bytes_received").get<uint64_t>() > 1000000u);
}
