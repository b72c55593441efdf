// LinuxTcpSocket's send path: new data without ns-3's per-segment walk of the sent list, and
// Linux's TCP small queues at the sending host.
#include "ns3/tcp/linux_tcp_socket.h"

#include "ns3/tcp/tx_buffer_scan.h"

#include "ns3/abort.h"
#include "ns3/ipv4-end-point.h"
#include "ns3/ipv4.h"
#include "ns3/net-device.h"
#include "ns3/node.h"
#include "ns3/pointer.h"
#include "ns3/queue-disc.h"
#include "ns3/simulator.h"
#include "ns3/tcp-congestion-ops.h"
#include "ns3/tcp-tx-buffer.h"
#include "ns3/traffic-control-layer.h"

#include <algorithm>

namespace tunnelsim {

void LinuxTcpSocket::SendNewDataWithoutWalk(bool withAck) {
  // The preamble of TcpSocketBase::SendPendingData.
  if (m_txBuffer->Size() == 0) return;
  if (m_endPoint == nullptr && m_endPoint6 == nullptr) return;
  const uint32_t segment = m_tcb->m_segmentSize;
  uint32_t availableWindow = AvailableWindow();
  while (availableWindow > 0) {
    if (IsPacingEnabled()) return;
    if (m_tcb->m_congState == ns3::TcpSocketState::CA_OPEN && m_state == FIN_WAIT_1) return;
    // NextSeg's rule 1 needs a segment ns-3 marked lost (its lost count is the sum of every
    // marked item's size, so 0 means none), rule 3 SACK recovery: without either, its answer
    // is rule 2's, computed here without the walk.
    const bool rule3 = m_sackEnabled && m_tcb->m_congState == ns3::TcpSocketState::CA_RECOVERY;
    if (m_txBuffer->GetLost() != 0 || rule3) return;
    const ns3::SequenceNumber32 next = tcp::FirstUnsentSequence(*m_txBuffer);
    const uint32_t availableData = m_txBuffer->SizeFromSequence(next);
    const uint32_t sentSize = next - m_txBuffer->HeadSequence();
    if (availableData == 0 || sentSize > m_rWnd.Get()) return; // NextSeg has no rule-2 answer
    const ns3::SequenceNumber32 nextHigh = next + std::min(segment, m_rWnd.Get() - sentSize);
    if (m_verifyNextSeg) {
      ns3::SequenceNumber32 walkedNext, walkedHigh;
      const bool found = m_txBuffer->NextSeg(&walkedNext, &walkedHigh, rule3);
      NS_ABORT_MSG_UNLESS(found && walkedNext == next && walkedHigh == nextHigh,
                          "NextSeg without the walk disagrees with NextSeg");
    }
    // SendPendingData's stops (silly window, Nagle) come after it asked the application for
    // data; leave such an iteration to it, so the question is asked exactly once.
    if (availableWindow < segment && availableData > availableWindow) return;
    if (!m_noDelay && UnAckDataCount() > 0 && availableData < segment) return;
    if (availableData < availableWindow) NotifySend(GetTxAvailable());
    uint32_t size = std::min(availableWindow, segment);
    size = std::min(size, static_cast<uint32_t>(nextHigh - next));
    if (m_tcb->m_nextTxSequence != next) m_tcb->m_nextTxSequence = next;
    if (m_tcb->m_bytesInFlight.Get() == 0)
      m_congestionControl->CwndEvent(m_tcb, ns3::TcpSocketState::CA_EVENT_TX_START);
    const uint32_t sent = SendDataPacket(m_tcb->m_nextTxSequence, size, withAck);
    m_tcb->m_nextTxSequence += sent;
    availableWindow = AvailableWindow();
  }
}

void LinuxTcpSocket::ResolveLocalQueue() const {
  m_localQueueResolved = true;
  ns3::Ptr<ns3::NetDevice> device = m_boundnetdevice;
  ns3::Ptr<ns3::Ipv4> ipv4 = m_node ? m_node->GetObject<ns3::Ipv4>() : nullptr;
  if (!device && ipv4 && m_endPoint != nullptr) {
    const int32_t interface = ipv4->GetInterfaceForAddress(m_endPoint->GetLocalAddress());
    if (interface >= 0) device = ipv4->GetNetDevice(interface);
  }
  if (!device && ipv4) {
    // An unbound local address: a host with one interface besides loopback sends through it.
    for (uint32_t i = 0; i < ipv4->GetNInterfaces(); ++i) {
      ns3::Ptr<ns3::NetDevice> candidate = ipv4->GetNetDevice(i);
      if (!candidate || candidate->IsPointToPoint() == false) continue;
      if (device) return; // more than one: which one is unknown
      device = candidate;
    }
  }
  if (!device) return;
  // A queue disc in front of the device (an impairment, as netem in Linux) takes what the
  // device queue cannot; Linux's netem orphans its packets from the socket, so they do not
  // count toward TSQ either. Only a device whose own FIFO drops is watched.
  if (auto tc = m_node->GetObject<ns3::TrafficControlLayer>())
    if (tc->GetRootQueueDiscOnDevice(device)) return;
  ns3::PointerValue queue;
  // Point-to-point and CSMA devices keep their FIFO in "TxQueue"; other devices (a tunnel's
  // virtual device) have none to fill.
  if (!device->GetAttributeFailSafe("TxQueue", queue)) return;
  m_localQueue = queue.Get<ns3::Queue<ns3::Packet>>();
}

bool LinuxTcpSocket::LocalQueueFull() const {
  if (m_localQueueLimit == 0) return false;
  if (!m_localQueueResolved) ResolveLocalQueue();
  if (!m_localQueue) return false;
  // Once full, the socket waits until a quarter of the limit drained (OnLocalQueueDequeue).
  if (m_localQueueThrottled) return true;
  const ns3::QueueSize max = m_localQueue->GetMaxSize();
  const bool full = m_localQueue->GetNBytes() >= m_localQueueLimit ||
                    (max.GetUnit() == ns3::QueueSizeUnit::PACKETS &&
                     m_localQueue->GetNPackets() + 1 >= max.GetValue()) ||
                    (max.GetUnit() == ns3::QueueSizeUnit::BYTES &&
                     m_localQueue->GetNBytes() + 2 * m_tcb->m_segmentSize >= max.GetValue());
  if (!full) return false;
  m_localQueueThrottled = true;
  if (!m_localQueueHooked) {
    m_localQueueHooked = true;
    auto *self = const_cast<LinuxTcpSocket *>(this);
    m_localQueue->TraceConnectWithoutContext(
        "Dequeue", ns3::MakeCallback(&LinuxTcpSocket::OnLocalQueueDequeue, self));
  }
  return true;
}

void LinuxTcpSocket::OnLocalQueueDequeue(ns3::Ptr<const ns3::Packet>) {
  if (!m_localQueueThrottled || m_localQueueWake.IsRunning()) return;
  // Resume once a quarter of the limit has drained (Linux refills on every transmit
  // completion; refilling in larger steps keeps the queue as full with fewer events).
  const ns3::QueueSize max = m_localQueue->GetMaxSize();
  if (uint64_t{m_localQueue->GetNBytes()} * 4 > uint64_t{m_localQueueLimit} * 3) return;
  if (max.GetUnit() == ns3::QueueSizeUnit::PACKETS &&
      uint64_t{m_localQueue->GetNPackets()} * 4 > uint64_t{max.GetValue()} * 3)
    return;
  m_localQueueThrottled = false;
  // Not from inside the device's transmit path.
  m_localQueueWake = ns3::Simulator::ScheduleNow(&LinuxTcpSocket::OnLocalQueueRoom, this);
}

void LinuxTcpSocket::OnLocalQueueRoom() {
  if (m_state != ESTABLISHED && m_state != CLOSE_WAIT && m_state != FIN_WAIT_1) return;
  SendNewDataWithoutWalk(m_connected);
  SendPendingData(m_connected);
}

} // namespace tunnelsim
