#include "ns3/impairment/impairment_queue_disc.h"

#include "impairment/netem_parser.h"

#include "ns3/buffer.h"
#include "ns3/ipv4-queue-disc-item.h"
#include "ns3/ipv6-queue-disc-item.h"
#include "ns3/log.h"
#include "ns3/packet.h"
#include "ns3/simulator.h"
#include "ns3/string.h"

#include <stdexcept>

namespace tunnelsim {

NS_LOG_COMPONENT_DEFINE("ImpairmentQueueDisc");
NS_OBJECT_ENSURE_REGISTERED(ImpairmentQueueDisc);

namespace {

using impairment::CopyDecision;
using impairment::DropReason;
using impairment::PacketRef;

// The bytes the core sees: the IP header (kept apart by ns-3's queue disc items) and payload.
std::vector<uint8_t> ItemBytes(const ns3::Ptr<ns3::QueueDiscItem> &item) {
  ns3::Ptr<ns3::Packet> packet = item->GetPacket()->Copy();
  if (auto v4 = ns3::DynamicCast<ns3::Ipv4QueueDiscItem>(item)) {
    packet->AddHeader(v4->GetHeader());
  } else if (auto v6 = ns3::DynamicCast<ns3::Ipv6QueueDiscItem>(item)) {
    packet->AddHeader(v6->GetHeader());
  }
  std::vector<uint8_t> bytes(packet->GetSize());
  packet->CopyData(bytes.data(), bytes.size());
  return bytes;
}

// A new item of the same kind carrying `packet` and `header`.
template <typename Item, typename Header>
ns3::Ptr<ns3::QueueDiscItem> Rebuild(const ns3::Ptr<Item> &item, ns3::Ptr<ns3::Packet> packet,
                                     const Header &header) {
  return ns3::Create<Item>(packet, item->GetAddress(), item->GetProtocol(), header);
}

ns3::Ptr<ns3::QueueDiscItem> CopyItem(const ns3::Ptr<ns3::QueueDiscItem> &item) {
  if (auto v4 = ns3::DynamicCast<ns3::Ipv4QueueDiscItem>(item)) {
    return Rebuild(v4, item->GetPacket()->Copy(), v4->GetHeader());
  }
  if (auto v6 = ns3::DynamicCast<ns3::Ipv6QueueDiscItem>(item)) {
    return Rebuild(v6, item->GetPacket()->Copy(), v6->GetHeader());
  }
  return nullptr;
}

// `packet` with bit `bit` (counted from its first byte) flipped; tags are kept.
ns3::Ptr<ns3::Packet> FlipPacketBit(const ns3::Ptr<const ns3::Packet> &packet, uint64_t bit) {
  const uint32_t offset = static_cast<uint32_t>(bit / 8);
  uint8_t byte = 0;
  packet->CreateFragment(offset, 1)->CopyData(&byte, 1);
  impairment::FlipBit(&byte, bit % 8);
  ns3::Ptr<ns3::Packet> result = packet->CreateFragment(0, offset);
  result->AddAtEnd(ns3::Create<ns3::Packet>(&byte, 1));
  const uint32_t after = packet->GetSize() - offset - 1;
  if (after > 0) result->AddAtEnd(packet->CreateFragment(offset + 1, after));
  return result;
}

template <typename Header> Header FlipHeaderBit(const Header &header, uint64_t bit) {
  ns3::Buffer buffer;
  buffer.AddAtStart(header.GetSerializedSize());
  header.Serialize(buffer.Begin());
  std::vector<uint8_t> bytes(buffer.GetSize());
  buffer.CopyData(bytes.data(), bytes.size());
  impairment::FlipBit(bytes.data(), bit);
  ns3::Buffer flipped;
  flipped.AddAtStart(static_cast<uint32_t>(bytes.size()));
  flipped.Begin().Write(bytes.data(), static_cast<uint32_t>(bytes.size()));
  Header result;
  result.Deserialize(flipped.Begin());
  return result;
}

template <typename Item>
ns3::Ptr<ns3::QueueDiscItem> CorruptTyped(const ns3::Ptr<Item> &item, uint64_t bit) {
  const uint64_t headerBits = 8ULL * item->GetHeader().GetSerializedSize();
  if (bit < headerBits) {
    return Rebuild(item, item->GetPacket(), FlipHeaderBit(item->GetHeader(), bit));
  }
  return Rebuild(item, FlipPacketBit(item->GetPacket(), bit - headerBits), item->GetHeader());
}

// The item with the core's bit flipped (the bit counts from the IP header's first byte).
ns3::Ptr<ns3::QueueDiscItem> Corrupt(const ns3::Ptr<ns3::QueueDiscItem> &item, uint64_t bit) {
  if (auto v4 = ns3::DynamicCast<ns3::Ipv4QueueDiscItem>(item)) return CorruptTyped(v4, bit);
  if (auto v6 = ns3::DynamicCast<ns3::Ipv6QueueDiscItem>(item)) return CorruptTyped(v6, bit);
  return nullptr;
}

} // namespace

ns3::TypeId ImpairmentQueueDisc::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("tunnelsim::ImpairmentQueueDisc")
          .SetParent<ns3::QueueDisc>()
          .SetGroupName("TrafficControl")
          .AddConstructor<ImpairmentQueueDisc>()
          .AddAttribute("Netem", "tc-netem options, e.g. \"delay 20ms 5ms loss 1%\"",
                        ns3::StringValue(""),
                        ns3::MakeStringAccessor(&ImpairmentQueueDisc::SetNetemArguments,
                                                &ImpairmentQueueDisc::GetNetemArguments),
                        ns3::MakeStringChecker())
          .AddTraceSource("Lost", "A copy the loss model dropped",
                          ns3::MakeTraceSourceAccessor(&ImpairmentQueueDisc::lostTrace_),
                          "ns3::QueueDiscItem::TracedCallback")
          .AddTraceSource("QueueFull", "A copy dropped because the limit was reached",
                          ns3::MakeTraceSourceAccessor(&ImpairmentQueueDisc::queueFullTrace_),
                          "ns3::QueueDiscItem::TracedCallback")
          .AddTraceSource("Duplicated", "A duplicate that was made (the copy)",
                          ns3::MakeTraceSourceAccessor(&ImpairmentQueueDisc::duplicatedTrace_),
                          "ns3::QueueDiscItem::TracedCallback")
          .AddTraceSource("Corrupted", "A copy with a flipped bit, and the bit's index",
                          ns3::MakeTraceSourceAccessor(&ImpairmentQueueDisc::corruptedTrace_),
                          "tunnelsim::ImpairmentQueueDisc::CorruptedCallback")
          .AddTraceSource("Reordered", "A copy sent at once, ahead of the delayed ones",
                          ns3::MakeTraceSourceAccessor(&ImpairmentQueueDisc::reorderedTrace_),
                          "ns3::QueueDiscItem::TracedCallback")
          .AddTraceSource("Delayed", "A copy held by the netem stage, and for how long",
                          ns3::MakeTraceSourceAccessor(&ImpairmentQueueDisc::delayedTrace_),
                          "tunnelsim::ImpairmentQueueDisc::DelayedCallback")
          .AddTraceSource("AckThinned", "An ACK dropped by thinning",
                          ns3::MakeTraceSourceAccessor(&ImpairmentQueueDisc::ackThinnedTrace_),
                          "ns3::QueueDiscItem::TracedCallback")
          .AddTraceSource("AckDelayed", "An ACK held by the ACK stage, and for how long",
                          ns3::MakeTraceSourceAccessor(&ImpairmentQueueDisc::ackDelayedTrace_),
                          "tunnelsim::ImpairmentQueueDisc::DelayedCallback");
  return tid;
}

