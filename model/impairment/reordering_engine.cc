#include "impairment/reordering_engine.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tunnelsim::impairment {

std::string ReorderingEngineSettings::Validate() const {
  if (workers == 0) return "the engine needs at least one worker";
  if (fixedServiceTime.count() < 0 || randomServiceTime.count() < 0 || perByteNs < 0.0) {
    return "service times must not be negative";
  }
  if (randomKind != RandomKind::kNone && randomServiceTime.count() == 0) {
    return "a random service time needs a non-zero scale";
  }
  return {};
}

ReorderingEngineCore::ReorderingEngineCore(const ReorderingEngineSettings &settings)
    : settings_(settings), prng_(settings.seed) {
  if (auto problem = settings.Validate(); !problem.empty()) {
    throw std::invalid_argument("reordering engine settings: " + problem);
  }
  workerFree_.assign(settings.workers, Time{0});
}

Duration ReorderingEngineCore::ServiceTime(size_t size) {
  double ns = static_cast<double>(settings_.fixedServiceTime.count()) +
              settings_.perByteNs * static_cast<double>(size);
  const double scale = static_cast<double>(settings_.randomServiceTime.count());
  switch (settings_.randomKind) {
  case ReorderingEngineSettings::RandomKind::kNone:
    break;
  case ReorderingEngineSettings::RandomKind::kUniform:
    ns += scale * prng_.NextDouble();
    break;
  case ReorderingEngineSettings::RandomKind::kExponential:
    ns += -scale * std::log1p(-prng_.NextDouble());
    break;
  }
  return Duration(static_cast<int64_t>(std::llround(ns)));
}

EngineCompletion ReorderingEngineCore::Submit(size_t size, Time now) {
  if (now < lastNow_) throw std::invalid_argument("ReorderingEngineCore: time went backwards");
  lastNow_ = now;
  EngineCompletion completion;
  completion.sequence = sequence_++;
  const auto worker = std::min_element(workerFree_.begin(), workerFree_.end());
  completion.worker = static_cast<uint32_t>(worker - workerFree_.begin());
  completion.start = std::max(now, *worker);
  completion.completed = completion.start + ServiceTime(size);
  *worker = completion.completed;
  if (completion.completed < latestCompletion_) ++overtaken_;
  latestCompletion_ = std::max(latestCompletion_, completion.completed);
  completion.departure = completion.completed;
  if (settings_.reserialize) {
    completion.departure = std::max(completion.completed, lastDeparture_);
    lastDeparture_ = completion.departure;
  }
  return completion;
}

} // namespace tunnelsim::impairment
