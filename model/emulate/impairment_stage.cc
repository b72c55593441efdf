#include "emulate/impairment_stage.h"

#include "emulate/ipv4_header.h"

namespace tunnelsim::emulate {

using impairment::CopyDecision;
using impairment::PacketRef;

ImpairmentStage::ImpairmentStage(const std::optional<impairment::NetemSettings> &netem,
                                 const std::optional<impairment::AckImpairmentSettings> &ack) {
  if (netem) netem_ = std::make_unique<impairment::ImpairmentCore>(*netem);
  if (ack) ack_ = std::make_unique<impairment::AckImpairmentCore>(*ack);
}

void ImpairmentStage::Submit(Bytes packet, Time now) {
  if (ack_) {
    const auto decision = ack_->Process(PacketRef{packet.data(), packet.size()}, now);
    const CopyDecision &copy = decision.copies.front();
    if (!copy.Delivered()) {
      ++counters_.thinned;
      return;
    }
    // As the queue disc: a delayed ACK meets the netem stage when the ACK stage releases it.
    if (!netem_ || copy.deliverAt > now) {
      Insert(std::move(packet), copy, netem_ != nullptr);
      return;
    }
  }
  if (!netem_) {
    CopyDecision passThrough;
    passThrough.deliverAt = now;
    Insert(std::move(packet), passThrough, false);
    return;
  }
  RunNetem(std::move(packet), now);
}

void ImpairmentStage::RunNetem(Bytes packet, Time now) {
  const auto decision = netem_->Process(PacketRef{packet.data(), packet.size()}, now);
  // Duplicates are filed first, as netem re-enqueues them at the root before the original.
  for (size_t i = 1; i < decision.copies.size(); ++i)
    Insert(packet, decision.copies[i], false);
  Insert(std::move(packet), decision.copies.front(), false);
}

void ImpairmentStage::Insert(Bytes packet, const CopyDecision &copy, bool needsNetemStage) {
  if (!copy.Delivered()) {
    if (copy.drop == impairment::DropReason::kQueueFull) {
      ++counters_.queueFull;
    } else {
      ++counters_.lost;
    }
    return;
  }
  if (copy.corruptBit && *copy.corruptBit / 8 < packet.size()) {
    impairment::FlipBit(packet.data(), *copy.corruptBit);
  }
  if (copy.ecnMark) MarkCongestionExperienced(packet);
  // Search from the back: most packets go last; equal keys keep arrival order.
  auto position = held_.end();
  while (position != held_.begin()) {
    auto previous = std::prev(position);
    const bool before = copy.deliverAt != previous->due ? copy.deliverAt < previous->due
                                                        : copy.order < previous->order;
    if (!before) break;
    position = previous;
  }
  held_.insert(position,
               HeldPacket{copy.deliverAt, copy.order, needsNetemStage, std::move(packet)});
}

Time ImpairmentStage::NextRelease() const { return held_.empty() ? kNever : held_.front().due; }

void ImpairmentStage::PopDue(Time now, std::vector<Released> &out) {
  while (!held_.empty() && held_.front().due <= now) {
    HeldPacket head = std::move(held_.front());
    held_.pop_front();
    if (!head.needsNetemStage) {
      out.push_back(Released{head.due, std::move(head.packet)});
      continue;
    }
    RunNetem(std::move(head.packet), head.due);
  }
}

void MarkCongestionExperienced(Bytes &packet) {
  if (packet.size() < kIpv4HeaderSize || (packet[0] >> 4) != 4) return;
  packet[1] |= 0x03;
  SetIpv4Checksum(packet);
}

} // namespace tunnelsim::emulate