ImpairmentQueueDisc::ImpairmentQueueDisc()
    : ns3::QueueDisc(ns3::QueueDiscSizePolicy::SINGLE_INTERNAL_QUEUE) {}

ImpairmentQueueDisc::~ImpairmentQueueDisc() = default;

void ImpairmentQueueDisc::RequireUnstarted() const {
  if (started_) {
    throw std::logic_error("ImpairmentQueueDisc: configure impairments before traffic starts");
  }
}

void ImpairmentQueueDisc::SetNetem(const impairment::NetemSettings &settings) {
  RequireUnstarted();
  if (traceConfig_) throw std::invalid_argument("netem cannot be combined with trace replay");
  if (auto problem = settings.Validate(); !problem.empty()) {
    throw std::invalid_argument("netem settings: " + problem);
  }
  netemSettings_ = settings;
}

void ImpairmentQueueDisc::SetTraceReplay(impairment::TraceFile trace,
                                         const impairment::TraceReplaySettings &settings) {
  RequireUnstarted();
  if (netemSettings_ || ackSettings_) {
    throw std::invalid_argument("trace replay cannot be combined with netem or ACK impairments");
  }
  if (trace.entries.empty()) throw std::invalid_argument(trace.name + ": trace is empty");
  traceConfig_.emplace(std::move(trace), settings);
}

