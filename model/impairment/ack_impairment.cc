#include "impairment/ack_impairment.h"

#include "impairment/netem_settings.h"

#include <algorithm>
#include <stdexcept>

namespace tunnelsim::impairment {

std::string AckImpairmentSettings::Validate() const {
  if (delay.count() < 0 || delayJitter.count() < 0) return "ACK delay must not be negative";
  if (compressInterval.count() < 0) return "ACK compression interval must not be negative";
  if (delay > kMaxNetemDelay || delayJitter > kMaxNetemDelay || compressInterval > kMaxNetemDelay) {
    return "ACK delay, jitter and compression interval must be at most 1 day (86400s)";
  }
  if ((thinDrop == 0) != (thinEvery == 0)) {
    return "ACK thinning needs both a drop count and a group size (drop k of every n)";
  }
  if (thinDrop >= thinEvery && thinEvery != 0) {
    return "ACK thinning must keep at least one ACK of every group (k < n)";
  }
  return {};
}

AckImpairmentCore::AckImpairmentCore(const AckImpairmentSettings &settings)
    : settings_(settings), prng_(settings.seed) {
  if (auto problem = settings.Validate(); !problem.empty()) {
    throw std::invalid_argument("ACK impairment settings: " + problem);
  }
}

Decision AckImpairmentCore::Process(const PacketRef &packet, Time now) {
  if (now < lastNow_) throw std::invalid_argument("AckImpairmentCore: time went backwards");
  lastNow_ = now;
  ++counters_.packets;
  Decision decision;
  decision.packetNumber = packetNumber_++;
  CopyDecision copy;
  copy.deliverAt = now;
  copy.order = nextOrder_++;
  if (ClassifyAck(packet, settings_.classifier) != AckClass::kNotAck) {
    ++counters_.acks;
    const uint64_t index = ackIndex_++;
    if (settings_.thinEvery != 0 && index % settings_.thinEvery < settings_.thinDrop) {
      ++counters_.thinned;
      copy.drop = DropReason::kAckThinned;
      decision.copies.push_back(copy);
      return decision;
    }
    Time departure = now + settings_.delay;
    if (settings_.delayJitter.count() > 0) {
      departure += Duration(
          static_cast<int64_t>(prng_.Below(static_cast<uint64_t>(settings_.delayJitter.count()))));
    }
    if (settings_.compressInterval.count() > 0) {
      const int64_t interval = settings_.compressInterval.count();
      const int64_t slots = (departure.count() + interval - 1) / interval;
      const Time released{slots * interval};
      if (released > departure) ++counters_.compressed;
      departure = released;
    }
    // After compression, so that a held ACK is counted as such even when an earlier one was
    // released at the same instant (rounding up to the grid keeps the order anyway).
    if (settings_.keepOrder) departure = std::max(departure, lastAckDeparture_);
    lastAckDeparture_ = std::max(lastAckDeparture_, departure);
    copy.deliverAt = departure;
    if (departure > now) {
      ++counters_.delayed;
      counters_.totalDelayNs += (departure - now).count();
    }
  }
  decision.copies.push_back(copy);
  return decision;
}

} // namespace tunnelsim::impairment
