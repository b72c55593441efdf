#include "impairment/loss_model.h"
#include "test_support.h"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

using namespace tunnelsim::impairment;
using namespace tunnelsim::impairment::test;

namespace {

struct LossRun {
  uint64_t packets = 0;
  uint64_t lost = 0;
  uint64_t bursts = 0; // maximal runs of consecutive losses
  double lag1 = 0.0;   // lag-1 autocorrelation of the loss indicator
  double MeanBurst() const { return static_cast<double>(lost) / static_cast<double>(bursts); }
};

LossRun Run(const LossSettings &settings, uint64_t packets, uint64_t seed) {
  Prng prng(seed);
  LossModel model(settings, prng);
  LossRun run;
  run.packets = packets;
  std::vector<int> x(packets);
  bool previous = false;
  for (uint64_t i = 0; i < packets; ++i) {
    const bool lost = model.NextLoss(prng);
    x[i] = lost;
    if (lost) {
      ++run.lost;
      if (!previous) ++run.bursts;
    }
    previous = lost;
  }
  const double mean = static_cast<double>(run.lost) / static_cast<double>(packets);
  double num = 0, den = 0;
  for (uint64_t i = 0; i < packets; ++i) {
    den += (x[i] - mean) * (x[i] - mean);
    if (i > 0) num += (x[i] - mean) * (x[i - 1] - mean);
  }
  run.lag1 = num / den;
  return run;
}

} // namespace

BOOST_AUTO_TEST_SUITE(loss_models)

BOOST_AUTO_TEST_CASE(simple_gilbert_burst_length_and_stationary_loss) {
  LossSettings s;
  s.model = LossSettings::Model::kGilbertElliott;
  s.p = 0.01;
  s.r = 0.10;
  s.badLoss = 1.0;
  s.goodLoss = 0.0;
  const auto run = Run(s, 400000, 21);
  const double stationary = s.p / (s.p + s.r);
  // The loss indicator is a two-state Markov chain with eigenvalue 1 - p - r: the variance of
  // its mean grows by (1 + lambda) / (1 - lambda).
  const double lambda = 1 - s.p - s.r;
  BOOST_TEST(WithinBinomial(run.lost, run.packets, stationary, (1 + lambda) / (1 - lambda)),
             "loss " << run.lost / 400000.0 << " vs " << stationary);
  // Bursts are the bad state's sojourns: geometric with mean 1/r and sd sqrt(1-r)/r.
  const double sd = std::sqrt(1 - s.r) / s.r;
  BOOST_TEST(std::abs(run.MeanBurst() - 1 / s.r) < kZ999 * sd / std::sqrt(run.bursts),
             "mean burst " << run.MeanBurst());
}

BOOST_AUTO_TEST_CASE(gilbert_elliott_stationary_loss_with_partial_losses) {
  LossSettings s;
  s.model = LossSettings::Model::kGilbertElliott;
  s.p = 0.02;
  s.r = 0.25;
  s.badLoss = 0.7;
  s.goodLoss = 0.01;
  const auto run = Run(s, 400000, 22);
  const double piBad = s.p / (s.p + s.r);
  const double expected = (1 - piBad) * s.goodLoss + piBad * s.badLoss;
  const double lambda = 1 - s.p - s.r;
  BOOST_TEST(WithinBinomial(run.lost, run.packets, expected, (1 + lambda) / (1 - lambda)),
             "loss " << run.lost / 400000.0 << " vs " << expected);
}

BOOST_AUTO_TEST_CASE(four_state_stationary_loss_and_burst_length) {
  LossSettings s;
  s.model = LossSettings::Model::kState;
  s.p13 = 0.02;
  s.p31 = 0.30;
  s.p32 = 0.20;
  s.p23 = 0.05;
  s.p14 = 0.01;
  const auto run = Run(s, 400000, 23);
  // Balance equations: pi4 = p14 pi1, pi3 = p13/p31 pi1, pi2 = p32/p23 pi3.
  const double pi1 = 1 / (1 + s.p14 + s.p13 / s.p31 + s.p13 * s.p32 / (s.p31 * s.p23));
  const double pi3 = pi1 * s.p13 / s.p31;
  const double pi4 = pi1 * s.p14;
  const double expected = pi3 + pi4;
  // Generous variance inflation for the chain's memory (its slowest mode is state 2's).
  BOOST_TEST(WithinBinomial(run.lost, run.packets, expected, 40.0),
             "loss " << run.lost / 400000.0 << " vs " << expected);
  // Loss runs start by entering 3 (rate pi3 (p31 + p32)) or 4 (rate pi1 p14).
  const double meanBurst = expected / (pi3 * (s.p31 + s.p32) + pi1 * s.p14);
  BOOST_TEST(std::abs(run.MeanBurst() - meanBurst) / meanBurst < 0.03,
             "mean burst " << run.MeanBurst() << " vs " << meanBurst);
}

BOOST_AUTO_TEST_CASE(one_parameter_forms_are_bernoulli) {
  LossSettings state;
  state.model = LossSettings::Model::kState;
  state.p13 = 0.05;
  state.p31 = 0.95; // tc's defaults for "loss state 5%"
  const auto a = Run(state, 200000, 24);
  BOOST_TEST(WithinBinomial(a.lost, a.packets, 0.05));
  BOOST_TEST(std::abs(a.lag1) < 0.01);
  LossSettings ge;
  ge.model = LossSettings::Model::kGilbertElliott;
  ge.p = 0.05;
  ge.r = 0.95; // tc's defaults for "loss gemodel 5%"
  const auto b = Run(ge, 200000, 25);
  BOOST_TEST(WithinBinomial(b.lost, b.packets, 0.05));
  BOOST_TEST(std::abs(b.lag1) < 0.01);
}

BOOST_AUTO_TEST_CASE(loss_correlation_has_its_effect) {
  LossSettings s;
  s.model = LossSettings::Model::kRandom;
  s.probability = 0.2;
  const auto independent = Run(s, 200000, 26);
  s.correlation = 0.75;
  const auto correlated = Run(s, 200000, 26);
  BOOST_TEST(std::abs(independent.lag1) < 0.01);
  BOOST_TEST(correlated.lag1 > 0.2, "lag-1 autocorrelation " << correlated.lag1);
  // Independent losses at the rate actually measured would give bursts of 1 / (1 - q).
  const double q = static_cast<double>(correlated.lost) / static_cast<double>(correlated.packets);
  BOOST_TEST(correlated.MeanBurst() > 1.15 / (1 - q), "mean burst " << correlated.MeanBurst());
  BOOST_TEST(std::abs(independent.MeanBurst() - 1 / (1 - 0.2)) < 0.02);
  // netem's correlated draw bunches towards the middle, so the loss rate falls below the
  // configured one (the reason tc-netem(8) deprecates loss correlation); we keep that.
  BOOST_TEST(q < 0.2 - 0.02, "rate " << q);
}

BOOST_AUTO_TEST_CASE(invalid_four_state_probabilities_are_reported) {
  LossSettings s;
  s.model = LossSettings::Model::kState;
  s.p13 = 0.6;
  s.p14 = 0.6;
  BOOST_TEST(!s.Validate().empty());
}

BOOST_AUTO_TEST_SUITE_END()
