#include "ns3/tcp/linux_tcp_helper.h"

#include "ns3/tcp/cwnd_gate.h"

#include "ns3/boolean.h"
#include "ns3/object-factory.h"
#include "ns3/rtt-estimator.h"
#include "ns3/tcp-congestion-ops.h"
#include "ns3/tcp-l4-protocol.h"
#include "ns3/tcp-recovery-ops.h"
#include "ns3/type-id.h"
#include "ns3/uinteger.h"

#include <stdexcept>

namespace tunnelsim {

NS_OBJECT_ENSURE_REGISTERED(LinuxTcpSocketFactory);

LossDetection ParseLossDetection(const std::string &text) {
  if (text == "rack") return LossDetection::Rack;
  if (text == "dupthresh") return LossDetection::DupThresh;
  throw std::invalid_argument("tcp.loss_detection must be \"rack\" or \"dupthresh\", not \"" +
                              text + "\"");
}

ns3::TypeId LinuxTcpSocketFactory::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tunnelsim::LinuxTcpSocketFactory")
                               .SetParent<ns3::SocketFactory>()
                               .SetGroupName("Internet");
  return tid;
}

ns3::Ptr<ns3::Socket> LinuxTcpSocketFactory::CreateSocket() {
  ns3::Ptr<ns3::Node> node = GetObject<ns3::Node>();
  ns3::Ptr<ns3::TcpL4Protocol> tcp = node ? node->GetObject<ns3::TcpL4Protocol>() : nullptr;
  if (!tcp) throw std::logic_error("LinuxTcpSocketFactory: node has no TcpL4Protocol");
  ns3::TypeIdValue rttType, congestionType, recoveryType;
  tcp->GetAttribute("RttEstimatorType", rttType);
  tcp->GetAttribute("SocketType", congestionType);
  tcp->GetAttribute("RecoveryType", recoveryType);

  ns3::ObjectFactory socketFactory(LinuxTcpSocket::GetTypeId().GetName());
  socketFactory.Set("RackEnabled",
                    ns3::BooleanValue(m_options.lossDetection == LossDetection::Rack));
  socketFactory.Set("TlpEnabled", ns3::BooleanValue(m_options.tlp));
  socketFactory.Set("DsackEnabled", ns3::BooleanValue(m_options.dsack));
  socketFactory.Set("UndoEnabled", ns3::BooleanValue(m_options.undo));
  socketFactory.Set("Frto", ns3::BooleanValue(m_options.frto));
  socketFactory.Set("TimestampUndo", ns3::BooleanValue(m_options.timestampUndo));
  socketFactory.Set("LinuxRto", ns3::BooleanValue(m_options.linuxRto));
  socketFactory.Set("QuickAckSegments", ns3::UintegerValue(m_options.quickAckSegments));
  socketFactory.Set("MaxAckDelay", ns3::TimeValue(m_options.maxAckDelay));
  socketFactory.Set("DelAckTimeout", ns3::TimeValue(m_options.delAckTimeout));
  socketFactory.Set("DelAckCount", ns3::UintegerValue(m_options.delAckMaxCount));
  socketFactory.Set("LinuxTsRecent", ns3::BooleanValue(m_options.linuxTsRecent));
  socketFactory.Set("SendBufferMax", ns3::UintegerValue(m_options.sendBufferMax));
  socketFactory.Set("ReceiveBufferMax", ns3::UintegerValue(m_options.receiveBufferMax));
  socketFactory.Set("InitialReceiveWindow", ns3::UintegerValue(m_options.initialReceiveWindow));
  // The window scale a SYN announces is computed from the receive buffer's size then.
  if (m_options.receiveBufferMax > 0)
    socketFactory.Set("RcvBufSize", ns3::UintegerValue(m_options.receiveBufferMax));
  auto socket = socketFactory.Create<LinuxTcpSocket>();

  ns3::ObjectFactory rtt(rttType.Get().GetName());
  ns3::ObjectFactory congestion(congestionType.Get().GetName());
  ns3::ObjectFactory recovery(recoveryType.Get().GetName());
  socket->SetNode(node);
  socket->SetTcp(tcp);
  socket->SetRtt(rtt.Create<ns3::RttEstimator>());
  ns3::Ptr<ns3::TcpCongestionOps> congestionOps = congestion.Create<ns3::TcpCongestionOps>();
  if (m_options.cwndLimitedGrowth) congestionOps = ns3::CreateObject<CwndGate>(congestionOps);
  socket->SetCongestionControlAlgorithm(congestionOps);
  socket->SetRecoveryAlgorithm(recovery.Create<ns3::TcpRecoveryOps>());
  socket->SetRegistry(m_sockets);
  tcp->AddSocket(socket); // disposed with the protocol, like the sockets it creates itself
  m_sockets->push_back(socket);
  return socket;
}

LinuxTcpMetrics LinuxTcpSocketFactory::TotalMetrics() const {
  LinuxTcpMetrics total;
  for (const auto &socket : *m_sockets)
    total += socket->GetMetrics();
  return total;
}

void LinuxTcpSocketFactory::DoDispose() {
  m_sockets->clear();
  SocketFactory::DoDispose();
}

void InstallLinuxLikeTcp(const ns3::NodeContainer &nodes, const LinuxTcpOptions &options) {
  for (auto it = nodes.Begin(); it != nodes.End(); ++it) {
    ns3::Ptr<ns3::Node> node = *it;
    if (!node->GetObject<ns3::TcpL4Protocol>())
      throw std::logic_error("InstallLinuxLikeTcp: node " + std::to_string(node->GetId()) +
                             " has no internet stack (TcpL4Protocol)");
    auto factory = node->GetObject<LinuxTcpSocketFactory>();
    if (!factory) {
      factory = ns3::CreateObject<LinuxTcpSocketFactory>();
      node->AggregateObject(factory);
    }
    factory->SetOptions(options);
  }
}

std::optional<LinuxTcpMetrics> GetLinuxTcpMetrics(ns3::Ptr<ns3::Socket> socket) {
  auto linuxSocket = ns3::DynamicCast<LinuxTcpSocket>(socket);
  if (!linuxSocket) return std::nullopt;
  return linuxSocket->GetMetrics();
}

} // namespace tunnelsim
