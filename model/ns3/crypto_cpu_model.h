// An optional model of the CPU time a tunnel endpoint spends on per-packet cryptography:
// each packet costs FixedCost + PerByteCost x size (+ an optional uniform random part) on one
// of Workers identical workers. The worker pool is the impairment layer's sans-IO
// ReorderingEngineCore; this class adds ns-3 scheduling and per-flow re-serialisation.
// With one worker, packets queue behind each other (a single crypto thread). With several,
// packets run in parallel and may finish out of order; Reserialise then holds each finished
// packet until every earlier packet of the same flow (a peer, a security association) is
// out, as Linux WireGuard's per-peer serial queues do. Without Reserialise packets leave in
// completion order.
#pragma once

#include "impairment/reordering_engine.h"
#include "tunnel/spec.h"

#include "ns3/nstime.h"
#include "ns3/object-factory.h"
#include "ns3/object.h"
#include "ns3/traced-callback.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

namespace ns3 {

class CryptoCpuModel : public Object {
public:
  static TypeId GetTypeId();

  // Runs `done` once the packet's cryptography has finished (and, with Reserialise, every
  // earlier packet of `flow` has left). Packets are served in submission order.
  void Submit(uint64_t flow, uint32_t bytes, std::function<void()> done);

  // The service time of one packet of `bytes` bytes.
  Time Cost(uint32_t bytes) const;

  uint64_t JobsCompleted() const { return m_jobsCompleted; }
  // Total time workers spent busy, summed over workers.
  Time BusyTime() const { return m_busyTime; }

private:
  void Complete(std::function<void()> done, Time submitted);

  Time m_fixedCost;
  double m_perByteNs = 0;
  uint32_t m_workers = 1;
  bool m_reserialise = true;
  Time m_randomServiceTime;
  uint64_t m_seed = 1;

  // Built at the first packet, once the attributes are final.
  std::unique_ptr<tunnelsim::impairment::ReorderingEngineCore> m_engine;
  std::unordered_map<uint64_t, Time> m_flowLastRelease;
  uint64_t m_jobsCompleted = 0;
  Time m_busyTime;
  TracedCallback<Time> m_delayTrace; // time from submission to release of each packet
};

// Sets a CryptoCpuModel factory from a scenario's tunnel.cpu table (fixed and per-byte cost,
// workers, reserialising), its random service times seeded with `seed`. The tunnel helpers'
// SetCpuSpec use it, so every tunnel type reads the table alike.
void SetCpuModelFromSpec(ObjectFactory &factory, const tunnelsim::tunnel::CpuSpec &cpu,
                         uint64_t seed);

} // namespace ns3
