#include "emulate/link_hop.h"

#include <algorithm>
#include <cmath>

namespace tunnelsim::emulate {

LinkHop::LinkHop(const LinkHopSettings &settings) : settings_(settings) {
  if (settings.netem || settings.ack) stage_.emplace(settings.netem, settings.ack);
}

Duration LinkHop::SerialisationTime(size_t size) const {
  if (settings_.rateBitsPerSecond == 0) return Duration(0);
  // As ns-3's PointToPointNetDevice: the PPP header counts, and DataRate::CalculateBytesTxTime
  // takes bits / rate in double seconds, rounded to the nearest nanosecond.
  const double seconds = static_cast<double>(size + kPppHeaderBytes) * 8.0 /
                         static_cast<double>(settings_.rateBitsPerSecond);
  return Duration(std::llround(seconds * 1e9));
}

void LinkHop::Submit(Bytes packet, Time now) {
  ++counters_.packets;
  counters_.bytes += packet.size();
  if (stage_) {
    stage_->Submit(std::move(packet), now);
    // Packets due at once leave now, as the queue disc hands them to an idle device at once.
    scratch_.clear();
    stage_->PopDue(now, scratch_);
    for (auto &released : scratch_)
      Transmit(std::move(released.packet), released.due);
    return;
  }
  Transmit(std::move(packet), now);
}

void LinkHop::Transmit(Bytes packet, Time at) {
  while (!waitingStarts_.empty() && waitingStarts_.front() <= at)
    waitingStarts_.pop_front();
  if (!stage_ && waitingStarts_.size() >= settings_.queuePackets) {
    ++counters_.queueDrops;
    return;
  }
  const Time start = std::max(at, busyUntil_);
  if (start > at) waitingStarts_.push_back(start);
  counters_.maxQueued = std::max<uint64_t>(counters_.maxQueued, waitingStarts_.size());
  busyUntil_ = start + SerialisationTime(packet.size());
  inFlight_.push_back(Released{busyUntil_ + settings_.delay, std::move(packet)});
}

Time LinkHop::NextEvent() const {
  Time next = inFlight_.empty() ? kNever : inFlight_.front().due;
  if (stage_) next = std::min(next, stage_->NextRelease());
  return next;
}

void LinkHop::Advance(Time now, std::vector<Released> &arrived) {
  // Releases and arrivals interleave in time: a release may start a transmission whose
  // arrival is also due before `now`.
  for (;;) {
    const Time release = stage_ ? stage_->NextRelease() : kNever;
    const Time arrival = inFlight_.empty() ? kNever : inFlight_.front().due;
    const Time next = std::min(release, arrival);
    if (next > now) return;
    if (release <= arrival) {
      scratch_.clear();
      stage_->PopDue(release, scratch_);
      for (auto &released : scratch_)
        Transmit(std::move(released.packet), released.due);
    } else {
      arrived.push_back(std::move(inFlight_.front()));
      inFlight_.pop_front();
    }
  }
}

} // namespace tunnelsim::emulate