void ImpairmentQueueDisc::SetNetemArguments(std::string arguments) {
  netemArguments_ = arguments;
  if (arguments.find_first_not_of(" \t\n") == std::string::npos) return;
  SetNetem(impairment::ParseNetemArguments(arguments));
}

void ImpairmentQueueDisc::SetAckImpairment(const impairment::AckImpairmentSettings &settings) {
  RequireUnstarted();
  if (traceConfig_) throw std::invalid_argument("ACK impairment cannot be combined with trace");
  if (auto problem = settings.Validate(); !problem.empty()) {
    throw std::invalid_argument("ACK impairment settings: " + problem);
  }
  ackSettings_ = settings;
}

std::optional<impairment::ImpairmentCounters> ImpairmentQueueDisc::NetemCounters() const {
  if (netem_) return netem_->Counters();
  if (netemSettings_) return impairment::ImpairmentCounters{};
  return std::nullopt;
}

std::optional<impairment::AckImpairmentCounters> ImpairmentQueueDisc::AckCounters() const {
  if (ack_) return ack_->Counters();
  if (ackSettings_) return impairment::AckImpairmentCounters{};
  return std::nullopt;
}

bool ImpairmentQueueDisc::CheckConfig() {
  if (GetNQueueDiscClasses() > 0 || GetNPacketFilters() > 0) {
    NS_LOG_ERROR("ImpairmentQueueDisc takes no classes and no filters");
    return false;
  }
  if (GetNInternalQueues() == 0) {
    queue_ = ns3::CreateObject<TimeOrderedQueue>();
    // The cores enforce the limits; the internal queue only needs to hold what they allow.
    queue_->SetMaxSize(ns3::QueueSize(ns3::QueueSizeUnit::PACKETS, UINT32_MAX));
    AddInternalQueue(queue_);
  }
  return true;
}

void ImpairmentQueueDisc::InitializeParams() {}

void ImpairmentQueueDisc::DoDispose() {
  wake_.Cancel();
  traceExpiry_.Cancel();
  traceHeld_.clear();
  traceDelayed_.clear();
  trace_.reset();
  netem_.reset();
  ack_.reset();
  queue_ = nullptr;
  ns3::QueueDisc::DoDispose();
}

