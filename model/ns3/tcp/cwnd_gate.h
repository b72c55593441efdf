// Wraps a congestion control so that it grows cwnd only while the socket is cwnd-limited, as
// every Linux cong_avoid does (tcp_is_cwnd_limited); every other callback passes through.
// The owning LinuxTcpSocket sets the gate before each ACK is processed.
#pragma once

#include "ns3/tcp-congestion-ops.h"

namespace tunnelsim {

class CwndGate : public ns3::TcpCongestionOps {
public:
  static ns3::TypeId GetTypeId();
  CwndGate() = default;
  explicit CwndGate(ns3::Ptr<ns3::TcpCongestionOps> inner);
  CwndGate(const CwndGate &other);

  ns3::Ptr<ns3::TcpCongestionOps> Inner() const { return m_inner; }
  void SetGrowthAllowed(bool allowed) { m_growthAllowed = allowed; }

  std::string GetName() const override;
  void Init(ns3::Ptr<ns3::TcpSocketState> tcb) override;
  uint32_t GetSsThresh(ns3::Ptr<const ns3::TcpSocketState> tcb, uint32_t bytesInFlight) override;
  void IncreaseWindow(ns3::Ptr<ns3::TcpSocketState> tcb, uint32_t segmentsAcked) override;
  void PktsAcked(ns3::Ptr<ns3::TcpSocketState> tcb, uint32_t segmentsAcked,
                 const ns3::Time &rtt) override;
  void CongestionStateSet(ns3::Ptr<ns3::TcpSocketState> tcb,
                          const ns3::TcpSocketState::TcpCongState_t newState) override;
  void CwndEvent(ns3::Ptr<ns3::TcpSocketState> tcb,
                 const ns3::TcpSocketState::TcpCAEvent_t event) override;
  bool HasCongControl() const override;
  void CongControl(ns3::Ptr<ns3::TcpSocketState> tcb, const ns3::TcpRateOps::TcpRateConnection &rc,
                   const ns3::TcpRateOps::TcpRateSample &rs) override;
  ns3::Ptr<ns3::TcpCongestionOps> Fork() override;

protected:
  void DoDispose() override;

private:
  ns3::Ptr<ns3::TcpCongestionOps> m_inner;
  bool m_growthAllowed = true;
};

} // namespace tunnelsim
