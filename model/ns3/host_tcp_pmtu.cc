#include "host_tcp_pmtu.h"

#include "ns3/ipv4-header.h"
#include "ns3/ipv4-route.h"
#include "ns3/ipv4.h"
#include "ns3/net-device.h"
#include "ns3/object.h"
#include "ns3/packet.h"
#include "ns3/tcp-header.h"
#include "ns3/tcp-l4-protocol.h"
#include "ns3/tcp-option-rfc793.h"

namespace ns3 {
namespace {

constexpr uint8_t kTcpProtocol = 6;
constexpr uint8_t kDefaultTtl = 64; // Ipv4L3Protocol's DefaultTtl, Linux's ip_default_ttl
constexpr uint32_t kIpv4TcpHeaders = 40;

class HostTcpPmtuShim : public Object {
public:
  HostTcpPmtuShim(Ptr<Node> node, IpL4Protocol::DownTargetCallback below,
                  const HostTcpPmtuOptions &options)
      : m_ipv4(node->GetObject<Ipv4>()), m_below(below), m_options(options) {}

  void Send(Ptr<Packet> packet, Ipv4Address source, Ipv4Address destination, uint8_t protocol,
            Ptr<Ipv4Route> route) {
    if (protocol == kTcpProtocol && m_options.advertiseMss)
      AddMssOption(packet, source, destination, route);
    if (protocol != kTcpProtocol || !m_options.setDontFragment || !route || !m_ipv4) {
      m_below(packet, source, destination, protocol, route);
      return;
    }
    Ipv4Header header;
    header.SetSource(source);
    header.SetDestination(destination);
    header.SetProtocol(protocol);
    header.SetPayloadSize(packet->GetSize());
    header.SetTtl(kDefaultTtl);
    header.SetDontFragment();
    if (Node::ChecksumEnabled()) header.EnableChecksum();
    m_ipv4->SendWithHeader(packet, header, route);
  }

private:
  static void AddMssOption(Ptr<Packet> packet, Ipv4Address source, Ipv4Address destination,
                           Ptr<Ipv4Route> route) {
    TcpHeader tcp;
    if (packet->PeekHeader(tcp) == 0 || !(tcp.GetFlags() & TcpHeader::SYN) ||
        tcp.HasOption(TcpOption::MSS) || !route || !route->GetOutputDevice())
      return;
    const uint32_t mtu = route->GetOutputDevice()->GetMtu();
    if (mtu <= kIpv4TcpHeaders) return;
    auto option = CreateObject<TcpOptionMSS>();
    option->SetMSS(static_cast<uint16_t>(std::min<uint32_t>(mtu - kIpv4TcpHeaders, 0xffff)));
    packet->RemoveHeader(tcp);
    packet->AddHeader(WithMssFirst(tcp, option, source, destination));
  }

  // The SYN's header with the MSS option first, as Linux writes it. Appending it would put it
  // behind the end-of-options padding ns-3 keeps from deserialising the header, where no
  // receiver parses it. A header already full (40 bytes of options) is returned unchanged.
  static TcpHeader WithMssFirst(const TcpHeader &tcp, Ptr<const TcpOptionMSS> mss,
                                Ipv4Address source, Ipv4Address destination) {
    TcpHeader rebuilt;
    rebuilt.SetSourcePort(tcp.GetSourcePort());
    rebuilt.SetDestinationPort(tcp.GetDestinationPort());
    rebuilt.SetSequenceNumber(tcp.GetSequenceNumber());
    rebuilt.SetAckNumber(tcp.GetAckNumber());
    rebuilt.SetFlags(tcp.GetFlags());
    rebuilt.SetWindowSize(tcp.GetWindowSize());
    rebuilt.SetUrgentPointer(tcp.GetUrgentPointer());
    rebuilt.AppendOption(mss);
    for (const Ptr<const TcpOption> &option : tcp.GetOptionList()) {
      if (option->GetKind() == TcpOption::END || option->GetKind() == TcpOption::NOP) continue;
      if (!rebuilt.AppendOption(option)) return tcp;
    }
    if (Node::ChecksumEnabled()) {
      rebuilt.EnableChecksums();
      rebuilt.InitializeChecksum(source, destination, kTcpProtocol);
    }
    return rebuilt;
  }

  Ptr<Ipv4> m_ipv4;
  IpL4Protocol::DownTargetCallback m_below;
  HostTcpPmtuOptions m_options;
};

} // namespace

void InstallHostTcpPmtu(Ptr<Node> node, const HostTcpPmtuOptions &options) {
  if (!options.advertiseMss && !options.setDontFragment) return;
  Ptr<TcpL4Protocol> tcp = node->GetObject<TcpL4Protocol>();
  if (!tcp) return;
  auto shim = CreateObject<HostTcpPmtuShim>(node, tcp->GetDownTarget(), options);
  tcp->SetDownTarget(MakeCallback(&HostTcpPmtuShim::Send, shim));
}

} // namespace ns3
