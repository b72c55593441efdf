#include "impairment/impairment_core.h"

#include "common/ip_packet.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace tunnelsim::impairment {
namespace {

bool IsProbability(double value) { return value >= 0.0 && value <= 1.0; }

// ECN-capable transport: ECT(0), ECT(1) or already CE in the IP header.
bool IsEcnCapable(const PacketRef &packet) {
  if (packet.data == nullptr || packet.size < 2) return false;
  const uint8_t version = packet.data[0] >> 4;
  uint8_t ecn = 0;
  if (version == 4) {
    ecn = packet.data[1] & 0x3;
  } else if (version == 6) {
    ecn = (packet.data[1] >> 4) & 0x3;
  } else {
    return false;
  }
  return ecn != 0;
}

} // namespace

std::string NetemSettings::Validate() const {
  if (latency.count() < 0) return "delay must not be negative";
  if (jitter.count() < 0) return "jitter must not be negative";
  if (latency > kMaxNetemDelay || jitter > kMaxNetemDelay) {
    return "delay and jitter must be at most 1 day (86400s)";
  }
  for (double value : {delayCorrelation, duplicate, duplicateCorrelation, corrupt,
                       corruptCorrelation, reorder, reorderCorrelation}) {
    if (!IsProbability(value)) return "percentages must be between 0% and 100%";
  }
  if (limit == 0) return "limit must be at least 1 packet";
  if (reorder > 0.0 && latency.count() == 0) {
    return "reordering is not possible without some delay (as in tc)";
  }
  if (gap > 0 && reorder == 0.0) return "gap given without a reorder probability (as in tc)";
  if (cellSize == 0 && cellOverhead != 0) return "cell overhead given without a cell size";
  return loss.Validate();
}

ImpairmentCore::ImpairmentCore(const NetemSettings &settings)
    : settings_(settings), prng_(settings.seed),
      // Each correlated stream draws its initial value here, in this fixed order.
      delayRandom_(settings.delayCorrelation, prng_), loss_(settings.loss, prng_),
      duplicateRandom_(settings.duplicateCorrelation, prng_),
      reorderRandom_(settings.reorderCorrelation, prng_),
      corruptRandom_(settings.corruptCorrelation, prng_),
      duplicateThreshold_(ProbabilityToU32(settings.duplicate)),
      reorderThreshold_(ProbabilityToU32(settings.reorder)),
      corruptThreshold_(ProbabilityToU32(settings.corrupt)),
      gap_(settings.reorder > 0.0 ? std::max<uint32_t>(settings.gap, 1) : 0) {
  if (auto problem = settings.Validate(); !problem.empty()) {
    throw std::invalid_argument("netem settings: " + problem);
  }
}

Decision ImpairmentCore::Process(const PacketRef &packet, Time now) {
  if (now < lastNow_) throw std::invalid_argument("ImpairmentCore: time went backwards");
  lastNow_ = now;
  ReleaseDue(now);
  ++counters_.packets;
  Decision decision;
  decision.packetNumber = packetNumber_++;
  std::vector<CopyDecision> duplicates;
  decision.copies.push_back(Enqueue(packet, now, false, duplicates));
  for (auto &copy : duplicates)
    decision.copies.push_back(copy);
  return decision;
}

void ImpairmentCore::ReleaseDue(Time now) {
  while (!pending_.empty() && pending_.top().first <= now) {
    pendingBytes_ -= pending_.top().second;
    pending_.pop();
  }
}

Duration ImpairmentCore::TransmissionTime(size_t size) const {
  int64_t length = static_cast<int64_t>(size) + settings_.packetOverhead;
  if (settings_.cellSize > 0) {
    const int64_t cell = settings_.cellSize;
    const int64_t cells = std::max<int64_t>(0, (length + cell - 1) / cell);
    length = cells * (cell + settings_.cellOverhead);
  }
  length = std::max<int64_t>(length, 0);
  const auto ns =
      static_cast<unsigned __int128>(length) * 1000000000u / settings_.rateBytesPerSecond;
  // A cell size of gigabytes at a few bytes per second exceeds int64 nanoseconds.
  if (ns > static_cast<unsigned __int128>(kNever.count())) return kNever;
  return Duration(static_cast<int64_t>(ns));
}

