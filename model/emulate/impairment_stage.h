// One link direction's impairments as the relay carries them out: an optional ACK stage
// (AckImpairmentCore) followed by an optional netem stage (ImpairmentCore), holding packets
// until their release time. It is the ns-3 ImpairmentQueueDisc's logic without ns-3: the
// same cores, the same release keys (time, then the core's order, FIFO among equals), the
// netem stage meeting an ACK-delayed packet at its release time, duplicates filed before
// the original. tests/emulate/test_relay_matches_ns3.cc holds the two to packet-for-packet
// agreement.
#pragma once

#include "common/time.h"
#include "impairment/ack_impairment.h"
#include "impairment/impairment_core.h"

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <vector>

namespace tunnelsim::emulate {

using Bytes = std::vector<uint8_t>;

// A packet the stage released, with the time it was due.
struct Released {
  Time due{0};
  Bytes packet;
};

struct ImpairmentStageCounters {
  uint64_t lost = 0;      // netem loss
  uint64_t queueFull = 0; // netem limit
  uint64_t thinned = 0;   // ACK thinning
};

class ImpairmentStage {
public:
  // Either may be absent; with neither the stage passes packets at once.
  ImpairmentStage(const std::optional<impairment::NetemSettings> &netem,
                  const std::optional<impairment::AckImpairmentSettings> &ack);

  // A packet (an IPv4 packet, header included) arriving at `now`; times never decrease.
  void Submit(Bytes packet, Time now);
  // The earliest release time held, kNever when empty.
  Time NextRelease() const;
  // Releases, in release order, every packet due at or before `now`. Packets released by the
  // ACK stage meet the netem stage at their release time and are filed again.
  void PopDue(Time now, std::vector<Released> &out);

  const impairment::ImpairmentCore *Netem() const { return netem_.get(); }
  const impairment::AckImpairmentCore *Ack() const { return ack_.get(); }
  const ImpairmentStageCounters &Counters() const { return counters_; }
  size_t HeldPackets() const { return held_.size(); }

private:
  struct HeldPacket {
    Time due{0};
    int64_t order = 0;
    bool needsNetemStage = false;
    Bytes packet;
  };
  void RunNetem(Bytes packet, Time now);
  void Insert(Bytes packet, const impairment::CopyDecision &copy, bool needsNetemStage);

  std::unique_ptr<impairment::ImpairmentCore> netem_;
  std::unique_ptr<impairment::AckImpairmentCore> ack_;
  std::list<HeldPacket> held_; // ascending (due, order), FIFO among equal keys
  ImpairmentStageCounters counters_;
};

// Sets the IPv4 ECN field to CE and fixes the header checksum (netem's "ecn" marking).
void MarkCongestionExperienced(Bytes &packet);

} // namespace tunnelsim::emulate