bool ImpairmentQueueDisc::DoEnqueue(ns3::Ptr<ns3::QueueDiscItem> item) {
  if (reentering_) {
    const CopyDecision copy = *reentering_;
    reentering_.reset();
    return Insert(item, copy, false);
  }
  if (!started_) {
    started_ = true;
    if (netemSettings_) netem_ = std::make_unique<impairment::ImpairmentCore>(*netemSettings_);
    if (ackSettings_) ack_ = std::make_unique<impairment::AckImpairmentCore>(*ackSettings_);
    if (traceConfig_) {
      trace_ =
          std::make_unique<impairment::TraceReplayCore>(traceConfig_->first, traceConfig_->second);
    }
  }
  if (trace_) return RunTraceStage(item);
  const auto bytes = ItemBytes(item);
  if (ack_) {
    const auto now = ns3::Simulator::Now();
    const auto decision =
        ack_->Process(PacketRef{bytes.data(), bytes.size()}, Time(now.GetNanoSeconds()));
    const CopyDecision &copy = decision.copies.front();
    if (!copy.Delivered()) {
      ackThinnedTrace_(item);
      DropBeforeEnqueue(item, kAckThinnedDrop);
      return false;
    }
    if (copy.deliverAt.count() > now.GetNanoSeconds()) {
      ackDelayedTrace_(item, ns3::NanoSeconds(copy.deliverAt.count()) - now);
    }
    if (!netem_ || copy.deliverAt.count() > now.GetNanoSeconds()) {
      return Insert(item, copy, netem_ != nullptr);
    }
  }
  if (!netem_) {
    CopyDecision passThrough;
    passThrough.deliverAt = Time(ns3::Simulator::Now().GetNanoSeconds());
    return Insert(item, passThrough, false);
  }
  return RunNetemStage(item, bytes);
}

bool ImpairmentQueueDisc::RunNetemStage(ns3::Ptr<ns3::QueueDiscItem> item,
                                        const std::vector<uint8_t> &bytes) {
  const auto decision = netem_->Process(PacketRef{bytes.data(), bytes.size()},
                                        Time(ns3::Simulator::Now().GetNanoSeconds()));
  // Duplicates first, re-entering at the root as netem's do.
  for (size_t i = 1; i < decision.copies.size(); ++i) {
    auto copy = CopyItem(item);
    if (!copy) {
      NS_LOG_WARN("cannot duplicate a queue disc item that is neither IPv4 nor IPv6");
      continue;
    }
    duplicatedTrace_(copy);
    reentering_ = decision.copies[i];
    Enqueue(copy);
    reentering_.reset();
  }
  return Insert(item, decision.copies.front(), false);
}

bool ImpairmentQueueDisc::RunTraceStage(ns3::Ptr<ns3::QueueDiscItem> item) {
  using Kind = impairment::TraceReplayCore::Verdict::Kind;
  const uint64_t id = traceNextId_++;
  const Time now(ns3::Simulator::Now().GetNanoSeconds());
  std::vector<uint64_t> released;
  const auto verdict = trace_->Arrive(id, now, released);
  bool accepted = true;
  CopyDecision copy;
  copy.deliverAt = now;
  switch (verdict.kind) {
  case Kind::kDrop:
    lostTrace_(item);
    DropBeforeEnqueue(item, kTraceDrop);
    accepted = false;
    break;
  case Kind::kHold:
    traceHeld_[id] = item;
    ScheduleTraceExpiry();
    break;
  case Kind::kDelay:
    copy.deliverAt = SaturatingAdd(now, verdict.delay);
    [[fallthrough]];
  case Kind::kPass:
    copy.order = traceOrder_++;
    if (verdict.kind == Kind::kDelay) traceDelayed_[ns3::PeekPointer(item)] = id;
    accepted = Insert(item, copy, false);
    break;
  }
  InsertTraceReleased(released);
  return accepted;
}

void ImpairmentQueueDisc::InsertTraceReleased(const std::vector<uint64_t> &ids) {
  for (uint64_t id : ids) {
    const auto it = traceHeld_.find(id);
    if (it == traceHeld_.end()) continue;
    CopyDecision copy;
    copy.deliverAt = Time(ns3::Simulator::Now().GetNanoSeconds());
    copy.order = traceOrder_++;
    auto item = it->second;
    traceHeld_.erase(it);
    // Released packets were accepted when they arrived; they enter the queue directly.
    queue_->SetNextKey(ReleaseKey{copy.deliverAt.count(), copy.order, false});
    queue_->Enqueue(item);
  }
  if (!ids.empty()) ScheduleWake(ns3::Simulator::Now().GetNanoSeconds());
}

