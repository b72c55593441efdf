#include "ns3/five_node_path.h"

#include "ns3/internet-stack-helper.h"
#include "ns3/ipv4-address-helper.h"
#include "ns3/point-to-point-helper.h"
#include "ns3/queue-size.h"
#include "ns3/string.h"
#include "ns3/traffic-control-helper.h"
#include "ns3/uinteger.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace tunnelsim {
namespace {

std::size_t Index(PathLink link) { return static_cast<std::size_t>(link); }

// The two nodes a link joins, home side first.
std::pair<std::size_t, std::size_t> Ends(PathLink link) {
  const std::size_t first = Index(link);
  return {first, first + 1};
}

void CheckConfig(const FiveNodePathConfig &config) {
  std::array<bool, kPathLinks> seen{};
  for (PathLink link : config.buildOrder) {
    if (Index(link) >= kPathLinks || seen[Index(link)])
      throw std::invalid_argument("five-node path: buildOrder must name each link once");
    seen[Index(link)] = true;
  }
  if (config.queuePackets == 0)
    throw std::invalid_argument("five-node path: queuePackets must be at least 1");
  for (const PathSubnet &subnet : config.subnets) {
    // Host parts 0 (the network) and all ones (broadcast) are not addresses of a device.
    const uint32_t hostMask = ~subnet.mask.Get();
    if ((subnet.network.Get() & hostMask) != 0)
      throw std::invalid_argument("five-node path: subnet network has host bits set");
    for (uint32_t host : {subnet.homeSideHost, subnet.workSideHost})
      if (host == 0 || host >= hostMask || subnet.homeSideHost == subnet.workSideHost)
        throw std::invalid_argument("five-node path: host " + std::to_string(host) +
                                    " is not a distinct device address in its subnet");
  }
}

ns3::NetDeviceContainer InstallLink(ns3::Ptr<ns3::Node> homeSide, ns3::Ptr<ns3::Node> workSide,
                                    const PathLinkConfig &link, const FiveNodePathConfig &config) {
  ns3::PointToPointHelper p2p;
  p2p.SetChannelAttribute("Delay", ns3::TimeValue(link.delay));
  p2p.SetDeviceAttribute("Mtu", ns3::UintegerValue(config.mtu));
  p2p.SetQueue(
      "ns3::DropTailQueue", "MaxSize",
      ns3::QueueSizeValue(ns3::QueueSize(ns3::QueueSizeUnit::PACKETS, config.queuePackets)));
  ns3::NetDeviceContainer devices = p2p.Install(homeSide, workSide);
  // A point-to-point device's DataRate is its transmit rate, so two rates make it asymmetric.
  devices.Get(0)->SetAttribute("DataRate", ns3::DataRateValue(link.up));
  devices.Get(1)->SetAttribute("DataRate", ns3::DataRateValue(link.down));
  return devices;
}

ns3::Ipv4InterfaceContainer AssignSubnet(const ns3::NetDeviceContainer &devices,
                                         const PathSubnet &subnet) {
  ns3::Ipv4AddressHelper addresses;
  ns3::Ipv4InterfaceContainer interfaces;
  addresses.SetBase(subnet.network, subnet.mask, ns3::Ipv4Address(subnet.homeSideHost));
  interfaces.Add(addresses.Assign(ns3::NetDeviceContainer(devices.Get(0))));
  addresses.SetBase(subnet.network, subnet.mask, ns3::Ipv4Address(subnet.workSideHost));
  interfaces.Add(addresses.Assign(ns3::NetDeviceContainer(devices.Get(1))));
  return interfaces;
}

} // namespace

std::array<PathSubnet, kPathLinks> HomeToWorkSubnets() {
  const ns3::Ipv4Mask lan("255.255.255.0"), pointToPoint("255.255.255.252");
  return {{{ns3::Ipv4Address("192.168.1.0"), lan},
           {ns3::Ipv4Address("100.64.0.0"), pointToPoint},
           {ns3::Ipv4Address("198.51.100.0"), pointToPoint},
           {ns3::Ipv4Address("10.1.0.0"), lan}}};
}

FiveNodePath BuildFiveNodePath(const FiveNodePathConfig &config) {
  CheckConfig(config);
  FiveNodePath path;
  path.nodes.Create(5);
  ns3::InternetStackHelper internet;
  internet.SetIpv6StackInstall(config.ipv6Stack);
  internet.Install(path.nodes);

  for (PathLink link : config.buildOrder) {
    const auto [homeSide, workSide] = Ends(link);
    path.links[Index(link)] = InstallLink(path.nodes.Get(homeSide), path.nodes.Get(workSide),
                                          config.links[Index(link)], config);
  }
  for (PathLink link : config.buildOrder) {
    path.interfaces[Index(link)] =
        AssignSubnet(path.links[Index(link)], config.subnets[Index(link)]);
    // Assign() puts ns-3's default root queue disc (FqCoDel, 10240 packets) in front of each
    // device; the device then stops its own queue when full and the packets wait in the queue
    // disc, so queuePackets would never drop anything. Without it the device's drop-tail
    // queue is the queue that holds packets, as txqueuelen with a plain FIFO in Linux.
    ns3::TrafficControlHelper().Uninstall(path.links[Index(link)]);
  }
  return path;
}

} // namespace tunnelsim
