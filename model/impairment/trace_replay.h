// Trace replay, sans-IO: applies a recorded per-packet fate (pass, drop, hold until K later
// packets have left, extra delay) to the packets entering one link direction, so a capture's
// exact order and loss pattern can be replayed. The caller owns the clock and the packets;
// the core only sees packet ids and tells the caller when each one may leave.
#pragma once

#include "common/time.h"
#include "impairment/trace_file.h"

#include <cstdint>
#include <map>
#include <vector>

namespace tunnelsim::impairment {

struct TraceReplaySettings {
  bool loop = true;                     // restart the trace when its lines are used up
  Duration maxHold = Milliseconds(100); // a held packet leaves by now + maxHold at the latest
};

class TraceReplayCore {
public:
  TraceReplayCore(TraceFile trace, const TraceReplaySettings &settings);

  struct Verdict {
    enum class Kind { kPass, kDrop, kDelay, kHold };
    Kind kind = Kind::kPass;
    Duration delay{0}; // kDelay: leave at now + delay; then call Departed()
  };

  // Packet `id` (unique among packets in flight) enters at `now`. A kPass packet leaves at
  // once; held packets this departure frees are appended to `released` in the order they
  // become free (that is the order they leave).
  Verdict Arrive(uint64_t id, Time now, std::vector<uint64_t> &released);
  // A kDelay packet left the stage at `now`; it counts as a later packet for held ones.
  void Departed(uint64_t id, std::vector<uint64_t> &released);
  // Releases held packets whose max_hold deadline is at or before `now`.
  void Expire(Time now, std::vector<uint64_t> &released);
  // The earliest max_hold deadline of a held packet, kNever when none is held.
  Time NextDeadline() const;

  uint64_t Drops() const { return drops_; }
  uint64_t HeldTotal() const { return heldTotal_; }
  size_t HeldNow() const { return held_.size(); }

private:
  struct Held {
    uint64_t id;
    uint64_t remaining; // later departures still needed
    Time deadline;
  };
  // A packet with arrival sequence `sequence` left: count it for every earlier held packet,
  // releasing (and counting in turn) those that reach zero.
  void CountDeparture(uint64_t sequence, std::vector<uint64_t> &released);

  TraceFile trace_;
  TraceReplaySettings settings_;
  uint64_t nextSequence_ = 0;
  std::map<uint64_t, Held> held_;                // by arrival sequence
  std::map<uint64_t, uint64_t> delayedSequence_; // id -> sequence of kDelay packets in flight
  uint64_t drops_ = 0;
  uint64_t heldTotal_ = 0;
};

} // namespace tunnelsim::impairment