void ImpairmentQueueDisc::ScheduleTraceExpiry() {
  const Time deadline = trace_->NextDeadline();
  traceExpiry_.Cancel();
  if (deadline == kNever) return;
  traceExpiry_ =
      ns3::Simulator::Schedule(ns3::NanoSeconds(deadline.count()) - ns3::Simulator::Now(),
                               &ImpairmentQueueDisc::TraceExpiry, this);
}

void ImpairmentQueueDisc::TraceExpiry() {
  std::vector<uint64_t> released;
  trace_->Expire(Time(ns3::Simulator::Now().GetNanoSeconds()), released);
  InsertTraceReleased(released);
  ScheduleTraceExpiry();
}

bool ImpairmentQueueDisc::Insert(ns3::Ptr<ns3::QueueDiscItem> item, const CopyDecision &copy,
                                 bool needsNetemStage) {
  if (!copy.Delivered()) {
    if (copy.drop == DropReason::kQueueFull) {
      queueFullTrace_(item);
      DropBeforeEnqueue(item, kQueueFullDrop);
    } else {
      lostTrace_(item);
      DropBeforeEnqueue(item, kLossDrop);
    }
    return false;
  }
  const auto now = ns3::Simulator::Now();
  if (copy.corruptBit) {
    if (auto corrupted = Corrupt(item, *copy.corruptBit)) {
      corrupted->SetTimeStamp(item->GetTimeStamp());
      item = corrupted;
      corruptedTrace_(item, *copy.corruptBit);
    } else {
      NS_LOG_WARN("cannot corrupt a queue disc item that is neither IPv4 nor IPv6");
    }
  }
  if (copy.ecnMark) item->Mark();
  if (copy.reordered) reorderedTrace_(item);
  if (!needsNetemStage && copy.deliverAt.count() > now.GetNanoSeconds()) {
    delayedTrace_(item, ns3::NanoSeconds(copy.deliverAt.count()) - now);
  }
  queue_->SetNextKey(ReleaseKey{copy.deliverAt.count(), copy.order, needsNetemStage});
  if (!queue_->Enqueue(item)) return false;
  item->SetTimeStamp(now);
  return true;
}

ns3::Ptr<ns3::QueueDiscItem> ImpairmentQueueDisc::DoDequeue() {
  const int64_t now = ns3::Simulator::Now().GetNanoSeconds();
  while (queue_->GetNPackets() > 0) {
    const ReleaseKey key = queue_->HeadKey();
    if (key.timeNs > now) {
      ScheduleWake(key.timeNs);
      return nullptr;
    }
    auto item = queue_->Dequeue();
    if (trace_) {
      // A delayed packet leaving counts as a later packet for the ones the trace holds.
      if (auto it = traceDelayed_.find(ns3::PeekPointer(item)); it != traceDelayed_.end()) {
        std::vector<uint64_t> released;
        trace_->Departed(it->second, released);
        traceDelayed_.erase(it);
        InsertTraceReleased(released);
      }
    }
    if (!key.needsNetemStage) return item;
    // The ACK stage released it: now it meets the netem stage, at its release time, and
    // re-enters the queue disc with that decision.
    const auto bytes = ItemBytes(item);
    const auto decision = netem_->Process(PacketRef{bytes.data(), bytes.size()}, Time(now));
    for (size_t i = 1; i < decision.copies.size(); ++i) {
      if (auto copy = CopyItem(item)) {
        duplicatedTrace_(copy);
        reentering_ = decision.copies[i];
        Enqueue(copy);
        reentering_.reset();
      }
    }
    reentering_ = decision.copies.front();
    Enqueue(item);
    reentering_.reset();
  }
  return nullptr;
}

void ImpairmentQueueDisc::ScheduleWake(int64_t timeNs) {
  if (wake_.IsRunning() && wakeTimeNs_ <= timeNs) return;
  wake_.Cancel();
  wakeTimeNs_ = timeNs;
  wake_ = ns3::Simulator::Schedule(ns3::NanoSeconds(timeNs) - ns3::Simulator::Now(),
                                   &ImpairmentQueueDisc::Wake, this);
}

void ImpairmentQueueDisc::Wake() { Run(); }

} // namespace tunnelsim
