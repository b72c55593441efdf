// The ImpairmentQueueDisc's internal queue: items kept sorted by their release key (the time
// the core decided, then its ordering key), like netem's tfifo. A plain ns-3 Queue, so the
// queue disc's packet counts and drop statistics stay right.
#pragma once

#include "ns3/queue-item.h"
#include "ns3/queue.h"

#include <cstdint>
#include <list>

namespace tunnelsim {

struct ReleaseKey {
  int64_t timeNs = 0;
  int64_t order = 0;
  // Released by the ACK stage, still to go through the netem stage.
  bool needsNetemStage = false;

  bool operator<(const ReleaseKey &other) const {
    return timeNs != other.timeNs ? timeNs < other.timeNs : order < other.order;
  }
};

class TimeOrderedQueue : public ns3::Queue<ns3::QueueDiscItem> {
public:
  static ns3::TypeId GetTypeId();

  // Enqueue() files the item under the key given here last.
  void SetNextKey(const ReleaseKey &key) { nextKey_ = key; }
  // The head's key; only when the queue is not empty.
  const ReleaseKey &HeadKey() const { return keys_.front(); }

  bool Enqueue(ns3::Ptr<ns3::QueueDiscItem> item) override;
  ns3::Ptr<ns3::QueueDiscItem> Dequeue() override;
  ns3::Ptr<ns3::QueueDiscItem> Remove() override;
  ns3::Ptr<const ns3::QueueDiscItem> Peek() const override;

private:
  std::list<ReleaseKey> keys_; // parallel to the container, same order
  ReleaseKey nextKey_;
};

} // namespace tunnelsim
