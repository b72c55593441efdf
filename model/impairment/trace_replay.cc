#include "impairment/trace_replay.h"

#include <stdexcept>
#include <utility>

namespace tunnelsim::impairment {

TraceReplayCore::TraceReplayCore(TraceFile trace, const TraceReplaySettings &settings)
    : trace_(std::move(trace)), settings_(settings) {
  if (trace_.entries.empty()) throw std::invalid_argument(trace_.name + ": trace is empty");
  if (settings_.maxHold.count() < 0) throw std::invalid_argument("trace_max_hold is negative");
}

TraceReplayCore::Verdict TraceReplayCore::Arrive(uint64_t id, Time now,
                                                 std::vector<uint64_t> &released) {
  const uint64_t sequence = nextSequence_++;
  const size_t size = trace_.entries.size();
  Verdict verdict;
  if (!settings_.loop && sequence >= size) {
    CountDeparture(sequence, released);
    return verdict;
  }
  const TraceEntry &entry = trace_.entries[sequence % size];
  switch (entry.verb) {
  case TraceEntry::Verb::kPass:
    CountDeparture(sequence, released);
    break;
  case TraceEntry::Verb::kDrop:
    verdict.kind = Verdict::Kind::kDrop;
    ++drops_;
    break;
  case TraceEntry::Verb::kDelay:
    verdict.kind = Verdict::Kind::kDelay;
    verdict.delay = entry.delay;
    delayedSequence_[id] = sequence;
    break;
  case TraceEntry::Verb::kAfter:
    verdict.kind = Verdict::Kind::kHold;
    held_[sequence] = Held{id, entry.afterPackets, SaturatingAdd(now, settings_.maxHold)};
    ++heldTotal_;
    break;
  }
  return verdict;
}

void TraceReplayCore::Departed(uint64_t id, std::vector<uint64_t> &released) {
  const auto it = delayedSequence_.find(id);
  if (it == delayedSequence_.end()) return;
  const uint64_t sequence = it->second;
  delayedSequence_.erase(it);
  CountDeparture(sequence, released);
}

void TraceReplayCore::CountDeparture(uint64_t sequence, std::vector<uint64_t> &released) {
  // Packets freed by the same departure leave earliest arrival first, and each one's own
  // departure is counted before the next leaves: if a < b are both free, every later packet
  // a waited for has left, b among them only if b left already, so a's recorded place is
  // before b's. Taking the smallest free sequence each time reproduces the recorded order.
  std::map<uint64_t, uint64_t> free; // sequence -> id
  for (uint64_t departed = sequence;;) {
    for (auto it = held_.begin(); it != held_.end() && it->first < departed;) {
      if (--it->second.remaining == 0) {
        free.emplace(it->first, it->second.id);
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
    if (free.empty()) return;
    departed = free.begin()->first;
    released.push_back(free.begin()->second);
    free.erase(free.begin());
  }
}

void TraceReplayCore::Expire(Time now, std::vector<uint64_t> &released) {
  // Earliest arrival first; each release may free others, so search again after each one.
  for (;;) {
    auto expired = held_.begin();
    while (expired != held_.end() && expired->second.deadline > now)
      ++expired;
    if (expired == held_.end()) return;
    const uint64_t sequence = expired->first;
    released.push_back(expired->second.id);
    held_.erase(expired);
    CountDeparture(sequence, released);
  }
}

Time TraceReplayCore::NextDeadline() const {
  Time next = kNever;
  for (const auto &[sequence, held] : held_)
    if (held.deadline < next) next = held.deadline;
  return next;
}

} // namespace tunnelsim::impairment
