// The impairments in ns-3: a root queue disc on a NetDevice, so it impairs that device's
// egress (one direction of a link), exactly where Linux puts netem. It only carries out what
// the sans-IO cores decide: an optional ACK stage (AckImpairmentCore) followed by an optional
// netem stage (ImpairmentCore). Packets wait here until their release time and are then handed
// to the device, which still serialises them at its own DataRate, so link rate semantics hold.
#pragma once

#include "impairment/ack_impairment.h"
#include "impairment/impairment_core.h"
#include "impairment/trace_replay.h"
#include "ns3/impairment/time_ordered_queue.h"

#include "ns3/event-id.h"
#include "ns3/nstime.h"
#include "ns3/queue-disc.h"
#include "ns3/traced-callback.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tunnelsim {

class ImpairmentQueueDisc : public ns3::QueueDisc {
public:
  static ns3::TypeId GetTypeId();
  ImpairmentQueueDisc();
  ~ImpairmentQueueDisc() override;

  // Configure before the first packet arrives (std::logic_error afterwards;
  // std::invalid_argument for invalid settings).
  void SetNetem(const impairment::NetemSettings &settings);
  // A tc-netem option string (see ParseNetemArguments); also the "Netem" attribute.
  void SetNetemArguments(std::string arguments);
  std::string GetNetemArguments() const { return netemArguments_; }
  void SetAckImpairment(const impairment::AckImpairmentSettings &settings);
  // Trace replay instead of the ACK and netem stages (combining them is std::invalid_argument).
  void SetTraceReplay(impairment::TraceFile trace, const impairment::TraceReplaySettings &settings);
  // The replay core (its Drops() and HeldTotal()), null before traffic or without a trace.
  const impairment::TraceReplayCore *TraceReplay() const { return trace_.get(); }

  // What was applied; empty when that stage is not configured.
  std::optional<impairment::ImpairmentCounters> NetemCounters() const;
  std::optional<impairment::AckImpairmentCounters> AckCounters() const;

  // Drop reasons given to QueueDisc's drop traces and statistics.
  static constexpr const char *kLossDrop = "Impairment loss";
  static constexpr const char *kQueueFullDrop = "Impairment limit";
  static constexpr const char *kAckThinnedDrop = "ACK thinning";
  static constexpr const char *kTraceDrop = "Trace drop";

private:
  bool DoEnqueue(ns3::Ptr<ns3::QueueDiscItem> item) override;
  ns3::Ptr<ns3::QueueDiscItem> DoDequeue() override;
  bool CheckConfig() override;
  void InitializeParams() override;
  void DoDispose() override;

  bool RunNetemStage(ns3::Ptr<ns3::QueueDiscItem> item, const std::vector<uint8_t> &bytes);
  bool Insert(ns3::Ptr<ns3::QueueDiscItem> item, const impairment::CopyDecision &copy,
              bool needsNetemStage);
  void ScheduleWake(int64_t timeNs);
  void Wake();
  void RequireUnstarted() const;
  bool RunTraceStage(ns3::Ptr<ns3::QueueDiscItem> item);
  void InsertTraceReleased(const std::vector<uint64_t> &ids);
  void ScheduleTraceExpiry();
  void TraceExpiry();

  std::optional<impairment::NetemSettings> netemSettings_;
  std::optional<impairment::AckImpairmentSettings> ackSettings_;
  std::string netemArguments_;
  std::unique_ptr<impairment::ImpairmentCore> netem_;
  std::unique_ptr<impairment::AckImpairmentCore> ack_;
  ns3::Ptr<TimeOrderedQueue> queue_;
  // A duplicate or a second-stage packet re-enters through QueueDisc::Enqueue (as netem
  // re-enqueues a duplicate at the root), carrying the decision already made for it.
  std::optional<impairment::CopyDecision> reentering_;
  ns3::EventId wake_;
  std::optional<std::pair<impairment::TraceFile, impairment::TraceReplaySettings>> traceConfig_;
  std::unique_ptr<impairment::TraceReplayCore> trace_;
  uint64_t traceNextId_ = 0;
  int64_t traceOrder_ = 0; // release order among packets the trace stage lets go at one time
  std::map<uint64_t, ns3::Ptr<ns3::QueueDiscItem>> traceHeld_;  // held packets by id
  std::map<const ns3::QueueDiscItem *, uint64_t> traceDelayed_; // delayed packet -> id
  ns3::EventId traceExpiry_;
  int64_t wakeTimeNs_ = 0;
  bool started_ = false;

  ns3::TracedCallback<ns3::Ptr<const ns3::QueueDiscItem>> lostTrace_;
  ns3::TracedCallback<ns3::Ptr<const ns3::QueueDiscItem>> queueFullTrace_;
  ns3::TracedCallback<ns3::Ptr<const ns3::QueueDiscItem>> duplicatedTrace_;
  ns3::TracedCallback<ns3::Ptr<const ns3::QueueDiscItem>, uint64_t> corruptedTrace_;
  ns3::TracedCallback<ns3::Ptr<const ns3::QueueDiscItem>> reorderedTrace_;
  ns3::TracedCallback<ns3::Ptr<const ns3::QueueDiscItem>, ns3::Time> delayedTrace_;
  ns3::TracedCallback<ns3::Ptr<const ns3::QueueDiscItem>> ackThinnedTrace_;
  ns3::TracedCallback<ns3::Ptr<const ns3::QueueDiscItem>, ns3::Time> ackDelayedTrace_;
};

} // namespace tunnelsim
