// The optional crypto CPU model: worker ordering, and CPU-bound throughput with one serial
// worker against several parallel ones.
#include "site_to_site.h"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace tunnelsim_test;

namespace {

// Submits 400 packets of alternating flows at 2 us intervals to a 4-worker model with random
// service times, and returns each flow's release order.
std::vector<std::vector<int>> ReleaseOrder(bool reserialise) {
  Ptr<CryptoCpuModel> cpu = CreateObject<CryptoCpuModel>();
  cpu->SetAttribute("Workers", UintegerValue(4));
  cpu->SetAttribute("FixedCost", TimeValue(MicroSeconds(5)));
  cpu->SetAttribute("RandomServiceTime", TimeValue(MicroSeconds(20)));
  cpu->SetAttribute("Reserialise", BooleanValue(reserialise));
  std::vector<std::vector<int>> order(2);
  for (int i = 0; i < 400; ++i) {
    Simulator::Schedule(MicroSeconds(2 * i), [cpu, &order, i]() {
      cpu->Submit(i % 2, 1000, [&order, i]() { order[i % 2].push_back(i); });
    });
  }
  Simulator::Run();
  BOOST_TEST(cpu->JobsCompleted() == 400u);
  Simulator::Destroy();
  return order;
}

bool Sorted(const std::vector<int> &v) { return std::is_sorted(v.begin(), v.end()); }

double CpuBoundGoodput(uint32_t workers) {
  ResetDefaults();
  SiteToSiteOptions options;
  options.configure = [workers](WireGuardHelper &helper) {
    helper.SetCpuModelAttribute("FixedCost", TimeValue(MicroSeconds(150)));
    helper.SetCpuModelAttribute("PerByteCost", DoubleValue(0.0));
    helper.SetCpuModelAttribute("Workers", UintegerValue(workers));
  };
  SiteToSite net(options);
  GoodputWindow window{InstallBulkTcp(net, Seconds(1))};
  window.Schedule(Seconds(4), Seconds(10));
  Simulator::Stop(Seconds(10));
  Simulator::Run();
  const double goodput = window.Bps(Seconds(4), Seconds(10));
  Simulator::Destroy();
  return goodput;
}

} // namespace

BOOST_AUTO_TEST_CASE(parallel_workers_reorder_unless_reserialised_per_flow) {
  const auto inOrder = ReleaseOrder(true);
  BOOST_TEST(inOrder[0].size() == 200u);
  BOOST_TEST(Sorted(inOrder[0]));
  BOOST_TEST(Sorted(inOrder[1]));
  const auto completionOrder = ReleaseOrder(false);
  BOOST_TEST(!(Sorted(completionOrder[0]) && Sorted(completionOrder[1])));
}

BOOST_AUTO_TEST_CASE(serial_worker_caps_throughput_and_parallel_workers_lift_the_cap) {
  // 150 us per packet on gwA, which encrypts the data and decrypts the ACKs: one worker
  // serves at most 6667 packets/s, well under the ~8400 data packets/s of the link.
  const double perPacket = 150e-6;
  const double serialCeiling = kSegmentSize * 8.0 / perPacket; // if ACKs cost nothing
  const double serial = CpuBoundGoodput(1);
  const double parallel = CpuBoundGoodput(4);
  BOOST_TEST_MESSAGE("1 worker: " << serial / 1e6 << " Mbit/s (ceiling " << serialCeiling / 1e6
                                  << "), 4 workers: " << parallel / 1e6 << " Mbit/s");
  BOOST_TEST(serial < serialCeiling);
  BOOST_TEST(serial > 0.5 * serialCeiling);
  BOOST_TEST(parallel > 0.9 * 92e6);
}
