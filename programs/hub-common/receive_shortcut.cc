#include "receive_shortcut.h"

#include "ns3/abort.h"
#include "ns3/arp-l3-protocol.h"
#include "ns3/ipv4-l3-protocol.h"
#include "ns3/net-device.h"
#include "ns3/object.h"

using namespace ns3;

namespace tunnelsim::hub {
namespace {

// Holds the node's layers for the devices' callbacks (a Callback keeps its object alive).
class ReceiveShortcut : public Object {
public:
  ReceiveShortcut(Ptr<Ipv4L3Protocol> ipv4, Ptr<ArpL3Protocol> arp) : m_ipv4(ipv4), m_arp(arp) {}

  bool Receive(Ptr<NetDevice> device, Ptr<const Packet> packet, uint16_t protocol,
               const Address &from) {
    if (protocol == Ipv4L3Protocol::PROT_NUMBER) {
      m_ipv4->Receive(device, packet, protocol, from, device->GetAddress(), NetDevice::PACKET_HOST);
      return true;
    }
    if (protocol == ArpL3Protocol::PROT_NUMBER && m_arp) {
      m_arp->Receive(device, packet, protocol, from, device->GetAddress(), NetDevice::PACKET_HOST);
      return true;
    }
    return false;
  }

private:
  void DoDispose() override {
    m_ipv4 = nullptr;
    m_arp = nullptr;
    Object::DoDispose();
  }

  Ptr<Ipv4L3Protocol> m_ipv4;
  Ptr<ArpL3Protocol> m_arp;
};

} // namespace

uint32_t ShortcutHubReceive(Ptr<Node> hub) {
  Ptr<Ipv4L3Protocol> ipv4 = hub->GetObject<Ipv4L3Protocol>();
  NS_ABORT_MSG_IF(!ipv4, "ShortcutHubReceive: the node has no Ipv4L3Protocol");
  Ptr<ReceiveShortcut> shortcut =
      CreateObject<ReceiveShortcut>(ipv4, hub->GetObject<ArpL3Protocol>());
  uint32_t rewired = 0;
  for (uint32_t i = 0; i < hub->GetNDevices(); ++i) {
    Ptr<NetDevice> device = hub->GetDevice(i);
    // Only devices the IPv4 layer knows: its handlers are the only ones the node has for them.
    if (ipv4->GetInterfaceForDevice(device) < 0) continue;
    device->SetReceiveCallback(MakeCallback(&ReceiveShortcut::Receive, shortcut));
    ++rewired;
  }
  return rewired;
}

} // namespace tunnelsim::hub
