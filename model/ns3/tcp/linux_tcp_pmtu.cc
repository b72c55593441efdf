// LinuxTcpSocket's use of the peer's MSS option and of ICMP "fragmentation needed", kept apart
// from the loss-recovery code in linux_tcp_socket.cc. ns-3 3.37's TcpSocketBase ignores both
// (it neither reads the MSS option nor acts on ICMP); Linux does:
//   - tcp_sync_mss / tcp_mss_to_mtu: the send MSS is the smaller of the local one and the
//     peer's MSS option, less the TCP options every segment carries (12 bytes of timestamps);
//   - tcp_v4_err -> tcp_v4_mtu_reduced: ICMP type 3 code 4 lowers the path MTU to the reported
//     next-hop MTU and the send MSS with it.
//   - tcp_simple_retransmit, run by tcp_v4_mtu_reduced when the MSS fell: every outstanding
//     segment longer than the new MSS is marked lost and retransmitted at once in MSS-sized
//     pieces, entering the loss state (unless in it already) without a cwnd reduction: the
//     data in the network did not grow, only its unit shrank. ssthresh becomes
//     tcp_current_ssthresh (never lower than before), and nothing is to be undone.
#include "ns3/tcp/linux_tcp_socket.h"

#include "ns3/icmpv4.h"
#include "ns3/simulator.h"
#include "ns3/tcp-congestion-ops.h"
#include "ns3/tcp-option-rfc793.h"
#include "ns3/tcp-tx-buffer.h"

#include <algorithm>

namespace tunnelsim {
namespace {

constexpr uint32_t kIpv4TcpHeaders = 40;
constexpr uint32_t kTimestampOptionBytes = 12; // 10 bytes of option, 2 of NOP padding
constexpr uint32_t kMinIpv4Mtu = 68;           // RFC 791; a smaller reported MTU is ignored
constexpr uint32_t kMinSendMss = 48;           // Linux's tcp_min_snd_mss default

} // namespace

void LinuxTcpSocket::ApplyPeerMss(const ns3::TcpHeader &header) {
  if (!(header.GetFlags() & ns3::TcpHeader::SYN)) return;
  const auto mss = ns3::DynamicCast<const ns3::TcpOptionMSS>(header.GetOption(ns3::TcpOption::MSS));
  if (mss) LowerSendMss(mss->GetMSS());
}

void LinuxTcpSocket::ApplyPeerMssOfSynAck(ns3::Ptr<const ns3::Packet> packet) {
  ns3::TcpHeader header;
  if (packet->PeekHeader(header) != 0) ApplyPeerMss(header);
}

void LinuxTcpSocket::OnIcmp(ns3::Ipv4Address source, uint8_t ttl, uint8_t type, uint8_t code,
                            uint32_t info) {
  if (type == ns3::Icmpv4Header::ICMPV4_DEST_UNREACH &&
      code == ns3::Icmpv4DestinationUnreachable::ICMPV4_FRAG_NEEDED && info >= kMinIpv4Mtu) {
    ++m_pmtuReductions;
    if (LowerSendMss(info - kIpv4TcpHeaders)) RetransmitTooBig();
  }
  ForwardIcmp(source, ttl, type, code, info);
}

bool LinuxTcpSocket::LowerSendMss(uint32_t mss) {
  const uint32_t options = m_timestampEnabled ? kTimestampOptionBytes : 0;
  const uint32_t payload = std::max(mss > options ? mss - options : 0, kMinSendMss);
  if (payload >= m_tcb->m_segmentSize) return false;
  m_tcb->m_segmentSize = payload;
  m_txBuffer->SetSegmentSize(payload);
  m_rack.SetSegmentSize(payload);
  return true;
}

void LinuxTcpSocket::RetransmitTooBig() {
  // Only RACK's scoreboard keeps each segment's size as sent; without RACK the ordinary loss
  // recovery repairs the refused segments.
  if (!m_rackEnabled || m_tcb->m_highTxMark.Get() <= m_txBuffer->HeadSequence()) return;
  if (MutableRack().MarkLongerThanLost(m_tcb->m_segmentSize) == 0) return;
  m_rackLossMarksPossible = true; // the pipe leaves the marked segments out
  const auto state = m_tcb->m_congState.Get();
  if (state != ns3::TcpSocketState::CA_LOSS) {
    // tcp_current_ssthresh: kept during a reduction already under way, otherwise at least
    // three quarters of cwnd. cwnd itself is left alone.
    if (state != ns3::TcpSocketState::CA_RECOVERY && state != ns3::TcpSocketState::CA_CWR) {
      const uint32_t cwnd = m_tcb->m_cWnd.Get();
      m_tcb->m_ssThresh = std::max(m_tcb->m_ssThresh.Get(), cwnd / 2 + cwnd / 4);
    }
    // Linux's high_seq: the loss state ends once everything sent so far is acknowledged.
    m_recover = m_tcb->m_highTxMark;
    m_recoverActive = true;
    m_probeEvent.Cancel();
    m_congestionControl->CongestionStateSet(m_tcb, ns3::TcpSocketState::CA_LOSS);
    m_tcb->m_congState = ns3::TcpSocketState::CA_LOSS;
  }
  m_pmtuLossRecovery = true;
  RetransmitRackLost();
  // tcp_xmit_retransmit_queue restarts the retransmission timer when it resends the head.
  m_retxEvent.Cancel();
  m_retxEvent = ns3::Simulator::Schedule(m_rto, &LinuxTcpSocket::ReTxTimeout, this);
}

} // namespace tunnelsim
