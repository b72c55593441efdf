#include "crypto_cpu_model.h"

#include "ns3/boolean.h"
#include "ns3/double.h"
#include "ns3/simulator.h"
#include "ns3/trace-source-accessor.h"
#include "ns3/uinteger.h"

#include <algorithm>

namespace ns3 {

NS_OBJECT_ENSURE_REGISTERED(CryptoCpuModel);

TypeId CryptoCpuModel::GetTypeId() {
  static TypeId tid =
      TypeId("ns3::CryptoCpuModel")
          .SetParent<Object>()
          .SetGroupName("Tunnelsim")
          .AddConstructor<CryptoCpuModel>()
          .AddAttribute("FixedCost", "CPU time per packet, independent of its size",
                        TimeValue(MicroSeconds(2)), MakeTimeAccessor(&CryptoCpuModel::m_fixedCost),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("PerByteCost", "CPU time per byte of packet, in nanoseconds",
                        DoubleValue(1.0), MakeDoubleAccessor(&CryptoCpuModel::m_perByteNs),
                        MakeDoubleChecker<double>(0.0))
          .AddAttribute("RandomServiceTime",
                        "Upper bound of a uniformly random extra CPU time per packet (0: none)",
                        TimeValue(Time(0)), MakeTimeAccessor(&CryptoCpuModel::m_randomServiceTime),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("Workers", "Number of parallel crypto workers (1: one serial worker)",
                        UintegerValue(1), MakeUintegerAccessor(&CryptoCpuModel::m_workers),
                        MakeUintegerChecker<uint32_t>(1, 1024))
          .AddAttribute("Reserialise",
                        "Release each flow's packets in submission order (as Linux does per "
                        "peer) instead of completion order",
                        BooleanValue(true), MakeBooleanAccessor(&CryptoCpuModel::m_reserialise),
                        MakeBooleanChecker())
          .AddAttribute("Seed", "Seed of the random service times", UintegerValue(1),
                        MakeUintegerAccessor(&CryptoCpuModel::m_seed),
                        MakeUintegerChecker<uint64_t>())
          .AddTraceSource("Delay", "Time from submission to release of a packet",
                          MakeTraceSourceAccessor(&CryptoCpuModel::m_delayTrace),
                          "ns3::Time::TracedCallback");
  return tid;
}

Time CryptoCpuModel::Cost(uint32_t bytes) const {
  return m_fixedCost + NanoSeconds(static_cast<int64_t>(m_perByteNs * bytes + 0.5));
}

void CryptoCpuModel::Submit(uint64_t flow, uint32_t bytes, std::function<void()> done) {
  using tunnelsim::impairment::ReorderingEngineSettings;
  if (!m_engine) {
    ReorderingEngineSettings settings;
    settings.seed = m_seed;
    settings.workers = m_workers;
    settings.fixedServiceTime = tunnelsim::Duration(m_fixedCost.GetNanoSeconds());
    settings.perByteNs = m_perByteNs;
    if (m_randomServiceTime.IsStrictlyPositive()) {
      settings.randomKind = ReorderingEngineSettings::RandomKind::kUniform;
      settings.randomServiceTime = tunnelsim::Duration(m_randomServiceTime.GetNanoSeconds());
    }
    // Re-serialisation is per flow here, not across the whole engine.
    settings.reserialize = false;
    m_engine = std::make_unique<tunnelsim::impairment::ReorderingEngineCore>(settings);
  }
  const Time now = Simulator::Now();
  const tunnelsim::impairment::EngineCompletion completion =
      m_engine->Submit(bytes, tunnelsim::Time(now.GetNanoSeconds()));
  m_busyTime += NanoSeconds((completion.completed - completion.start).count());
  Time release = NanoSeconds(completion.completed.count());
  if (m_reserialise) {
    Time &last = m_flowLastRelease[flow];
    release = std::max(release, last);
    last = release;
  }
  // Events at equal times run in scheduling order, so equal release times keep the order too.
  Simulator::Schedule(release - now, &CryptoCpuModel::Complete, this, std::move(done), now);
}

void CryptoCpuModel::Complete(std::function<void()> done, Time submitted) {
  ++m_jobsCompleted;
  m_delayTrace(Simulator::Now() - submitted);
  done();
}

void SetCpuModelFromSpec(ObjectFactory &factory, const tunnelsim::tunnel::CpuSpec &cpu,
                         uint64_t seed) {
  factory.Set("FixedCost", TimeValue(NanoSeconds(cpu.fixedCost.count())));
  factory.Set("PerByteCost", DoubleValue(cpu.perByteNs));
  factory.Set("Workers", UintegerValue(cpu.workers));
  factory.Set("Reserialise", BooleanValue(cpu.reserialise));
  factory.Set("Seed", UintegerValue(seed));
}

} // namespace ns3
