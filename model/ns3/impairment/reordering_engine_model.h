// The reordering engine (see impairment/reordering_engine.h) for ns-3 tunnel adapters: an
// Object with attributes, whose Submit tells when a packet handed to the engine now leaves
// it, or schedules a callback for then.
#pragma once

#include "impairment/reordering_engine.h"

#include "ns3/callback.h"
#include "ns3/nstime.h"
#include "ns3/object.h"
#include "ns3/packet.h"

#include <memory>

namespace tunnelsim {

class ReorderingEngineModel : public ns3::Object {
public:
  static ns3::TypeId GetTypeId();
  ReorderingEngineModel();
  ~ReorderingEngineModel() override;

  // Replaces the attributes' settings; before the first Submit (std::logic_error after).
  void SetSettings(const impairment::ReorderingEngineSettings &settings);

  // When a packet of `bytes` handed over now leaves the engine (absolute simulation time).
  ns3::Time Submit(uint32_t bytes);
  // Hands `packet` over now; `done` is called with it when it leaves the engine.
  void Submit(ns3::Ptr<ns3::Packet> packet, ns3::Callback<void, ns3::Ptr<ns3::Packet>> done);

  uint64_t Submitted() const;
  uint64_t Overtaken() const;

private:
  impairment::ReorderingEngineCore &Core();

  impairment::ReorderingEngineSettings settings_;
  std::unique_ptr<impairment::ReorderingEngineCore> core_;
  uint32_t workers_ = 4;
  int randomKind_ = 0; // a ReorderingEngineSettings::RandomKind, as ns-3 enums are ints
  bool reserialize_ = false;
  uint64_t seed_ = 1;
  ns3::Time fixedServiceTime_;
  ns3::Time perByteServiceTime_;
  ns3::Time randomServiceTime_;
};

} // namespace tunnelsim
