// Installs the Linux-like TCP on ns-3 nodes. TcpL4Protocol::CreateSocket always builds a plain
// TcpSocketBase, so the variant gets its own SocketFactory aggregated to the node beside ns-3's
// TcpSocketFactory: applications choose it per flow by its TypeId (BulkSendHelper,
// PacketSinkHelper, Socket::CreateSocket), and both stacks share the node's TcpL4Protocol,
// endpoints and congestion-control/recovery/RTT TypeIds.
#pragma once

#include "ns3/tcp/linux_tcp_socket.h"

#include "ns3/node-container.h"
#include "ns3/socket-factory.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tunnelsim {

enum class LossDetection { Rack, DupThresh };

// "rack" or "dupthresh"; std::invalid_argument otherwise.
LossDetection ParseLossDetection(const std::string &text);

struct LinuxTcpOptions {
  LossDetection lossDetection = LossDetection::Rack;
  bool tlp = true;
  bool dsack = true;
  bool undo = true;
  bool frto = true;          // F-RTO after an RTO (Linux tcp_frto=2)
  bool timestampUndo = true; // Eifel undo on an ACK echoing an original's timestamp
  bool linuxRto = true;      // RTO = SRTT + max(4 RTTVAR, MinRto), as Linux
  // Linux-like delayed ACKs: quick-ACKs at start and after duplicate data, an ACK every
  // second full segment, and a 40 ms delayed-ACK timer (TCP_ATO_MIN).
  uint32_t quickAckSegments = 16;
  uint32_t delAckMaxCount = 2;
  ns3::Time delAckTimeout = ns3::MilliSeconds(40);
  ns3::Time maxAckDelay = ns3::MilliSeconds(200);
  // Linux's TS.Recent rule (RFC 7323 section 4.3) instead of ns-3's in-order-only one.
  bool linuxTsRecent = true;
  // Grow cwnd only while cwnd-limited (Linux tcp_is_cwnd_limited).
  bool cwndLimitedGrowth = true;
  // Buffer autotuning (Linux tcp_moderate_rcvbuf and send-buffer expansion) up to these
  // maxima, in payload bytes; 0 keeps the fixed RcvBufSize / SndBufSize.
  uint32_t receiveBufferMax = 0;
  uint32_t sendBufferMax = 0;
  uint32_t initialReceiveWindow = 65536;
};

class LinuxTcpSocketFactory : public ns3::SocketFactory {
public:
  static ns3::TypeId GetTypeId();
  ns3::Ptr<ns3::Socket> CreateSocket() override;

  void SetOptions(const LinuxTcpOptions &options) { m_options = options; }
  const LinuxTcpOptions &Options() const { return m_options; }
  // Every socket this factory created plus every connection they accepted.
  std::vector<ns3::Ptr<LinuxTcpSocket>> Sockets() const { return *m_sockets; }
  LinuxTcpMetrics TotalMetrics() const;

protected:
  void DoDispose() override;

private:
  LinuxTcpOptions m_options;
  std::shared_ptr<std::vector<ns3::Ptr<LinuxTcpSocket>>> m_sockets =
      std::make_shared<std::vector<ns3::Ptr<LinuxTcpSocket>>>();
};

// Aggregates (or reconfigures) a LinuxTcpSocketFactory on each node. The nodes need an
// internet stack (std::logic_error otherwise).
void InstallLinuxLikeTcp(const ns3::NodeContainer &nodes, const LinuxTcpOptions &options);

// The TypeId applications pass as their socket factory ("Protocol") to use the variant.
inline ns3::TypeId LinuxTcpSocketFactoryTypeId() { return LinuxTcpSocketFactory::GetTypeId(); }

// Metrics of one socket, or nullopt when it is not a LinuxTcpSocket.
std::optional<LinuxTcpMetrics> GetLinuxTcpMetrics(ns3::Ptr<ns3::Socket> socket);

} // namespace tunnelsim
