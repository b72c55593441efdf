#include "ns3/impairment/impairment_helper.h"

#include "impairment/netem_parser.h"

#include "ns3/traffic-control-helper.h"
#include "ns3/traffic-control-layer.h"

#include <stdexcept>

namespace tunnelsim {

ns3::Ptr<ImpairmentQueueDisc> ImpairmentHelper::Install(ns3::Ptr<ns3::NetDevice> device,
                                                        const ImpairmentConfig &config) {
  if (!device || !device->GetNode()) {
    throw std::logic_error("ImpairmentHelper: the device must be attached to a node");
  }
  auto tc = device->GetNode()->GetObject<ns3::TrafficControlLayer>();
  if (!tc) {
    throw std::logic_error("ImpairmentHelper: the node has no TrafficControlLayer; install an "
                           "Internet stack (InternetStackHelper) first");
  }
  if (tc->GetRootQueueDiscOnDevice(device)) tc->DeleteRootQueueDiscOnDevice(device);
  ns3::TrafficControlHelper helper;
  helper.SetRootQueueDisc("tunnelsim::ImpairmentQueueDisc");
  auto installed = helper.Install(device);
  auto queueDisc = ns3::DynamicCast<ImpairmentQueueDisc>(installed.Get(0));
  if (config.netem) queueDisc->SetNetem(*config.netem);
  if (config.ack) queueDisc->SetAckImpairment(*config.ack);
  return queueDisc;
}

ns3::Ptr<ImpairmentQueueDisc> ImpairmentHelper::Install(ns3::Ptr<ns3::NetDevice> device,
                                                        const impairment::NetemSettings &netem) {
  return Install(device, ImpairmentConfig{netem, std::nullopt});
}

ns3::Ptr<ImpairmentQueueDisc> ImpairmentHelper::Install(ns3::Ptr<ns3::NetDevice> device,
                                                        const std::string &netemArguments) {
  return Install(device, impairment::ParseNetemArguments(netemArguments));
}

ns3::Ptr<ImpairmentQueueDisc> ImpairmentHelper::Find(ns3::Ptr<ns3::NetDevice> device) {
  if (!device || !device->GetNode()) return nullptr;
  auto tc = device->GetNode()->GetObject<ns3::TrafficControlLayer>();
  if (!tc) return nullptr;
  return ns3::DynamicCast<ImpairmentQueueDisc>(tc->GetRootQueueDiscOnDevice(device));
}

} // namespace tunnelsim
