#include "traffic.h"

#include "units.h"

#include "ns3/bulk-send-application.h"
#include "ns3/bulk-send-helper.h"
#include "ns3/inet-socket-address.h"
#include "ns3/on-off-helper.h"
#include "ns3/packet-sink-helper.h"
#include "ns3/simulator.h"
#include "ns3/string.h"
#include "ns3/uinteger.h"
#include "ns3/v4ping-helper.h"
#include "ns3/v4ping.h"

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;

constexpr uint16_t kBulkBasePort = 5000;
constexpr uint16_t kUdpBasePort = 6000;

ns3::Time TimeOf(const json &flow, const char *key, ns3::Time otherwise) {
  if (!flow.contains(key)) return otherwise;
  return ns3::NanoSeconds(*ParseDurationNs(flow.at(key).get<std::string>()));
}

struct Endpoints {
  ns3::Ptr<ns3::Node> sender, receiver;
  ns3::Ipv4Address receiverAddress;
};

Endpoints EndpointsFor(const std::string &direction, const Topology &topology) {
  if (direction == "download") {
    return {topology.workHost, topology.homeHost, topology.HomeHostAddress()};
  }
  return {topology.homeHost, topology.workHost, topology.WorkHostAddress()};
}

void InstallBulk(const json &flow, size_t index, const Topology &topology, ns3::Time runEnd,
                 ns3::TypeId tcpFactory, FlowProbe &probe) {
  const Endpoints ends = EndpointsFor(flow.at("direction"), topology);
  const uint16_t port = kBulkBasePort + static_cast<uint16_t>(index);
  const ns3::Time start = TimeOf(flow, "start", ns3::Seconds(0));
  const ns3::Time stop = TimeOf(flow, "stop", runEnd);

  ns3::PacketSinkHelper sinkHelper(tcpFactory.GetName(),
                                   ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), port));
  ns3::ApplicationContainer sink = sinkHelper.Install(ends.receiver);
  sink.Start(ns3::Seconds(0));
  probe.SetSink(ns3::DynamicCast<ns3::PacketSink>(sink.Get(0)));

  ns3::BulkSendHelper bulk(tcpFactory.GetName(),
                           ns3::InetSocketAddress(ends.receiverAddress, port));
  bulk.SetAttribute("MaxBytes", ns3::UintegerValue(flow.at("bytes").get<uint64_t>()));
  ns3::ApplicationContainer sender = bulk.Install(ends.sender);
  sender.Start(start);
  sender.Stop(stop);
  // The application creates its socket when it starts; hook the traces just after.
  ns3::Ptr<ns3::BulkSendApplication> app =
      ns3::DynamicCast<ns3::BulkSendApplication>(sender.Get(0));
  ns3::Simulator::Schedule(start + ns3::NanoSeconds(1), [app, &probe]() {
    probe.AttachTcpSocket(ns3::DynamicCast<ns3::TcpSocketBase>(app->GetSocket()));
  });
}

void InstallPing(const json &flow, const Topology &topology, ns3::Time runEnd, FlowProbe &probe) {
  const Endpoints ends = EndpointsFor(flow.at("direction"), topology);
  ns3::V4PingHelper ping(ends.receiverAddress);
  ping.SetAttribute("Interval", ns3::TimeValue(TimeOf(flow, "interval", ns3::Seconds(1))));
  ping.SetAttribute("Size", ns3::UintegerValue(flow.at("size").get<uint32_t>()));
  ns3::ApplicationContainer app = ping.Install(ends.sender);
  app.Start(TimeOf(flow, "start", ns3::Seconds(0)));
  app.Stop(TimeOf(flow, "stop", runEnd));
  app.Get(0)->TraceConnectWithoutContext("Rtt", ns3::MakeCallback(&FlowProbe::OnPingRtt, &probe));
}

void InstallUdp(const json &flow, size_t index, const Topology &topology, ns3::Time runEnd,
                FlowProbe &probe) {
  Endpoints ends = EndpointsFor(flow.at("direction"), topology);
  const uint16_t port = flow.contains("port") ? flow.at("port").get<uint16_t>()
                                              : static_cast<uint16_t>(kUdpBasePort + index);
  if (flow.at("target") == "gateway") {
    // The far gateway's WAN address; whatever listens there (a tunnel) is the receiver.
    ends.receiverAddress = flow.at("direction") == "download"
                               ? topology.interfaces.at("access").GetAddress(0)
                               : topology.interfaces.at("wan").GetAddress(1);
  } else {
    ns3::PacketSinkHelper sinkHelper("ns3::UdpSocketFactory",
                                     ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), port));
    ns3::ApplicationContainer sink = sinkHelper.Install(ends.receiver);
    sink.Start(ns3::Seconds(0));
    probe.SetSink(ns3::DynamicCast<ns3::PacketSink>(sink.Get(0)));
  }

  ns3::OnOffHelper onOff("ns3::UdpSocketFactory",
                         ns3::InetSocketAddress(ends.receiverAddress, port));
  onOff.SetConstantRate(ns3::DataRate(*ParseDataRateBps(flow.at("rate").get<std::string>())),
                        flow.at("packet_size").get<uint32_t>());
  ns3::ApplicationContainer sender = onOff.Install(ends.sender);
  sender.Start(TimeOf(flow, "start", ns3::Seconds(0)));
  sender.Stop(TimeOf(flow, "stop", runEnd));
  sender.Get(0)->TraceConnectWithoutContext("Tx", ns3::MakeCallback(&FlowProbe::OnUdpTx, &probe));
}

} // namespace

std::vector<std::unique_ptr<FlowProbe>> InstallTraffic(const json &traffic,
                                                       const Topology &topology, ns3::Time runEnd,
                                                       ns3::TypeId tcpFactory) {
  std::vector<std::unique_ptr<FlowProbe>> probes;
  auto flowsOf = [&](const char *kind) {
    return traffic.contains(kind) ? traffic.at(kind) : json::array();
  };
  auto addProbe = [&](const std::string &id, FlowProbe::Kind kind, const json &flow) {
    probes.push_back(std::make_unique<FlowProbe>(id, kind, flow.at("direction"),
                                                 TimeOf(flow, "start", ns3::Seconds(0)),
                                                 TimeOf(flow, "stop", runEnd)));
    return probes.back().get();
  };
  // A [[traffic.bulk]] table with count = N is N identical flows; each flow, however written,
  // has its own port and probe ("bulk0", "bulk1", ... in table order).
  size_t bulkIndex = 0;
  for (const json &table : flowsOf("bulk")) {
    const size_t count = table.contains("count") ? table.at("count").get<size_t>() : 1;
    for (size_t copy = 0; copy < count; ++copy, ++bulkIndex) {
      InstallBulk(table, bulkIndex, topology, runEnd, tcpFactory,
                  *addProbe("bulk" + std::to_string(bulkIndex), FlowProbe::Kind::kBulk, table));
    }
  }
  const json ping = flowsOf("ping");
  for (size_t i = 0; i < ping.size(); ++i) {
    InstallPing(ping[i], topology, runEnd,
                *addProbe("ping" + std::to_string(i), FlowProbe::Kind::kPing, ping[i]));
  }
  const json udp = flowsOf("udp");
  for (size_t i = 0; i < udp.size(); ++i) {
    InstallUdp(udp[i], i, topology, runEnd,
               *addProbe("udp" + std::to_string(i), FlowProbe::Kind::kUdp, udp[i]));
  }
  return probes;
}

} // namespace tunnelsim::scenario
