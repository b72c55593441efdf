#include "wg_daemon.h"

#include "common/icmp_frag_needed.h"
#include "common/ip_packet.h"
#include "route_mtu.h"
#include "wg_pmtu.h"

#include "clock.h"
#include "netlink.h"

#include <cerrno>
#include <stdexcept>
#include <sys/socket.h>

namespace tunnelsim::realnet {

namespace {

// Packets handled per readiness notification before the loop looks at the other sources.
constexpr int kBatch = 64;
// Room for any IP packet the kernel may hand us, and any UDP datagram.
constexpr size_t kBufferSize = 65536;

std::string PeerName(const crypto::X25519PublicKey *key) {
  return key ? "peer " + crypto::ToBase64(*key) : "unknown peer";
}

std::string From(const std::optional<wireguard::Endpoint> &endpoint) {
  return endpoint ? " (" + endpoint->ToString() + ")" : "";
}

// Drops that mean a peer cannot (or may not) complete a handshake: worth an operator's
// attention even without --verbose. Data-path drops are normal churn (replays, late packets).
bool IsHandshakeDrop(wireguard::DropReason reason) {
  using wireguard::DropReason;
  switch (reason) {
  case DropReason::BadMac1:
  case DropReason::CookieRequired:
  case DropReason::RateLimited:
  case DropReason::HandshakeFailed:
  case DropReason::UnknownPeer:
  case DropReason::StaleTimestamp:
  case DropReason::InitiationFlood:
  case DropReason::UnexpectedResponse:
  case DropReason::BadCookieReply:
  case DropReason::HandshakeGaveUp:
  case DropReason::NoEndpoint:
    return true;
  default:
    return false;
  }
}

} // namespace

WgDaemon::WgDaemon(WgUpOptions options, wireguard::DeviceConfig config)
    : options_(std::move(options)), config_(std::move(config)), buffer_(kBufferSize) {}

WgDaemon::~WgDaemon() {
  if (device_) device_->SetObserver(nullptr);
}

bool WgDaemon::SetUp(std::string &error) {
  if (!loop_.ok(error)) return false;
  // Signals first, so an early SIGTERM still ends in an orderly shutdown.
  if (!WatchDaemonSignals(
          loop_, [this] { WriteStatsFile(); }, error))
    return false;
  tun_ = TunDevice::Open(options_.interfaceName, error);
  if (!tun_) return false;
  if (!tun_->SetMtu(static_cast<int>(config_.mtu), error)) return false;
  if (const auto mss = options_.gateway.ClampMssFor(config_.mtu)) mssClamp_.emplace(*mss);
  udp_ = UdpSocket::Open(config_.listenPort, error);
  if (!udp_) return false;
  if (config_.fwMark != 0 &&
      setsockopt(udp_->fd(), SOL_SOCKET, SO_MARK, &config_.fwMark, sizeof config_.fwMark) < 0) {
    error = ErrnoMessage("set FwMark on the UDP socket");
    return false;
  }

  startedAt_ = MonotonicNow();
  config_.wallClockOffset = Duration(static_cast<int64_t>(WallClockUnixNanos())) - startedAt_;
  try {
    device_ = std::make_unique<wireguard::Device>(config_, random_, startedAt_);
  } catch (const std::exception &e) {
    error = std::string("invalid configuration: ") + e.what();
    return false;
  }
  // The device keeps its own copy; ours (with the private key) is wiped now.
  config_ = wireguard::DeviceConfig{};
  device_->SetObserver(this);

  if (options_.configureIp) {
    for (const IpPrefix &address : device_->config().addresses) {
      if (!AddInterfaceAddress(tun_->index(), address.address, address.length, error)) return false;
    }
  }
  if (!tun_->SetUp(error)) return false;
  if (options_.configureIp && !ConfigureIp(error)) return false;

  if (!loop_.WatchReadable(
          tun_->fd(), [this] { OnTunReadable(); }, error) ||
      !loop_.WatchReadable(
          udp_->fd(), [this] { OnUdpReadable(); }, error))
    return false;
  loop_.SetTimerHandler([this] { OnTimerExpired(); });
  loop_.SetDeadline(device_->NextTimer());
  return true;
}

bool WgDaemon::ConfigureIp(std::string &error) {
  for (const wireguard::Peer *peer : device_->Peers()) {
    for (const IpPrefix &prefix : device_->allowedIps().PrefixesOf(peer)) {
      if (prefix.length == 0) {
        // wg-quick needs policy routing (fwmark rules) for this; a plain route would also
        // capture the tunnel's own UDP traffic.
        Log::Info("not routing " + prefix.ToString() + " (AllowedIPs of " +
                  PeerName(&peer->publicKey()) +
                  "): default routes need policy routing; add it "
                  "yourself");
        continue;
      }
      if (!AddInterfaceRoute(tun_->index(), prefix, error)) return false;
    }
  }
  return true;
}

int WgDaemon::Run() {
  std::string error;
  if (!SetUp(error)) {
    Log::Error(error);
    return 1;
  }
  for (const std::string &key : device_->config().ignoredKeys)
    Log::Info("config key " + key + " is not acted on by wg-up");
  if (!device_->config().dns.empty()) Log::Info("config key DNS is not acted on by wg-up");
  for (const wireguard::Peer *peer : device_->Peers()) {
    std::string allowed;
    for (const IpPrefix &prefix : device_->allowedIps().PrefixesOf(peer))
      allowed += (allowed.empty() ? "" : ",") + prefix.ToString();
    Log::Info(PeerName(&peer->publicKey()) + ": endpoint " +
              (peer->endpoint() ? peer->endpoint()->ToString() : "(none)") + ", allowed ips " +
              (allowed.empty() ? "(none)" : allowed) +
              (peer->hasPresharedKey() ? ", preshared key set" : ""));
  }
  Log::Info("ready: interface " + tun_->name() + ", UDP port " + std::to_string(udp_->port()) +
            ", public key " + crypto::ToBase64(device_->publicKey()) + ", " +
            std::to_string(device_->Peers().size()) + " peer(s)" +
            (options_.configureIp ? "" : ", addresses and routes left to the caller"));

  bool ok = loop_.Run(error);
  if (!ok) Log::Error(error);
  counters_.loopWakeups = loop_.wakeups();
  WriteStatsFile();
  const wireguard::DeviceCounters &c = device_->counters();
  Log::Info("stopped: " + std::to_string(c.handshakesCompleted) + " handshake(s), " +
            std::to_string(c.dataPacketsSent) + " packet(s) sent, " +
            std::to_string(c.dataPacketsReceived) + " received, " + std::to_string(c.TotalDrops()) +
            " dropped; removing " + tun_->name());
  device_->SetObserver(nullptr);
  tun_.reset();
  udp_.reset();
  return ok ? 0 : 1;
}

void WgDaemon::OnTunReadable() {
  Time now = MonotonicNow();
  for (int i = 0; i < kBatch; ++i) {
    ssize_t n = tun_->Read(buffer_.data(), buffer_.size());
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        ++counters_.tunReadErrors;
        uint64_t suppressed = 0;
        if (tunReadLogThrottle_.Allow(now.count(), suppressed))
          Log::Error(ErrnoMessage("read from " + tun_->name()));
      }
      break;
    }
    ++counters_.tunPacketsRead;
    counters_.tunBytesRead += static_cast<uint64_t>(n);
    if (options_.gateway.pmtuDiscovery && AnsweredTooBig(buffer_.data(), size_t(n))) continue;
    crypto::Bytes packet(buffer_.begin(), buffer_.begin() + n);
    if (mssClamp_) mssClamp_->Apply(packet);
    device_->OnTunnelPacket(std::move(packet), now, actions_);
  }
  Perform(actions_);
}

