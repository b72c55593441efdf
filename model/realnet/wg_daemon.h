// The real-interface driver: moves packets between a TUN device, a UDP socket and the sans-IO
// WireGuard core, and wakes the core at the deadlines it asks for. It holds no protocol logic:
// every decision (handshakes, encryption, routing, timers) is the core's; this class only
// performs the core's actions, counts OS-level outcomes and logs the core's events.
#pragma once

#include "driver_counters.h"
#include "event_loop.h"
#include "log.h"
#include "stats.h"
#include "tun_device.h"
#include "udp_socket.h"
#include "wg_up_options.h"
#include "wireguard/device.h"

#include "common/mss_clamp.h"
#include "crypto/random.h"

#include <array>
#include <memory>
#include <optional>
#include <string>

namespace tunnelsim::realnet {

class WgDaemon final : private wireguard::EventObserver {
public:
  WgDaemon(WgUpOptions options, wireguard::DeviceConfig config);
  ~WgDaemon() override;

  // Creates the interface and socket, runs until SIGINT/SIGTERM, then writes the stats file
  // and removes the interface. Returns the process exit status (0, or 1 with a logged error).
  int Run();

  nlohmann::json Stats() const;

private:
  bool SetUp(std::string &error);
  bool ConfigureIp(std::string &error);
  void OnTunReadable();
  // --pmtu-discovery: true when the TUN packet was too big for the tunnel to its peer and was
  // answered with ICMP fragmentation needed instead of being sent.
  bool AnsweredTooBig(const uint8_t *packet, size_t size);
  void OnUdpReadable();
  void OnTimerExpired();
  void Perform(wireguard::Actions &actions);
  void WriteStatsFile();
  void OnEvent(const wireguard::Event &event) override;

  WgUpOptions options_;
  wireguard::DeviceConfig config_; // until the device is created, then wiped
  crypto::SystemRandom random_;
  std::unique_ptr<TunDevice> tun_;
  std::unique_ptr<UdpSocket> udp_;
  std::unique_ptr<wireguard::Device> device_;
  EventLoop loop_;
  DriverCounters counters_;
  wireguard::Actions actions_;
  Time startedAt_{0};
  std::array<LogThrottle, wireguard::kDropReasonCount> dropLogThrottle_{};
  LogThrottle udpSendLogThrottle_, udpReceiveLogThrottle_, tunWriteLogThrottle_,
      tunReadLogThrottle_;
  std::vector<uint8_t> buffer_;
  std::optional<MssClamp> mssClamp_; // --clamp-mss, against the interface MTU
  // --pmtu-discovery: the route MTU to the last endpoint looked at (re-read each second) and
  // the DF packets dropped and answered with ICMP.
  IpAddress pmtuEndpoint_;
  uint32_t pmtuRouteMtu_ = 0;
  Time pmtuReadAt_ = kNever;
  uint64_t pmtuDrops_ = 0, icmpFragNeededSent_ = 0;
};

} // namespace tunnelsim::realnet
