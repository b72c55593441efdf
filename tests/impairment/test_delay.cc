#include "impairment/correlated_random.h"
#include "impairment/delay_distribution.h"
#include "impairment/impairment_core.h"
#include "test_support.h"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

using namespace tunnelsim;
using namespace tunnelsim::impairment;
using namespace tunnelsim::impairment::test;

namespace {

constexpr double kMuMs = 50.0;
constexpr double kSigmaMs = 10.0;

struct Moments {
  double mean = 0, sd = 0, lag1 = 0;
};

Moments DelayMoments(DelayDistribution distribution, double correlation, uint64_t packets) {
  NetemSettings s;
  s.seed = 31;
  s.latency = Milliseconds(kMuMs);
  s.jitter = Milliseconds(kSigmaMs);
  s.delayCorrelation = correlation;
  s.distribution = distribution;
  s.limit = UINT32_MAX;
  ImpairmentCore core(s);
  std::vector<double> delays;
  for (uint64_t i = 0; i < packets; ++i) {
    const Time now(static_cast<int64_t>(i) * 1000000);
    auto d = core.Process(PacketRef{nullptr, 100}, now);
    // Delays below zero are released at once; with these settings that cannot happen
    // (every table is clipped at 4 sigma, below mu).
    delays.push_back(static_cast<double>((d.copies[0].deliverAt - now).count()) / 1e6);
  }
  Moments m;
  for (double d : delays)
    m.mean += d;
  m.mean /= static_cast<double>(delays.size());
  double var = 0, cov = 0;
  for (size_t i = 0; i < delays.size(); ++i) {
    var += (delays[i] - m.mean) * (delays[i] - m.mean);
    if (i > 0) cov += (delays[i] - m.mean) * (delays[i - 1] - m.mean);
  }
  m.sd = std::sqrt(var / static_cast<double>(delays.size()));
  m.lag1 = cov / var;
  return m;
}

double NormalQuantile(double p) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 80; ++i) {
    const double mid = (lo + hi) / 2;
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

void CheckMoments(const Moments &m, double expectedMean, double expectedSd, double n) {
  // Mean: sampling error at 99.9% plus the tables' 1/4096 discretisation.
  BOOST_TEST(std::abs(m.mean - expectedMean) <= kZ999 * expectedSd / std::sqrt(n) + 0.01,
             "mean " << m.mean << " vs " << expectedMean);
  BOOST_TEST(std::abs(m.sd - expectedSd) / expectedSd < 0.02,
             "sd " << m.sd << " vs " << expectedSd);
}

} // namespace

BOOST_AUTO_TEST_SUITE(delay_distributions)

BOOST_AUTO_TEST_CASE(uniform_delay_mean_and_spread) {
  const auto m = DelayMoments(DelayDistribution::kUniform, 0.0, 100000);
  CheckMoments(m, kMuMs, kSigmaMs / std::sqrt(3.0), 100000);
}

BOOST_AUTO_TEST_CASE(normal_delay_mean_and_spread) {
  const auto m = DelayMoments(DelayDistribution::kNormal, 0.0, 100000);
  CheckMoments(m, kMuMs, kSigmaMs, 100000);
}

BOOST_AUTO_TEST_CASE(pareto_delay_mean_and_spread) {
  // netem's table: (X - 1.5) * 4/3 for X Pareto(shape 3, scale 1), clipped at X = c = 4.5.
  // E[min(X, c)] = 1.5 - 0.5 / c^2 and E[min(X, c)^2] = 3 - 2 / c.
  const double c = 4.5;
  const double m1 = 1.5 - 0.5 / (c * c);
  const double m2 = 3 - 2 / c;
  const double mean = kMuMs + kSigmaMs * (4.0 / 3.0) * (m1 - 1.5);
  const double sd = kSigmaMs * (4.0 / 3.0) * std::sqrt(m2 - m1 * m1);
  const auto m = DelayMoments(DelayDistribution::kPareto, 0.0, 100000);
  CheckMoments(m, mean, sd, 100000);
}

BOOST_AUTO_TEST_CASE(paretonormal_delay_mean_and_spread) {
  // paretonormal = (normal + 3 pareto) / 4 at the same quantile; its moments by integrating
  // the two quantile functions (independently of the tables) over the unit interval.
  const int steps = 200000;
  double m1 = 0, m2 = 0;
  for (int i = 0; i < steps; ++i) {
    const double u = (i + 0.5) / steps;
    const double normal = std::max(-4.0, std::min(4.0, NormalQuantile(u)));
    const double pareto = std::min(4.0, (std::pow(1 - u, -1.0 / 3.0) - 1.5) * 4.0 / 3.0);
    const double x = (normal + 3 * pareto) / 4;
    m1 += x / steps;
    m2 += x * x / steps;
  }
  const auto m = DelayMoments(DelayDistribution::kParetoNormal, 0.0, 100000);
  CheckMoments(m, kMuMs + kSigmaMs * m1, kSigmaMs * std::sqrt(m2 - m1 * m1), 100000);
}

BOOST_AUTO_TEST_CASE(delay_correlation_has_its_effect) {
  const auto independent = DelayMoments(DelayDistribution::kUniform, 0.0, 100000);
  const auto correlated = DelayMoments(DelayDistribution::kUniform, 0.5, 100000);
  BOOST_TEST(std::abs(independent.lag1) < 0.015);
  // netem's correlated draw is an AR(1) on the uniform: lag-1 correlation equals rho.
  BOOST_TEST(std::abs(correlated.lag1 - 0.5) < 0.02, "lag1 " << correlated.lag1);
  // ...and it narrows the spread, as in netem: sd * sqrt((1 - rho) / (1 + rho)).
  BOOST_TEST(std::abs(correlated.sd - independent.sd * std::sqrt(0.5 / 1.5)) / correlated.sd <
             0.03);
}

BOOST_AUTO_TEST_CASE(tables_match_netem_shape) {
  const auto &normal = DistributionTable(DelayDistribution::kNormal);
  const auto &pareto = DistributionTable(DelayDistribution::kPareto);
  BOOST_TEST(normal.size() == 4096u);
  BOOST_TEST(pareto.size() == 4096u);
  BOOST_TEST(std::is_sorted(normal.begin(), normal.end()));
  BOOST_TEST(std::is_sorted(pareto.begin(), pareto.end()));
  BOOST_TEST(normal.front() == -32768); // clipped at -4 sigma
  BOOST_TEST(std::abs(normal[2048]) <= 4);
  BOOST_TEST(pareto.front() == -5461); // (1 - 1.5) * 4/3 * 8192, the minimum
  BOOST_TEST(pareto.back() == 32767);
  BOOST_TEST(DistributionTable(DelayDistribution::kUniform).empty());
  BOOST_TEST(
      TableDistribution(Milliseconds(5), Duration(0), 12345, DelayDistribution::kNormal).count() ==
      Milliseconds(5).count());
}

BOOST_AUTO_TEST_SUITE_END()