bool WgDaemon::AnsweredTooBig(const uint8_t *packet, size_t size) {
  const auto info = ParseIpPacket(packet, size);
  if (!info || info->version != 4) return false;
  const wireguard::Peer *peer = device_->allowedIps().Lookup(info->destination);
  if (!peer || !peer->endpoint()) return false;
  const IpAddress &endpoint = peer->endpoint()->address;
  const Time now = MonotonicNow();
  if (endpoint != pmtuEndpoint_ || pmtuReadAt_ == kNever || now - pmtuReadAt_ >= Seconds(1)) {
    pmtuEndpoint_ = endpoint;
    pmtuRouteMtu_ = RouteMtuTo(endpoint).value_or(0);
    pmtuReadAt_ = now;
  }
  if (pmtuRouteMtu_ == 0) return false;
  const uint32_t mtu = WireGuardInnerMtu(pmtuRouteMtu_, !endpoint.IsV4(),
                                         static_cast<uint32_t>(device_->config().mtu));
  if (!NeedsFragmentationNeeded(packet, size, mtu)) return false;
  ++pmtuDrops_;
  // The error comes from the quoted packet's destination: it routes back through this
  // interface, so reverse-path filtering on the sender's side accepts it.
  const auto icmp = BuildFragmentationNeeded(packet, size, uint16_t(mtu), info->destination);
  if (icmp && tun_->Write(icmp->data(), icmp->size())) {
    ++icmpFragNeededSent_;
    ++counters_.tunPacketsWritten;
    counters_.tunBytesWritten += icmp->size();
  } else {
    ++counters_.tunWriteErrors;
  }
  return true;
}

