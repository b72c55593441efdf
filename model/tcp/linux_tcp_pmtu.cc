// LinuxTcpSocket's use of the peer's MSS option and of ICMP "fragmentation needed", kept apart
// from the loss-recovery code in linux_tcp_socket.cc. ns-3 3.37's TcpSocketBase ignores both
// (it neither reads the MSS option nor acts on ICMP); Linux does:
//   - tcp_sync_mss / tcp_mss_to_mtu: the send MSS is the smaller of the local one and the
//     peer's MSS option, less the TCP options every segment carries (12 bytes of timestamps);
//   - tcp_v4_err -> tcp_v4_mtu_reduced: ICMP type 3 code 4 lowers the path MTU to the reported
//     next-hop MTU and the send MSS with it.
// Linux then retransmits at once (tcp_simple_retransmit) without reducing cwnd; here the lost
// segments are repaired by the ordinary loss recovery (RACK-TLP or RTO), at the smaller size.
#include "tcp/linux_tcp_socket.h"

#include "ns3/icmpv4.h"
#include "ns3/tcp-option-rfc793.h"
#include "ns3/tcp-tx-buffer.h"

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
    LowerSendMss(info - kIpv4TcpHeaders);
  }
  ForwardIcmp(source, ttl, type, code, info);
}

void LinuxTcpSocket::LowerSendMss(uint32_t mss) {
  const uint32_t options = m_timestampEnabled ? kTimestampOptionBytes : 0;
  const uint32_t payload = std::max(mss > options ? mss - options : 0, kMinSendMss);
  if (payload >= m_tcb->m_segmentSize) return;
  m_tcb->m_segmentSize = payload;
  m_txBuffer->SetSegmentSize(payload);
  m_rack.SetSegmentSize(payload);
}

} // namespace tunnelsim
