#include "ns3/impairment/time_ordered_queue.h"

#include <iterator>

namespace tunnelsim {

NS_OBJECT_ENSURE_REGISTERED(TimeOrderedQueue);

ns3::TypeId TimeOrderedQueue::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tunnelsim::TimeOrderedQueue")
                               .SetParent<ns3::Queue<ns3::QueueDiscItem>>()
                               .SetGroupName("TrafficControl")
                               .AddConstructor<TimeOrderedQueue>();
  return tid;
}

bool TimeOrderedQueue::Enqueue(ns3::Ptr<ns3::QueueDiscItem> item) {
  // Most items go last, so the position is searched from the back; equal keys keep FIFO order.
  auto position = GetContainer().end();
  auto keyPosition = keys_.end();
  while (keyPosition != keys_.begin()) {
    auto previous = std::prev(keyPosition);
    if (!(nextKey_ < *previous)) break;
    keyPosition = previous;
    --position;
  }
  if (!DoEnqueue(position, item)) return false;
  keys_.insert(keyPosition, nextKey_);
  return true;
}

ns3::Ptr<ns3::QueueDiscItem> TimeOrderedQueue::Dequeue() {
  auto item = DoDequeue(GetContainer().begin());
  if (item) keys_.pop_front();
  return item;
}

ns3::Ptr<ns3::QueueDiscItem> TimeOrderedQueue::Remove() {
  auto item = DoRemove(GetContainer().begin());
  if (item) keys_.pop_front();
  return item;
}

ns3::Ptr<const ns3::QueueDiscItem> TimeOrderedQueue::Peek() const {
  return DoPeek(GetContainer().begin());
}

} // namespace tunnelsim