void WgDaemon::OnUdpReadable() {
  Time now = MonotonicNow();
  for (int i = 0; i < kBatch; ++i) {
    std::optional<wireguard::Endpoint> from;
    ssize_t n = udp_->ReceiveFrom(buffer_.data(), buffer_.size(), from);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        // ICMP errors (port unreachable) surface here; they say nothing the core needs.
        ++counters_.udpReceiveErrors;
        uint64_t suppressed = 0;
        if (udpReceiveLogThrottle_.Allow(now.count(), suppressed))
          Log::Debug(ErrnoMessage("UDP receive"));
        continue;
      }
      break;
    }
    if (!from) {
      ++counters_.udpUnknownSourceFamily;
      continue;
    }
    ++counters_.udpDatagramsReceived;
    counters_.udpBytesReceived += static_cast<uint64_t>(n);
    device_->OnDatagram(crypto::ByteView(buffer_.data(), static_cast<size_t>(n)), *from, now,
                        actions_);
  }
  Perform(actions_);
}

void WgDaemon::OnTimerExpired() {
  ++counters_.timerCalls;
  device_->OnTimer(MonotonicNow(), actions_);
  Perform(actions_);
}

void WgDaemon::Perform(wireguard::Actions &actions) {
  for (const wireguard::Datagram &datagram : actions.toNetwork) {
    if (udp_->SendTo(datagram.to, datagram.data.data(), datagram.data.size())) {
      ++counters_.udpDatagramsSent;
      counters_.udpBytesSent += datagram.data.size();
    } else {
      ++counters_.udpSendErrors;
      uint64_t suppressed = 0;
      if (udpSendLogThrottle_.Allow(MonotonicNow().count(), suppressed))
        Log::Error(ErrnoMessage("UDP send to " + datagram.to.ToString()) +
                   (suppressed ? " (" + std::to_string(suppressed) + " similar suppressed)" : ""));
    }
  }
  for (crypto::Bytes &packet : actions.toTunnel) {
    if (mssClamp_) mssClamp_->Apply(packet);
    if (tun_->Write(packet.data(), packet.size())) {
      ++counters_.tunPacketsWritten;
      counters_.tunBytesWritten += packet.size();
    } else {
      ++counters_.tunWriteErrors;
      uint64_t suppressed = 0;
      if (tunWriteLogThrottle_.Allow(MonotonicNow().count(), suppressed))
        Log::Error(ErrnoMessage("write to " + tun_->name()) +
                   (suppressed ? " (" + std::to_string(suppressed) + " similar suppressed)" : ""));
    }
  }
  loop_.SetDeadline(actions.nextTimer);
  actions.Clear();
}