std::optional<uint64_t> ImpairmentCore::CorruptionBit(const PacketRef &packet) {
  if (packet.size == 0) return std::nullopt;
  size_t start = 0;
  if (settings_.corruptRegion == CorruptRegion::kAfterHeaders && packet.data != nullptr) {
    if (auto info = ParseIpPacket(packet.data, packet.size)) {
      start = info->headerLength;
      if (info->sourcePort) {
        // TCP/UDP: the transport header ends where its payload starts.
        start = info->totalLength - info->transportPayloadLength;
      }
      if (start >= packet.size) start = 0;
    }
  }
  return start * 8 + prng_.Below((packet.size - start) * 8);
}

// netem_enqueue's steps, in its order. A duplicate is processed in full (as netem re-enqueues
// it at the root qdisc, with duplication off) before the packet itself goes on.
CopyDecision ImpairmentCore::Enqueue(const PacketRef &packet, Time now, bool isDuplicate,
                                     std::vector<CopyDecision> &duplicates) {
  CopyDecision copy;
  copy.duplicate = isDuplicate;
  int count = 1;
  if (!isDuplicate && duplicateThreshold_ != 0 &&
      duplicateThreshold_ >= duplicateRandom_.Next(prng_)) {
    ++count;
  }
  if (loss_.NextLoss(prng_)) {
    if (settings_.loss.ecn && IsEcnCapable(packet)) {
      copy.ecnMark = true;
      ++counters_.ecnMarked;
    } else {
      --count; // a duplicate that was due survives in the lost packet's place, as in netem
    }
  }
  if (count == 0) {
    ++counters_.lost;
    copy.drop = DropReason::kLoss;
    copy.deliverAt = now;
    return copy;
  }
  if (count > 1) {
    ++counters_.duplicated;
    std::vector<CopyDecision> none;
    duplicates.push_back(Enqueue(packet, now, true, none));
  }
  if (corruptThreshold_ != 0 && corruptThreshold_ >= corruptRandom_.Next(prng_)) {
    copy.corruptBit = CorruptionBit(packet);
  }
  if (pending_.size() >= settings_.limit ||
      (settings_.limitBytes != 0 && pendingBytes_ + packet.size > settings_.limitBytes)) {
    copy.drop = DropReason::kQueueFull;
    copy.deliverAt = now;
    copy.corruptBit.reset();
    ++counters_.queueDrops;
    return copy;
  }
  if (gap_ == 0 || gapCounter_ + 1 < gap_ || reorderThreshold_ < reorderRandom_.Next(prng_)) {
    Duration delay{0};
    if (settings_.jitter.count() != 0) {
      delay = TableDistribution(settings_.latency, settings_.jitter, delayRandom_.Next(prng_),
                                settings_.distribution);
    } else {
      delay = settings_.latency;
    }
    Time departure = SaturatingAdd(now, delay);
    const bool haveLast = latestDeparture_ > now;
    if (settings_.rateBytesPerSecond != 0) {
      // The last packet's departure is the reference: the delay already spent waiting behind
      // it counts towards this one's (netem's "time bonus"), then it is serialised at `rate`.
      if (haveLast) departure = std::max(latestDeparture_, departure);
      departure = SaturatingAdd(departure, TransmissionTime(packet.size));
    } else if (settings_.keepOrder && haveLast) {
      departure = std::max(departure, latestDeparture_);
    }
    copy.deliverAt = std::max(departure, now);
    copy.order = nextOrder_++;
    ++gapCounter_;
  } else {
    copy.deliverAt = now;
    copy.order = nextHeadOrder_--; // netem puts it at the head of its queue
    copy.reordered = true;
    gapCounter_ = 0;
    ++counters_.reordered;
  }
  Account(copy, packet, now);
  return copy;
}

void ImpairmentCore::Account(CopyDecision &copy, const PacketRef &packet, Time now) {
  latestDeparture_ = std::max(latestDeparture_, copy.deliverAt);
  pending_.emplace(copy.deliverAt, packet.size);
  pendingBytes_ += packet.size;
  ++counters_.delivered;
  if (copy.corruptBit) ++counters_.corrupted;
  if (copy.deliverAt > now) {
    ++counters_.delayed;
    // Saturates: a long run with long delays must not overflow the sum.
    const int64_t delay = (copy.deliverAt - now).count();
    const int64_t room = std::numeric_limits<int64_t>::max() - counters_.totalDelayNs;
    counters_.totalDelayNs =
        delay > room ? std::numeric_limits<int64_t>::max() : counters_.totalDelayNs + delay;
  }
}

} // namespace tunnelsim::impairment
