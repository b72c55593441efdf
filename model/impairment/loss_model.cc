#include "impairment/loss_model.h"

namespace tunnelsim::impairment {
namespace {

bool IsProbability(double value) { return value >= 0.0 && value <= 1.0; }

} // namespace

std::string LossSettings::Validate() const {
  switch (model) {
  case Model::kNone:
    return {};
  case Model::kRandom:
    if (!IsProbability(probability)) return "loss probability must be in [0, 1]";
    if (!IsProbability(correlation)) return "loss correlation must be in [0, 1]";
    return {};
  case Model::kState:
    for (double value : {p13, p31, p32, p23, p14}) {
      if (!IsProbability(value)) return "loss state probabilities must be in [0, 1]";
    }
    if (p13 + p14 > 1.0 + 1e-12) return "loss state: p13 + p14 must not exceed 100%";
    if (p31 + p32 > 1.0 + 1e-12) return "loss state: p31 + p32 must not exceed 100%";
    return {};
  case Model::kGilbertElliott:
    for (double value : {p, r, badLoss, goodLoss}) {
      if (!IsProbability(value)) return "loss gemodel probabilities must be in [0, 1]";
    }
    return {};
  }
  return "unknown loss model";
}

LossModel::LossModel(const LossSettings &settings, Prng &prng) : model_(settings.model) {
  switch (model_) {
  case LossSettings::Model::kNone:
    break;
  case LossSettings::Model::kRandom:
    probability_ = ProbabilityToU32(settings.probability);
    correlated_ = CorrelatedRandom(settings.correlation, prng);
    break;
  case LossSettings::Model::kState:
    a1_ = ProbabilityToU32(settings.p13);
    a2_ = ProbabilityToU32(settings.p31);
    a3_ = ProbabilityToU32(settings.p32);
    a4_ = ProbabilityToU32(settings.p14);
    a5_ = ProbabilityToU32(settings.p23);
    state_ = 1;
    break;
  case LossSettings::Model::kGilbertElliott:
    a1_ = ProbabilityToU32(settings.p);
    a2_ = ProbabilityToU32(settings.r);
    a3_ = ProbabilityToU32(1.0 - settings.badLoss);
    a4_ = ProbabilityToU32(settings.goodLoss);
    state_ = 1;
    break;
  }
}

bool LossModel::NextLoss(Prng &prng) {
  switch (model_) {
  case LossSettings::Model::kNone:
    return false;
  case LossSettings::Model::kRandom:
    return probability_ != 0 && probability_ >= correlated_.Next(prng);
  case LossSettings::Model::kState:
    return NextFourState(prng);
  case LossSettings::Model::kGilbertElliott:
    return NextGilbertElliott(prng);
  }
  return false;
}

// The packet is lost when the chain moves into state 3 or 4 (loss_4state in sch_netem.c).
bool LossModel::NextFourState(Prng &prng) {
  const uint64_t rnd = prng.NextU32();
  switch (state_) {
  case 1:
    if (rnd < a4_) {
      state_ = 4;
      return true;
    }
    if (rnd < a1_ + a4_) {
      state_ = 3;
      return true;
    }
    return false;
  case 2:
    if (rnd < a5_) {
      state_ = 3;
      return true;
    }
    return false;
  case 3:
    if (rnd < a3_) {
      state_ = 2;
      return false;
    }
    if (rnd < a2_ + a3_) {
      state_ = 1;
      return false;
    }
    return true;
  default:
    state_ = 1;
    return false;
  }
}

// As loss_gilb_ell in sch_netem.c: one draw for the transition, then one for the loss, whose
// probability is the one of the state the packet arrived in.
bool LossModel::NextGilbertElliott(Prng &prng) {
  if (state_ == 1) {
    if (prng.NextU32() < a1_) state_ = 2;
    return prng.NextU32() < a4_;
  }
  if (prng.NextU32() < a2_) state_ = 1;
  return prng.NextU32() > a3_;
}

} // namespace tunnelsim::impairment