nlohmann::json WgDaemon::Stats() const {
  StatsContext context{tun_ ? tun_->name() : options_.interfaceName,
                       udp_ ? udp_->port() : uint16_t{0}, startedAt_, MonotonicNow()};
  DriverCounters driver = counters_;
  driver.loopWakeups = loop_.wakeups();
  nlohmann::json stats = StatsJson(*device_, driver, context);
  if (mssClamp_) stats["mss_clamp"] = MssClampJson(*mssClamp_);
  if (options_.gateway.pmtuDiscovery) {
    stats["pmtu_discovery"] = {{"pmtu_drops", pmtuDrops_},
                               {"icmp_frag_needed_sent", icmpFragNeededSent_}};
  }
  return stats;
}

void WgDaemon::WriteStatsFile() {
  if (options_.statsFile.empty() || !device_) return;
  std::string error;
  if (WriteJsonFile(options_.statsFile, Stats(), error))
    Log::Info("stats written to " + options_.statsFile);
  else
    Log::Error(error);
}

void WgDaemon::OnEvent(const wireguard::Event &event) {
  using wireguard::EventType;
  const std::string peer = PeerName(event.peer);
  const std::string where = From(event.endpoint);
  switch (event.type) {
  case EventType::HandshakeInitiationSent:
    Log::Info("sending handshake initiation to " + peer + where);
    break;
  case EventType::HandshakeInitiationReceived:
    Log::Info("received handshake initiation from " + peer + where);
    break;
  case EventType::HandshakeResponseSent:
    Log::Debug("sending handshake response to " + peer + where);
    break;
  case EventType::HandshakeResponseReceived:
    Log::Debug("received handshake response from " + peer + where);
    break;
  case EventType::HandshakeCompleted:
    Log::Debug("session keys derived with " + peer + where);
    break;
  case EventType::SessionConfirmed:
    Log::Info("handshake completed with " + peer + where + " (session confirmed)");
    break;
  case EventType::HandshakeGaveUp:
    Log::Error("handshake with " + peer + " did not complete after " +
               std::to_string(device_->constants().MaxHandshakeAttempts() + 2) +
               " attempts; giving up until there is new traffic");
    break;
  case EventType::CookieReplySent:
    Log::Info("under load: sent cookie reply to " + peer + where);
    break;
  case EventType::CookieReplyReceived:
    Log::Info("received cookie reply from " + peer + where);
    break;
  case EventType::KeepaliveSent:
    Log::Debug("sending keepalive to " + peer + where);
    break;
  case EventType::KeepaliveReceived:
    Log::Debug("received keepalive from " + peer + where);
    break;
  case EventType::KeysZeroed:
    Log::Info("session keys of " + peer + " expired and were wiped");
    break;
  case EventType::EndpointChanged:
    Log::Info(peer + " is now at" + where);
    break;
  case EventType::PacketDropped: {
    auto reason = static_cast<size_t>(event.dropReason);
    bool important = IsHandshakeDrop(event.dropReason);
    if (!important && !Log::Verbose()) break;
    uint64_t suppressed = 0;
    if (!dropLogThrottle_[reason].Allow(event.time.count(), suppressed)) break;
    Log::Write(important ? LogLevel::Error : LogLevel::Debug,
               std::string("dropped packet: ") + wireguard::DropReasonName(event.dropReason) +
                   " from " + peer + where +
                   (suppressed ? " (" + std::to_string(suppressed) + " similar suppressed)" : ""));
    break;
  }
  case EventType::KeyLog:
    // Never enabled here: key logs carry private keys.
    break;
  }
}

} // namespace tunnelsim::realnet
