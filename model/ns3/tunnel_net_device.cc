#include "tunnel_net_device.h"

#include "ns3/abort.h"
#include "ns3/channel.h"
#include "ns3/ipv4.h"
#include "ns3/ipv6.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/trace-source-accessor.h"
#include "ns3/uinteger.h"

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("TunnelNetDevice");
NS_OBJECT_ENSURE_REGISTERED(TunnelNetDevice);

namespace {

// The channel of a tunnel interface holds only the interface itself: global routing walks
// every device's channel, and must find no neighbour there.
class TunnelChannel : public Channel {
public:
  explicit TunnelChannel(Ptr<NetDevice> device) : m_device(device) {}
  std::size_t GetNDevices() const override { return m_device ? 1 : 0; }
  Ptr<NetDevice> GetDevice(std::size_t i) const override { return i == 0 ? m_device : nullptr; }
  void Forget() { m_device = nullptr; }

private:
  Ptr<NetDevice> m_device;
};

} // namespace

TypeId TunnelNetDevice::GetTypeId() {
  static TypeId tid =
      TypeId("ns3::TunnelNetDevice")
          .SetParent<NetDevice>()
          .SetGroupName("Tunnelsim")
          .AddConstructor<TunnelNetDevice>()
          .AddAttribute("Mtu", "Largest inner IP packet the interface accepts, in bytes",
                        UintegerValue(1420),
                        MakeUintegerAccessor(&TunnelNetDevice::SetMtu, &TunnelNetDevice::GetMtu),
                        MakeUintegerChecker<uint16_t>(68))
          .AddTraceSource("MacTx", "An IP packet the stack sent into the tunnel",
                          MakeTraceSourceAccessor(&TunnelNetDevice::m_macTxTrace),
                          "ns3::Packet::TracedCallback")
          .AddTraceSource("MacRx", "An IP packet the tunnel delivered to the stack",
                          MakeTraceSourceAccessor(&TunnelNetDevice::m_macRxTrace),
                          "ns3::Packet::TracedCallback")
          .AddTraceSource("Drop", "A packet the interface refused (down, not IP, tunnel refused)",
                          MakeTraceSourceAccessor(&TunnelNetDevice::m_dropTrace),
                          "ns3::Packet::TracedCallback")
          .AddTraceSource("Sniffer", "Every IP packet in either direction (raw IP, for PCAP)",
                          MakeTraceSourceAccessor(&TunnelNetDevice::m_snifferTrace),
                          "ns3::Packet::TracedCallback");
  return tid;
}

TunnelNetDevice::TunnelNetDevice()
    : m_address(Mac48Address::Allocate()), m_broadcast(Mac48Address::GetBroadcast()) {}

void TunnelNetDevice::SetSendCallback(SendCallback callback) { m_sendCallback = callback; }

bool TunnelNetDevice::Receive(Ptr<Packet> ipPacket) {
  uint8_t first = 0;
  if (!m_linkUp || ipPacket->GetSize() == 0 || ipPacket->CopyData(&first, 1) != 1) {
    m_dropTrace(ipPacket);
    return false;
  }
  uint16_t protocol = 0;
  if (first >> 4 == 4) {
    protocol = kIpv4Protocol;
  } else if (first >> 4 == 6) {
    protocol = kIpv6Protocol;
  } else {
    m_dropTrace(ipPacket);
    return false;
  }
  m_snifferTrace(ipPacket);
  m_macRxTrace(ipPacket);
  if (!m_promiscRxCallback.IsNull()) {
    m_promiscRxCallback(this, ipPacket, protocol, m_broadcast, GetAddress(),
                        NetDevice::PACKET_HOST);
  }
  if (m_rxCallback.IsNull()) return false;
  return m_rxCallback(this, ipPacket, protocol, m_broadcast);
}

bool TunnelNetDevice::Send(Ptr<Packet> packet, const Address &, uint16_t protocolNumber) {
  if (!m_linkUp || m_sendCallback.IsNull() ||
      (protocolNumber != kIpv4Protocol && protocolNumber != kIpv6Protocol)) {
    m_dropTrace(packet);
    return false;
  }
  m_macTxTrace(packet);
  m_snifferTrace(packet);
  if (!m_sendCallback(packet, protocolNumber)) {
    m_dropTrace(packet);
    return false;
  }
  return true;
}

