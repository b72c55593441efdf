#include "impairment/reordering_engine.h"
#include "test_support.h"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <stdexcept>

using namespace tunnelsim;
using namespace tunnelsim::impairment;

BOOST_AUTO_TEST_SUITE(reordering_engine)

BOOST_AUTO_TEST_CASE(workers_serve_in_parallel_then_queue) {
  ReorderingEngineSettings s;
  s.workers = 2;
  s.fixedServiceTime = Duration(10000);
  ReorderingEngineCore engine(s);
  const auto a = engine.Submit(100, Time(0));
  const auto b = engine.Submit(100, Time(0));
  const auto c = engine.Submit(100, Time(0));
  const auto d = engine.Submit(100, Time(50000));
  BOOST_TEST(a.completed.count() == 10000);
  BOOST_TEST(b.completed.count() == 10000);
  BOOST_TEST(a.worker != b.worker);
  BOOST_TEST(c.start.count() == 10000); // waits for a free worker
  BOOST_TEST(c.completed.count() == 20000);
  BOOST_TEST(d.completed.count() == 60000);
  BOOST_TEST(engine.Overtaken() == 0u);
}

BOOST_AUTO_TEST_CASE(small_packet_overtakes_large_one_in_completion_order) {
  ReorderingEngineSettings s;
  s.workers = 2;
  s.perByteNs = 1.0;
  ReorderingEngineCore engine(s);
  const auto large = engine.Submit(1500, Time(0));
  const auto small = engine.Submit(64, Time(0));
  BOOST_TEST(large.departure.count() == 1500);
  BOOST_TEST(small.departure.count() == 64); // leaves first
  BOOST_TEST(engine.Overtaken() == 1u);

  s.reserialize = true;
  ReorderingEngineCore ordered(s);
  const auto large2 = ordered.Submit(1500, Time(0));
  const auto small2 = ordered.Submit(64, Time(0));
  BOOST_TEST(small2.completed.count() == 64);
  BOOST_TEST(small2.departure.count() == 1500); // waits for the one ahead of it
  BOOST_TEST(large2.departure.count() == 1500);
}

BOOST_AUTO_TEST_CASE(random_service_reorders_and_reserialisation_restores_order) {
  ReorderingEngineSettings s;
  s.seed = 9;
  s.workers = 4;
  s.fixedServiceTime = Duration(2000);
  s.randomKind = ReorderingEngineSettings::RandomKind::kExponential;
  s.randomServiceTime = Duration(3000);
  ReorderingEngineCore engine(s);
  s.reserialize = true;
  ReorderingEngineCore ordered(s);
  Time lastDeparture{0};
  int inversions = 0;
  double serviceSum = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const Time now(static_cast<int64_t>(i) * 1500); // ~ 0.9 load on 4 workers
    const auto c = engine.Submit(1000, now);
    if (c.departure < lastDeparture) ++inversions;
    lastDeparture = std::max(lastDeparture, c.departure);
    serviceSum += static_cast<double>((c.completed - c.start).count());
    const auto o = ordered.Submit(1000, now);
    BOOST_TEST(o.departure >= o.completed);
    static Time lastOrdered{0};
    BOOST_TEST(o.departure >= lastOrdered);
    lastOrdered = o.departure;
  }
  BOOST_TEST(inversions > n / 20);
  BOOST_TEST(engine.Overtaken() == static_cast<uint64_t>(inversions));
  // Same seed, same service times: re-serialisation changes departures, not completions.
  BOOST_TEST(std::abs(serviceSum / n - 5000.0) < 3.3 * 3000.0 / std::sqrt(n));
}

BOOST_AUTO_TEST_CASE(same_seed_same_completions) {
  ReorderingEngineSettings s;
  s.seed = 4;
  s.randomKind = ReorderingEngineSettings::RandomKind::kUniform;
  s.randomServiceTime = Duration(10000);
  ReorderingEngineCore a(s), b(s);
  for (int i = 0; i < 1000; ++i) {
    BOOST_TEST(a.Submit(500, Time(i * 1000)).completed == b.Submit(500, Time(i * 1000)).completed);
  }
}

BOOST_AUTO_TEST_CASE(invalid_settings_are_rejected) {
  ReorderingEngineSettings s;
  s.workers = 0;
  BOOST_CHECK_THROW(ReorderingEngineCore{s}, std::invalid_argument);
  ReorderingEngineSettings r;
  r.randomKind = ReorderingEngineSettings::RandomKind::kUniform;
  BOOST_CHECK_THROW(ReorderingEngineCore{r}, std::invalid_argument);
  ReorderingEngineCore ok{ReorderingEngineSettings{}};
  ok.Submit(10, Time(100));
  BOOST_CHECK_THROW(ok.Submit(10, Time(50)), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
