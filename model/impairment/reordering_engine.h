// A parallel crypto engine as a reordering source, sans-IO: N workers, each packet taken by
// the worker that frees up first, served in fixed + per-byte + random time, and leaving when
// it completes, so a small packet can overtake a large one. Optionally the engine re-serialises
// its output in arrival order (as an engine with an in-order completion queue does), which
// adds head-of-line waiting instead of reordering. Both tunnel models use it at their endpoints.
#pragma once

#include "common/time.h"
#include "impairment/prng.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tunnelsim::impairment {

struct ReorderingEngineSettings {
  uint64_t seed = 1;
  uint32_t workers = 4;
  Duration fixedServiceTime{0};
  double perByteNs = 0.0; // service nanoseconds per byte
  enum class RandomKind { kNone, kUniform, kExponential };
  RandomKind randomKind = RandomKind::kNone;
  // kUniform: uniform in [0, randomServiceTime); kExponential: exponential with this mean.
  Duration randomServiceTime{0};
  bool reserialize = false;

  std::string Validate() const;
};

struct EngineCompletion {
  uint64_t sequence = 0; // arrival order, from 0
  uint32_t worker = 0;
  Time start{0};     // the worker begins
  Time completed{0}; // the worker is done
  Time departure{0}; // the packet leaves the engine (completed, or later when re-serialised)
};

class ReorderingEngineCore {
public:
  // Throws std::invalid_argument when settings.Validate() reports a problem.
  explicit ReorderingEngineCore(const ReorderingEngineSettings &settings);

  // Submits a packet of `size` bytes arriving at `now` (non-decreasing across calls).
  EngineCompletion Submit(size_t size, Time now);

  uint64_t Submitted() const { return sequence_; }
  // Packets that completed before some packet that arrived earlier (before re-serialisation).
  uint64_t Overtaken() const { return overtaken_; }

private:
  Duration ServiceTime(size_t size);

  ReorderingEngineSettings settings_;
  Prng prng_;
  std::vector<Time> workerFree_;
  uint64_t sequence_ = 0;
  uint64_t overtaken_ = 0;
  Time lastNow_{0};
  Time lastDeparture_{0};
  Time latestCompletion_{0};
};

} // namespace tunnelsim::impairment
