// Attaches impairments to one direction of a link: the egress of a NetDevice. It replaces the
// device's root queue disc (InternetStackHelper installs one by default) with an
// ImpairmentQueueDisc configured from settings or from a tc-netem option string.
#pragma once

#include "impairment/ack_impairment.h"
#include "impairment/netem_settings.h"
#include "ns3/impairment/impairment_queue_disc.h"

#include "ns3/net-device.h"
#include "ns3/ptr.h"

#include <optional>
#include <string>

namespace tunnelsim {

struct ImpairmentConfig {
  std::optional<impairment::NetemSettings> netem;
  std::optional<impairment::AckImpairmentSettings> ack; // applied before netem when both
};

class ImpairmentHelper {
public:
  // The device's node must have a TrafficControlLayer (InternetStackHelper adds one);
  // std::logic_error otherwise. Invalid settings: std::invalid_argument.
  static ns3::Ptr<ImpairmentQueueDisc> Install(ns3::Ptr<ns3::NetDevice> device,
                                               const ImpairmentConfig &config);
  static ns3::Ptr<ImpairmentQueueDisc> Install(ns3::Ptr<ns3::NetDevice> device,
                                               const impairment::NetemSettings &netem);
  // E.g. "delay 20ms 5ms 25% reorder 10% 50% gap 5 loss gemodel 1% 10%"; NetemParseError
  // names the offending token.
  static ns3::Ptr<ImpairmentQueueDisc> Install(ns3::Ptr<ns3::NetDevice> device,
                                               const std::string &netemArguments);
  // The impairment installed on `device`, or null.
  static ns3::Ptr<ImpairmentQueueDisc> Find(ns3::Ptr<ns3::NetDevice> device);
};

} // namespace tunnelsim
