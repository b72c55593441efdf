#include "ns3/impairment/reordering_engine_model.h"

#include "ns3/boolean.h"
#include "ns3/enum.h"
#include "ns3/simulator.h"
#include "ns3/uinteger.h"

#include <stdexcept>

namespace tunnelsim {

NS_OBJECT_ENSURE_REGISTERED(ReorderingEngineModel);

using RandomKind = impairment::ReorderingEngineSettings::RandomKind;

namespace {

void Deliver(ns3::Callback<void, ns3::Ptr<ns3::Packet>> done, ns3::Ptr<ns3::Packet> packet) {
  done(packet);
}

} // namespace

ns3::TypeId ReorderingEngineModel::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("tunnelsim::ReorderingEngineModel")
          .SetParent<ns3::Object>()
          .AddConstructor<ReorderingEngineModel>()
          .AddAttribute("Workers", "Parallel workers", ns3::UintegerValue(4),
                        ns3::MakeUintegerAccessor(&ReorderingEngineModel::workers_),
                        ns3::MakeUintegerChecker<uint32_t>(1))
          .AddAttribute("FixedServiceTime", "Service time every packet takes",
                        ns3::TimeValue(ns3::Seconds(0)),
                        ns3::MakeTimeAccessor(&ReorderingEngineModel::fixedServiceTime_),
                        ns3::MakeTimeChecker(ns3::Seconds(0)))
          .AddAttribute("PerByteServiceTime", "Service time per byte",
                        ns3::TimeValue(ns3::Seconds(0)),
                        ns3::MakeTimeAccessor(&ReorderingEngineModel::perByteServiceTime_),
                        ns3::MakeTimeChecker(ns3::Seconds(0)))
          .AddAttribute("RandomServiceTime",
                        "Scale of the random part: uniform width or exponential mean",
                        ns3::TimeValue(ns3::Seconds(0)),
                        ns3::MakeTimeAccessor(&ReorderingEngineModel::randomServiceTime_),
                        ns3::MakeTimeChecker(ns3::Seconds(0)))
          .AddAttribute("RandomKind", "Law of the random part of the service time",
                        ns3::EnumValue(static_cast<int>(RandomKind::kNone)),
                        ns3::MakeEnumAccessor(&ReorderingEngineModel::randomKind_),
                        ns3::MakeEnumChecker(static_cast<int>(RandomKind::kNone), "none",
                                             static_cast<int>(RandomKind::kUniform), "uniform",
                                             static_cast<int>(RandomKind::kExponential),
                                             "exponential"))
          .AddAttribute("Reserialize", "Release packets in arrival order", ns3::BooleanValue(false),
                        ns3::MakeBooleanAccessor(&ReorderingEngineModel::reserialize_),
                        ns3::MakeBooleanChecker())
          .AddAttribute("Seed", "Seed of the engine's own PRNG", ns3::UintegerValue(1),
                        ns3::MakeUintegerAccessor(&ReorderingEngineModel::seed_),
                        ns3::MakeUintegerChecker<uint64_t>());
  return tid;
}

ReorderingEngineModel::ReorderingEngineModel() = default;
ReorderingEngineModel::~ReorderingEngineModel() = default;

void ReorderingEngineModel::SetSettings(const impairment::ReorderingEngineSettings &settings) {
  if (core_) throw std::logic_error("ReorderingEngineModel: configure before the first Submit");
  core_ = std::make_unique<impairment::ReorderingEngineCore>(settings);
  settings_ = settings;
}

impairment::ReorderingEngineCore &ReorderingEngineModel::Core() {
  if (!core_) {
    settings_.workers = workers_;
    settings_.randomKind = static_cast<RandomKind>(randomKind_);
    settings_.reserialize = reserialize_;
    settings_.seed = seed_;
    settings_.fixedServiceTime = Duration(fixedServiceTime_.GetNanoSeconds());
    settings_.perByteNs = perByteServiceTime_.GetDouble() / ns3::NanoSeconds(1).GetDouble();
    settings_.randomServiceTime = Duration(randomServiceTime_.GetNanoSeconds());
    core_ = std::make_unique<impairment::ReorderingEngineCore>(settings_);
  }
  return *core_;
}

ns3::Time ReorderingEngineModel::Submit(uint32_t bytes) {
  const auto now = ns3::Simulator::Now();
  const auto completion = Core().Submit(bytes, Time(now.GetNanoSeconds()));
  return ns3::NanoSeconds(completion.departure.count());
}

void ReorderingEngineModel::Submit(ns3::Ptr<ns3::Packet> packet,
                                   ns3::Callback<void, ns3::Ptr<ns3::Packet>> done) {
  const ns3::Time departure = Submit(packet->GetSize());
  ns3::Simulator::Schedule(departure - ns3::Simulator::Now(), &Deliver, done, packet);
}

uint64_t ReorderingEngineModel::Submitted() const { return core_ ? core_->Submitted() : 0; }
uint64_t ReorderingEngineModel::Overtaken() const { return core_ ? core_->Overtaken() : 0; }

} // namespace tunnelsim
