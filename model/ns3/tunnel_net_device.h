// A TUN-like network interface (Linux's wg0, gre0, ...): the node's IPv4/IPv6 stack routes
// packets into it and a tunnel application takes them as whole IP packets; packets the tunnel
// decrypts re-enter the stack through it. It has no channel, no link-layer header and no
// queue (like Linux tunnel devices, which run "noqueue"). Towards ns-3's routing it looks like
// a broadcast link with no other device on it, so global routing treats the tunnel subnet as
// a stub network instead of looking for a far end.
#pragma once

#include "ns3/callback.h"
#include "ns3/mac48-address.h"
#include "ns3/net-device.h"
#include "ns3/packet.h"
#include "ns3/traced-callback.h"

namespace ns3 {

class TunnelNetDevice : public NetDevice {
public:
  static TypeId GetTypeId();
  TunnelNetDevice();

  static constexpr uint16_t kIpv4Protocol = 0x0800;
  static constexpr uint16_t kIpv6Protocol = 0x86DD;

  // Receives every IP packet (IP header included) the stack sends through the interface, with
  // its EtherType (kIpv4Protocol/kIpv6Protocol). Returns false when the packet was dropped.
  using SendCallback = Callback<bool, Ptr<Packet>, uint16_t>;
  void SetSendCallback(SendCallback callback);

  // Hands an IP packet coming out of the tunnel to the node's stack. False (and counted in
  // the "Drop" trace) when the interface is down or the bytes are not IPv4/IPv6.
  bool Receive(Ptr<Packet> ipPacket);

  // NetDevice
  void SetIfIndex(const uint32_t index) override;
  uint32_t GetIfIndex() const override;
  Ptr<Channel> GetChannel() const override;
  void SetAddress(Address address) override;
  Address GetAddress() const override;
  bool SetMtu(const uint16_t mtu) override;
  uint16_t GetMtu() const override;
  bool IsLinkUp() const override;
  void AddLinkChangeCallback(Callback<void> callback) override;
  bool IsBroadcast() const override;
  Address GetBroadcast() const override;
  bool IsMulticast() const override;
  Address GetMulticast(Ipv4Address multicastGroup) const override;
  Address GetMulticast(Ipv6Address addr) const override;
  bool IsBridge() const override;
  bool IsPointToPoint() const override;
  bool Send(Ptr<Packet> packet, const Address &dest, uint16_t protocolNumber) override;
  bool SendFrom(Ptr<Packet> packet, const Address &source, const Address &dest,
                uint16_t protocolNumber) override;
  Ptr<Node> GetNode() const override;
  void SetNode(Ptr<Node> node) override;
  bool NeedsArp() const override;
  void SetReceiveCallback(NetDevice::ReceiveCallback cb) override;
  void SetPromiscReceiveCallback(NetDevice::PromiscReceiveCallback cb) override;
  bool SupportsSendFrom() const override;

  // Brings the interface up or down (like `ip link set wg0 up/down`); starts up.
  void SetLinkUp(bool up);

protected:
  void DoDispose() override;

private:
  Ptr<Node> m_node;
  Ptr<Channel> m_channel;
  uint32_t m_ifIndex = 0;
  uint16_t m_mtu = 1420;
  bool m_linkUp = true;
  // IPv6 derives the interface's link-local address from a MAC address, so the device has one
  // although no frame ever carries it.
  Mac48Address m_address;
  // The broadcast address every received packet is handed up with, converted once (building
  // it from Mac48Address per packet cost more than the rest of Receive).
  Address m_broadcast;
  SendCallback m_sendCallback;
  NetDevice::ReceiveCallback m_rxCallback;
  NetDevice::PromiscReceiveCallback m_promiscRxCallback;
  TracedCallback<> m_linkChangeCallbacks;

  TracedCallback<Ptr<const Packet>> m_macTxTrace;   // from the stack into the tunnel
  TracedCallback<Ptr<const Packet>> m_macRxTrace;   // from the tunnel into the stack
  TracedCallback<Ptr<const Packet>> m_dropTrace;    // refused (down, not IP, tunnel refused)
  TracedCallback<Ptr<const Packet>> m_snifferTrace; // both directions, for PCAP (raw IP)
};

// The interface index of a tunnel device in its node's IPv4 (IPv6) stack, added and brought
// up the first time it is asked for. Aborts, naming `who`, when the node has no such stack.
int32_t EnsureIpv4Interface(Ptr<NetDevice> device, const char *who);
int32_t EnsureIpv6Interface(Ptr<NetDevice> device, const char *who);

} // namespace ns3
