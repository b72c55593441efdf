#include "ns3/tcp/cwnd_gate.h"

namespace tunnelsim {

NS_OBJECT_ENSURE_REGISTERED(CwndGate);

ns3::TypeId CwndGate::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tunnelsim::CwndGate")
                               .SetParent<ns3::TcpCongestionOps>()
                               .SetGroupName("Internet")
                               .AddConstructor<CwndGate>();
  return tid;
}

CwndGate::CwndGate(ns3::Ptr<ns3::TcpCongestionOps> inner) : m_inner(std::move(inner)) {}

CwndGate::CwndGate(const CwndGate &other)
    : TcpCongestionOps(other), m_inner(other.m_inner ? other.m_inner->Fork() : nullptr),
      m_growthAllowed(other.m_growthAllowed) {}

std::string CwndGate::GetName() const { return m_inner->GetName(); }

void CwndGate::Init(ns3::Ptr<ns3::TcpSocketState> tcb) { m_inner->Init(tcb); }

uint32_t CwndGate::GetSsThresh(ns3::Ptr<const ns3::TcpSocketState> tcb, uint32_t bytesInFlight) {
  return m_inner->GetSsThresh(tcb, bytesInFlight);
}

void CwndGate::IncreaseWindow(ns3::Ptr<ns3::TcpSocketState> tcb, uint32_t segmentsAcked) {
  if (m_growthAllowed) m_inner->IncreaseWindow(tcb, segmentsAcked);
}

void CwndGate::PktsAcked(ns3::Ptr<ns3::TcpSocketState> tcb, uint32_t segmentsAcked,
                         const ns3::Time &rtt) {
  m_inner->PktsAcked(tcb, segmentsAcked, rtt);
}

void CwndGate::CongestionStateSet(ns3::Ptr<ns3::TcpSocketState> tcb,
                                  const ns3::TcpSocketState::TcpCongState_t newState) {
  m_inner->CongestionStateSet(tcb, newState);
}

void CwndGate::CwndEvent(ns3::Ptr<ns3::TcpSocketState> tcb,
                         const ns3::TcpSocketState::TcpCAEvent_t event) {
  m_inner->CwndEvent(tcb, event);
}

bool CwndGate::HasCongControl() const { return m_inner->HasCongControl(); }

void CwndGate::CongControl(ns3::Ptr<ns3::TcpSocketState> tcb,
                           const ns3::TcpRateOps::TcpRateConnection &rc,
                           const ns3::TcpRateOps::TcpRateSample &rs) {
  m_inner->CongControl(tcb, rc, rs);
}

ns3::Ptr<ns3::TcpCongestionOps> CwndGate::Fork() { return ns3::CopyObject<CwndGate>(this); }

void CwndGate::DoDispose() {
  m_inner = nullptr;
  TcpCongestionOps::DoDispose();
}

} // namespace tunnelsim
