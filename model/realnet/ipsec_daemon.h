// The IPsec twin of WgDaemon: moves packets between a TUN device, UDP sockets on 500 and 4500,
// a raw ESP socket and the sans-IO IPsec gateway (tunnel::GreIpsecGateway in IPsec tunnel mode,
// the IKEv2 and ESP cores composed as in the simulated hosts). Protocol decisions (exchanges,
// keys, rekeying, NAT detection) are the cores'; this class performs their actions, chooses the
// port and encapsulation the IKE SA negotiated (RFC 3948), sends NAT keepalives, replaces the
// IKE SA when the peer restarts, and reports SA events as JSON lines on stdout.
#pragma once

#include "driver_counters.h"
#include "event_loop.h"
#include "ipsec_esp_socket.h"
#include "ipsec_setup.h"
#include "ipsec_up_options.h"
#include "log.h"
#include "tun_device.h"
#include "udp_socket.h"

#include "common/mss_clamp.h"
#include "ipsec/esp_sad.h"
#include "ipsec/ike_sa.h"
#include "tunnel/gre_ipsec_gateway.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace tunnelsim::realnet {

// Counters of the IPsec driver beyond the shared DriverCounters.
struct IpsecDriverCounters {
  uint64_t ikeDatagramsReceived = 0, ikeDatagramsSent = 0;
  uint64_t espUdpReceived = 0, espRawReceived = 0;
  uint64_t espUdpSent = 0, espRawSent = 0;
  uint64_t natKeepalivesSent = 0, natKeepalivesReceived = 0;
  uint64_t unknownSource = 0; // datagrams or ESP packets not from the configured peer
  uint64_t noOutboundSa = 0;  // TUN packets with no Child SA to carry them
  uint64_t ikeRestarts = 0;   // IKE SAs replaced (peer restarted, or we re-initiated)
  uint64_t espSendErrors = 0;
  uint64_t testIkeDropped = 0; // lost on purpose by --test-drop-ike-sent/-received
  // --pmtu-discovery: DF packets too big for the tunnel, dropped and answered with ICMP.
  uint64_t pmtuDrops = 0, icmpFragNeededSent = 0;
};

class IpsecDaemon {
public:
  IpsecDaemon(IpsecUpOptions options, IpsecSetup setup);
  ~IpsecDaemon();

  // Creates the interface and sockets, runs until SIGINT/SIGTERM, then writes the stats file
  // and removes the interface. Returns 0, or 1 with a logged error.
  int Run();
  nlohmann::json Stats() const;

private:
  bool SetUp(std::string &error);
  void NewIkeSa(bool initiator);
  void OnTunReadable();
  // --pmtu-discovery: true when the TUN packet was too big for the tunnel and was answered
  // with ICMP fragmentation needed instead of being sent.
  bool AnsweredTooBig(const uint8_t *packet, size_t size);
  void OnUdpReadable(UdpSocket &socket, bool natTraversalPort);
  void OnEspReadable();
  void OnIkeDatagram(crypto::ByteView datagram);
  void OnEspPacket(crypto::ByteView packet);
  void OnTimerExpired();
  // Carries out the gateway's actions in order, then the restart and keepalive bookkeeping.
  void Perform(tunnel::GreIpsecOutput &out, bool fromTun = false);
  void OnIkeEvent(const ipsec::IkeEvent &event);
  void WriteToTun(tunnel::DeliverInner &deliver);
  void SendIke(const crypto::Bytes &datagram);
  void SendEsp(const crypto::Bytes &packet);
  void UpdateDeadline();
  void Emit(const std::string &event, nlohmann::json fields);
  void WriteKeys(const ipsec::EspSaConfig &config);
  void WriteStatsFile();

  IpsecUpOptions options_;
  IpsecSetup setup_;
  std::unique_ptr<TunDevice> tun_;
  std::unique_ptr<UdpSocket> ike_, natt_;
  std::unique_ptr<EspSocket> esp_;
  std::unique_ptr<tunnel::GreIpsecGateway> gateway_; // from SetUp on: ESP SAD + IKE SA
  EventLoop loop_;
  DriverCounters counters_;
  IpsecDriverCounters ipsecCounters_;
  ipsec::IkeCounters previousIkeCounters_; // summed over replaced IKE SAs
  Time ikeTimer_ = kNever;
  Time nextKeepalive_ = kNever;
  Time restartAt_ = kNever;
  Time startedAt_{0};
  bool ikeKeysWritten_ = false;
  uint64_t ikeSendAttempts_ = 0; // every IKE datagram handed to SendIke (test hook numbering)
  LogThrottle sendLogThrottle_, dropLogThrottle_;
  std::vector<uint8_t> buffer_;
  std::optional<MssClamp> mssClamp_; // --clamp-mss, against the TUN's MTU
  std::vector<uint8_t> clamped_;     // a packet from the TUN, copied to be clamped
  uint32_t underlayMtu_ = 0;         // --pmtu-discovery: the route MTU to the peer
  Time underlayMtuReadAt_ = kNever;
};

} // namespace tunnelsim::realnet
