// netem's three loss models (loss_event in sch_netem.c): independent loss with netem's
// correlation, the 4-state Markov model ("loss state p13 p31 p32 p23 p14") and the
// Gilbert-Elliott model ("loss gemodel p r 1-h 1-k").
#pragma once

#include "impairment/correlated_random.h"
#include "impairment/prng.h"

#include <string>

namespace tunnelsim::impairment {

struct LossSettings {
  enum class Model { kNone, kRandom, kState, kGilbertElliott };
  Model model = Model::kNone;

  // kRandom: loss probability and netem correlation, each in [0, 1].
  double probability = 0.0;
  double correlation = 0.0;

  // kState: transition probabilities between 1 (transmitted in a gap), 2 (transmitted in a
  // burst), 3 (lost in a burst) and 4 (isolated loss). tc's defaults when only p13 is given:
  // p31 = 1 - p13, p32 = 0, p23 = 1, p14 = 0 (Bernoulli).
  double p13 = 0.0, p31 = 1.0, p32 = 0.0, p23 = 1.0, p14 = 0.0;

  // kGilbertElliott: p = good->bad, r = bad->good, and the loss probabilities in the bad
  // state (tc's "1-h") and in the good state (tc's "1-k"). tc's defaults: r = 1 - p,
  // 1-h = 1, 1-k = 0.
  double p = 0.0, r = 1.0, badLoss = 1.0, goodLoss = 0.0;

  // netem's "ecn": mark ECN-capable packets CE instead of dropping them.
  bool ecn = false;

  // Empty when valid; otherwise what is wrong.
  std::string Validate() const;
};

class LossModel {
public:
  // Draws the correlation's initial value from `prng` (kRandom only), as netem's init does.
  LossModel(const LossSettings &settings, Prng &prng);

  // Whether the next packet is lost; advances the model's state.
  bool NextLoss(Prng &prng);

  // kState: 1..4; kGilbertElliott: 1 good, 2 bad; otherwise 0.
  int State() const { return state_; }

private:
  bool NextFourState(Prng &prng);
  bool NextGilbertElliott(Prng &prng);

  LossSettings::Model model_;
  uint32_t probability_ = 0;
  CorrelatedRandom correlated_;
  // 4-state: p13, p31, p32, p23, p14; Gilbert-Elliott: p, r, 1 - badLoss (netem's h), goodLoss.
  uint64_t a1_ = 0, a2_ = 0, a3_ = 0, a4_ = 0, a5_ = 0;
  int state_ = 0;
};

} // namespace tunnelsim::impairment