bool TunnelNetDevice::SendFrom(Ptr<Packet> packet, const Address &, const Address &dest,
                               uint16_t protocolNumber) {
  return Send(packet, dest, protocolNumber);
}

void TunnelNetDevice::SetLinkUp(bool up) {
  if (up == m_linkUp) return;
  m_linkUp = up;
  m_linkChangeCallbacks();
}

void TunnelNetDevice::DoDispose() {
  m_node = nullptr;
  if (m_channel) DynamicCast<TunnelChannel>(m_channel)->Forget();
  m_channel = nullptr;
  m_sendCallback = MakeNullCallback<bool, Ptr<Packet>, uint16_t>();
  m_rxCallback =
      MakeNullCallback<bool, Ptr<NetDevice>, Ptr<const Packet>, uint16_t, const Address &>();
  m_promiscRxCallback.Nullify();
  NetDevice::DoDispose();
}

void TunnelNetDevice::SetIfIndex(const uint32_t index) { m_ifIndex = index; }
uint32_t TunnelNetDevice::GetIfIndex() const { return m_ifIndex; }
Ptr<Channel> TunnelNetDevice::GetChannel() const {
  if (!m_channel) {
    // Created on demand: the channel points back at the device, so it is dropped on dispose.
    const_cast<TunnelNetDevice *>(this)->m_channel =
        CreateObject<TunnelChannel>(Ptr<NetDevice>(const_cast<TunnelNetDevice *>(this)));
  }
  return m_channel;
}
void TunnelNetDevice::SetAddress(Address address) {
  m_address = Mac48Address::ConvertFrom(address);
}
Address TunnelNetDevice::GetAddress() const { return m_address; }
bool TunnelNetDevice::SetMtu(const uint16_t mtu) {
  m_mtu = mtu;
  return true;
}
uint16_t TunnelNetDevice::GetMtu() const { return m_mtu; }
bool TunnelNetDevice::IsLinkUp() const { return m_linkUp; }
void TunnelNetDevice::AddLinkChangeCallback(Callback<void> callback) {
  m_linkChangeCallbacks.ConnectWithoutContext(callback);
}
bool TunnelNetDevice::IsBroadcast() const { return true; }
Address TunnelNetDevice::GetBroadcast() const { return m_broadcast; }
bool TunnelNetDevice::IsMulticast() const { return false; }
Address TunnelNetDevice::GetMulticast(Ipv4Address) const { return Mac48Address::GetBroadcast(); }
Address TunnelNetDevice::GetMulticast(Ipv6Address) const { return Mac48Address::GetBroadcast(); }
bool TunnelNetDevice::IsBridge() const { return false; }
bool TunnelNetDevice::IsPointToPoint() const { return false; }
Ptr<Node> TunnelNetDevice::GetNode() const { return m_node; }
void TunnelNetDevice::SetNode(Ptr<Node> node) { m_node = node; }
bool TunnelNetDevice::NeedsArp() const { return false; }
void TunnelNetDevice::SetReceiveCallback(NetDevice::ReceiveCallback cb) { m_rxCallback = cb; }
void TunnelNetDevice::SetPromiscReceiveCallback(NetDevice::PromiscReceiveCallback cb) {
  m_promiscRxCallback = cb;
}
bool TunnelNetDevice::SupportsSendFrom() const { return false; }

namespace {

template <typename Stack> int32_t EnsureInterface(Ptr<NetDevice> device, const char *who) {
  Ptr<Stack> stack = device->GetNode()->GetObject<Stack>();
  NS_ABORT_MSG_IF(!stack, who << ": install an IP stack of this version on the node first");
  int32_t interface = stack->GetInterfaceForDevice(device);
  if (interface < 0) {
    interface = static_cast<int32_t>(stack->AddInterface(device));
    stack->SetUp(interface);
  }
  return interface;
}

} // namespace

int32_t EnsureIpv4Interface(Ptr<NetDevice> device, const char *who) {
  return EnsureInterface<Ipv4>(device, who);
}

int32_t EnsureIpv6Interface(Ptr<NetDevice> device, const char *who) {
  return EnsureInterface<Ipv6>(device, who);
}

} // namespace ns3
