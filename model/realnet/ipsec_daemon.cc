#include "ipsec_daemon.h"
#include "ipsec_pmtu.h"

#include "clock.h"
#include "netlink.h"
#include "stats.h"

#include "common/icmp_frag_needed.h"
#include "common/ip_packet.h"
#include "ipsec/key_export.h"
#include "json/esp_counters.h"
#include "json/ike_counters.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <variant>

namespace tunnelsim::realnet {

using namespace tunnelsim::ipsec;

namespace {

constexpr int kBatch = 64;
constexpr size_t kBufferSize = 65536;
constexpr uint16_t kIkePort = 500;
constexpr uint16_t kNatTraversalPort = 4500;
constexpr size_t kIkeExchangeOffset = 18; // SPIi, SPIr, next payload, version, exchange type
constexpr uint8_t kExchangeIkeSaInit = 34;
// The TUN MTU charon's kernel-libipsec uses for ipsec0.
constexpr int kTunMtu = 1400;

std::string Hex64(uint64_t v) {
  char text[19];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

std::string Hex32(uint32_t v) {
  char text[11];
  std::snprintf(text, sizeof text, "%08x", v);
  return text;
}

const char *CipherName(EspCipher cipher) {
  return cipher == EspCipher::Aes256Gcm16 ? "aes256gcm16" : "chacha20poly1305";
}

// ipsec-up's stats add what results.json does not carry.
nlohmann::json EspStatsJson(const EspCounters &c) {
  nlohmann::json json = EspCountersJson(c);
  json["dummy"] = c.dummy;
  json["drops_total"] = c.TotalDrops();
  return json;
}

void AddIkeCounters(IkeCounters &sum, const IkeCounters &c) {
  sum.messagesSent += c.messagesSent;
  sum.retransmissions += c.retransmissions;
  sum.messagesReceived += c.messagesReceived;
  sum.responsesResent += c.responsesResent;
  sum.dropMalformed += c.dropMalformed;
  sum.dropIntegrity += c.dropIntegrity;
  sum.dropUnexpected += c.dropUnexpected;
  sum.authFailures += c.authFailures;
  sum.childSasCreated += c.childSasCreated;
  sum.childSasRekeyed += c.childSasRekeyed;
  sum.childSasDeleted += c.childSasDeleted;
  sum.rekeyCollisions += c.rekeyCollisions;
  sum.livenessChecksSent += c.livenessChecksSent;
  sum.ikeSasRekeyed += c.ikeSasRekeyed;
  sum.ikeSaRekeysStarted += c.ikeSaRekeysStarted;
}

} // namespace

IpsecDaemon::IpsecDaemon(IpsecUpOptions options, IpsecSetup setup)
    : options_(std::move(options)), setup_(std::move(setup)), buffer_(kBufferSize) {}

IpsecDaemon::~IpsecDaemon() = default;

void IpsecDaemon::NewIkeSa(bool initiator) {
  IkeConfig config = setup_.ike;
  config.initiator = initiator;
  config.retransmit.initialTimeout = Seconds(options_.retransmitTimeout);
  config.retransmit.backoff = options_.retransmitBase;
  config.retransmit.maxRetransmits = options_.retransmitTries;
  if (gateway_) {
    AddIkeCounters(previousIkeCounters_, gateway_->ike()->counters());
    // The old IKE SA's Child SAs go with it.
    gateway_->ReplaceIke(config);
    ++ipsecCounters_.ikeRestarts;
  } else {
    tunnel::GreIpsecGatewayConfig gateway;
    gateway.mode = tunnel::GreIpsecMode::IpsecTunnel;
    gateway.local = config.localAddress;
    gateway.remote = config.remoteAddress;
    gateway.ike = config;
    // What ipsec-up always did: every decrypted packet goes to the TUN (the kernel routes it),
    // and only soft lifetimes reach IKE.
    gateway.inboundPolicyCheck = false;
    gateway.reportHardLifetimes = false;
    gateway_ = std::make_unique<tunnel::GreIpsecGateway>(gateway,
                                                         std::make_unique<crypto::SystemRandom>());
  }
  ikeKeysWritten_ = false;
  nextKeepalive_ = kNever;
}

bool IpsecDaemon::SetUp(std::string &error) {
  if (!loop_.ok(error)) return false;
  if (!WatchDaemonSignals(
          loop_, [this] { WriteStatsFile(); }, error))
    return false;
  tun_ = TunDevice::Open(options_.interfaceName, error);
  if (!tun_) return false;
  if (!tun_->SetMtu(kTunMtu, error) || !tun_->SetUp(error)) return false;
  if (const auto mss = options_.gateway.ClampMssFor(kTunMtu)) mssClamp_.emplace(*mss);
  for (const IpPrefix &route : setup_.routes) {
    if (!AddInterfaceRoute(tun_->index(), route, error)) return false;
  }
  ike_ = UdpSocket::Open(kIkePort, error);
  if (!ike_) return false;
  natt_ = UdpSocket::Open(kNatTraversalPort, error);
  if (!natt_) return false;
  esp_ = EspSocket::Open(setup_.ike.remoteAddress.family(), error);
  if (!esp_) return false;
  if (!loop_.WatchReadable(
          tun_->fd(), [this] { OnTunReadable(); }, error) ||
      !loop_.WatchReadable(
          ike_->fd(), [this] { OnUdpReadable(*ike_, false); }, error) ||
      !loop_.WatchReadable(
          natt_->fd(), [this] { OnUdpReadable(*natt_, true); }, error) ||
      !loop_.WatchReadable(
          esp_->fd(), [this] { OnEspReadable(); }, error))
    return false;
  loop_.SetTimerHandler([this] { OnTimerExpired(); });
  startedAt_ = MonotonicNow();
  try {
    NewIkeSa(setup_.initiate);
  } catch (const std::exception &e) {
    error = std::string("invalid configuration: ") + e.what();
    return false;
  }
  return true;
}

int IpsecDaemon::Run() {
  std::string error;
  if (!SetUp(error)) {
    Log::Error(error);
    return 1;
  }
  for (const std::string &note : setup_.notes)
    Log::Info("connection " + setup_.connection + ": " + note);
  std::string routes;
  for (const IpPrefix &route : setup_.routes)
    routes += (routes.empty() ? "" : ",") + route.ToString();
  Log::Info("ready: connection " + setup_.connection + ", interface " + tun_->name() + ", routes " +
            routes + ", peer " + setup_.ike.remoteAddress.ToString() + ", " +
            (setup_.initiate ? "initiating" : "waiting for the peer"));
  if (setup_.initiate) {
    tunnel::GreIpsecOutput out;
    gateway_->Start(MonotonicNow(), out);
    Perform(out);
  }

  bool ok = loop_.Run(error);
  if (!ok) Log::Error(error);
  // Tell the peer, as charon does on shutdown; the answer is not awaited.
  if (gateway_->ike()->state() == IkeState::Established) {
    tunnel::GreIpsecOutput out;
    gateway_->DeleteIkeSa(MonotonicNow(), out);
    Perform(out);
  }
  counters_.loopWakeups = loop_.wakeups();
  WriteStatsFile();
  const EspCounters in = gateway_->sad().inboundTotals(), out = gateway_->sad().outboundTotals();
  Log::Info("stopped: " + std::to_string(out.packets) + " packet(s) sent, " +
            std::to_string(in.packets) + " received, " + std::to_string(in.dropReplay) +
            " replay drop(s), " + std::to_string(in.dropIcv) + " ICV failure(s); removing " +
            tun_->name());
  tun_.reset();
  return ok ? 0 : 1;
}

void IpsecDaemon::OnTunReadable() {
  Time now = MonotonicNow();
  for (int i = 0; i < kBatch; ++i) {
    ssize_t n = tun_->Read(buffer_.data(), buffer_.size());
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++counters_.tunReadErrors;
      break;
    }
    ++counters_.tunPacketsRead;
    counters_.tunBytesRead += static_cast<uint64_t>(n);
    crypto::ByteView inner(buffer_.data(), static_cast<size_t>(n));
    if (options_.gateway.pmtuDiscovery && AnsweredTooBig(buffer_.data(), size_t(n))) continue;
    if (mssClamp_) {
      clamped_.assign(buffer_.begin(), buffer_.begin() + n);
      mssClamp_->Apply(clamped_);
      inner = crypto::ByteView(clamped_.data(), clamped_.size());
    }
    tunnel::GreIpsecOutput out;
    gateway_->FromLan(inner, now, out);
    Perform(out, true);
  }
}

bool IpsecDaemon::AnsweredTooBig(const uint8_t *packet, size_t size) {
  // The route MTU is re-read once a second: a learned path MTU or a changed device MTU shows.
  const Time now = MonotonicNow();
  if (underlayMtuReadAt_ == kNever || now - underlayMtuReadAt_ >= Seconds(1)) {
    underlayMtu_ = RouteMtuTo(setup_.ike.remoteAddress).value_or(0);
    underlayMtuReadAt_ = now;
  }
  if (underlayMtu_ == 0 || !gateway_) return false;
  const uint32_t mtu = std::min<uint32_t>(
      kTunMtu, EspTunnelInnerMtu(underlayMtu_, gateway_->ike()->udpEncapsulation()));
  if (!NeedsFragmentationNeeded(packet, size, mtu)) return false;
  ++ipsecCounters_.pmtuDrops;
  // The TUN has no address; the error comes from the quoted packet's destination, which
  // routes back through the TUN, so reverse-path filtering on the sender's side accepts it.
  const auto info = ParseIpPacket(packet, size);
  const auto icmp = BuildFragmentationNeeded(packet, size, uint16_t(mtu), info->destination);
  if (icmp && tun_->Write(icmp->data(), icmp->size())) {
    ++ipsecCounters_.icmpFragNeededSent;
    ++counters_.tunPacketsWritten;
    counters_.tunBytesWritten += icmp->size();
  } else {
    ++counters_.tunWriteErrors;
  }
  return true;
}

void IpsecDaemon::OnUdpReadable(UdpSocket &socket, bool natTraversalPort) {
  for (int i = 0; i < kBatch; ++i) {
    std::optional<Endpoint> from;
    ssize_t n = socket.ReceiveFrom(buffer_.data(), buffer_.size(), from);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        ++counters_.udpReceiveErrors;
        continue;
      }
      break;
    }
    if (!from || from->address != setup_.ike.remoteAddress) {
      ++ipsecCounters_.unknownSource;
      continue;
    }
    ++counters_.udpDatagramsReceived;
    counters_.udpBytesReceived += static_cast<uint64_t>(n);
    const auto size = static_cast<size_t>(n);
    if (!natTraversalPort) {
      OnIkeDatagram(crypto::ByteView(buffer_.data(), size));
    } else if (size == 1 && buffer_[0] == 0xff) {
      ++ipsecCounters_.natKeepalivesReceived;
    } else if (size >= 4 && buffer_[0] == 0 && buffer_[1] == 0 && buffer_[2] == 0 &&
               buffer_[3] == 0) {
      // The non-ESP marker (RFC 3948 2.2): an IKE message follows.
      OnIkeDatagram(crypto::ByteView(buffer_.data() + 4, size - 4));
    } else {
      ++ipsecCounters_.espUdpReceived;
      OnEspPacket(crypto::ByteView(buffer_.data(), size));
    }
  }
}

void IpsecDaemon::OnEspReadable() {
  for (int i = 0; i < kBatch; ++i) {
    size_t offset = 0;
    std::optional<IpAddress> from;
    ssize_t n = esp_->Receive(buffer_.data(), buffer_.size(), offset, from);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) continue;
      break;
    }
    if (!from || *from != setup_.ike.remoteAddress) {
      ++ipsecCounters_.unknownSource;
      continue;
    }
    ++ipsecCounters_.espRawReceived;
    OnEspPacket(crypto::ByteView(buffer_.data() + offset, static_cast<size_t>(n)));
  }
}

void IpsecDaemon::OnIkeDatagram(crypto::ByteView datagram) {
  ++ipsecCounters_.ikeDatagramsReceived;
  const auto &lose = options_.testDropIkeReceived;
  if (std::count(lose.begin(), lose.end(), ipsecCounters_.ikeDatagramsReceived)) {
    ++ipsecCounters_.testIkeDropped;
    Log::Info("test hook: IKE datagram received #" +
              std::to_string(ipsecCounters_.ikeDatagramsReceived) + " dropped");
    return;
  }
  Time now = MonotonicNow();
  auto header = ParseIkeHeader(datagram);
  // A new IKE_SA_INIT from the peer while we hold an IKE SA: the peer restarted (or lost
  // its state). Start over as responder, as charon replaces the old SA.
  if (header && header->exchange == IkeExchange::IkeSaInit && header->spiR == 0 &&
      header->messageId == 0 && !(header->flags & flags::kResponse) &&
      gateway_->ike()->state() != IkeState::Idle && header->spiI != gateway_->ike()->spiI()) {
    Emit("ike_sa_replaced", {{"old_spi_i", Hex64(gateway_->ike()->spiI())},
                             {"old_spi_r", Hex64(gateway_->ike()->spiR())},
                             {"new_spi_i", Hex64(header->spiI)}});
    NewIkeSa(false);
  }
  tunnel::GreIpsecOutput out;
  gateway_->FromWan(tunnel::OuterProtocol::Ike, datagram, now, out);
  Perform(out);
}

void IpsecDaemon::OnEspPacket(crypto::ByteView packet) {
  tunnel::GreIpsecOutput out;
  gateway_->FromWan(tunnel::OuterProtocol::Esp, packet, MonotonicNow(), out);
  Perform(out);
}

void IpsecDaemon::WriteToTun(tunnel::DeliverInner &deliver) {
  crypto::Bytes &payload = deliver.buffer; // the whole buffer: tunnel mode, no policy check
  if (mssClamp_) mssClamp_->Apply(payload);
  if (tun_->Write(payload.data(), payload.size())) {
    ++counters_.tunPacketsWritten;
    counters_.tunBytesWritten += payload.size();
  } else {
    ++counters_.tunWriteErrors;
  }
}

void IpsecDaemon::OnTimerExpired() {
  ++counters_.timerCalls;
  Time now = MonotonicNow();
  if (restartAt_ <= now) {
    restartAt_ = kNever;
    NewIkeSa(true);
    Emit("ike_sa_restart", {{"reason", "dpd_action = restart"}});
    tunnel::GreIpsecOutput out;
    gateway_->Start(now, out);
    Perform(out);
  }
  if (nextKeepalive_ <= now) {
    const uint8_t keepalive = 0xff;
    if (natt_->SendTo({setup_.ike.remoteAddress, kNatTraversalPort}, &keepalive, 1))
      ++ipsecCounters_.natKeepalivesSent;
    nextKeepalive_ = now + Seconds(options_.natKeepalive);
  }
  if (ikeTimer_ <= now) {
    tunnel::GreIpsecOutput out;
    gateway_->OnTimer(now, out);
    Perform(out);
  } else {
    UpdateDeadline();
  }
}

void IpsecDaemon::Perform(tunnel::GreIpsecOutput &out, bool fromTun) {
  for (tunnel::GreIpsecAction &action : out.actions) {
    if (auto *send = std::get_if<tunnel::SendOuter>(&action)) {
      if (send->protocol == tunnel::OuterProtocol::Ike) {
        SendIke(send->payload);
      } else {
        SendEsp(send->payload);
      }
      gateway_->Recycle(std::move(send->payload));
    } else if (auto *deliver = std::get_if<tunnel::DeliverInner>(&action)) {
      WriteToTun(*deliver);
      gateway_->Recycle(std::move(deliver->buffer));
    } else if (const auto *drop = std::get_if<tunnel::DropPacket>(&action)) {
      if (fromTun) {
        // Counted by the SAD; no Child SA yet (or between them) is the driver's own count.
        if (std::strcmp(drop->reason, "no-sa") == 0) ++ipsecCounters_.noOutboundSa;
      } else if (Log::Verbose()) {
        uint64_t suppressed = 0;
        if (dropLogThrottle_.Allow(MonotonicNow().count(), suppressed))
          Log::Debug("dropped ESP packet (SPI " + Hex32(drop->spi) + ", sequence " +
                     std::to_string(drop->sequence) + ", " + drop->reason + ")");
      }
    } else if (const auto *install = std::get_if<tunnel::SaInstalled>(&action)) {
      WriteKeys(install->config);
      if (!install->installed) Log::Error("cannot install SA: " + install->error);
    } else if (const auto *happened = std::get_if<tunnel::IkeEventHappened>(&action)) {
      OnIkeEvent(happened->event);
    } else if (const auto *timer = std::get_if<tunnel::TimerChanged>(&action)) {
      ikeTimer_ = timer->at;
    }
  }
  const IkeSa &ike = *gateway_->ike();
  const bool encap = ike.udpEncapsulation();
  const Time now = MonotonicNow();
  if (ike.state() == IkeState::Established && encap && nextKeepalive_ == kNever)
    nextKeepalive_ = now + Seconds(options_.natKeepalive);
  if ((ike.state() == IkeState::Failed || ike.state() == IkeState::Deleted) && setup_.initiate &&
      setup_.dpdAction == SwanctlDpdAction::Restart && restartAt_ == kNever) {
    restartAt_ = now + Seconds(1);
  }
  UpdateDeadline();
}

void IpsecDaemon::OnIkeEvent(const IkeEvent &event) {
  const IkeSa &ike = *gateway_->ike();
  const bool encap = ike.udpEncapsulation();
  switch (event.type) {
  case IkeEventType::Established: {
    Emit("ike_sa_up", {{"spi_i", Hex64(ike.spiI())},
                       {"spi_r", Hex64(ike.spiR())},
                       {"role", ike.config().initiator ? "initiator" : "responder"},
                       {"cipher", CipherName(setup_.ike.ikeCipher)},
                       {"udp_encapsulation", encap}});
    if (!options_.keyDir.empty() && ike.keys() && !ikeKeysWritten_) {
      if (auto line =
              WiresharkIkev2Line(ike.spiI(), ike.spiR(), *ike.keys(), setup_.ike.ikeCipher)) {
        std::ofstream(options_.keyDir + "/ikev2_decryption_table", std::ios::app) << *line << "\n";
      }
      ikeKeysWritten_ = true;
    }
    break;
  }
  case IkeEventType::ChildSaCreated: {
    uint32_t outbound = 0;
    for (const IkeChildSaInfo &c : ike.childSas())
      if (c.inboundSpi == event.inboundSpi) outbound = c.outboundSpi;
    Emit("child_sa_up", {{"child", setup_.child},
                         {"spi_in", Hex32(event.inboundSpi)},
                         {"spi_out", Hex32(outbound)},
                         {"cipher", CipherName(setup_.ike.espCipher)},
                         {"udp_encapsulation", encap},
                         {"replay_window", setup_.ike.replayWindow}});
    break;
  }
  case IkeEventType::ChildSaRekeyed:
    Emit("child_sa_rekeyed", {{"child", setup_.child}, {"spi_in", Hex32(event.inboundSpi)}});
    break;
  case IkeEventType::ChildSaDeleted:
    Emit("child_sa_deleted",
         {{"child", setup_.child}, {"spi_in", Hex32(event.inboundSpi)}, {"reason", event.detail}});
    break;
  case IkeEventType::IkeSaDeleted:
    Emit("ike_sa_deleted", {{"reason", event.detail}});
    break;
  case IkeEventType::IkeSaRekeyed:
    Emit("ike_sa_rekeyed",
         {{"spi_i", Hex64(ike.spiI())}, {"spi_r", Hex64(ike.spiR())}, {"reason", event.detail}});
    if (!options_.keyDir.empty() && ike.keys()) {
      if (auto line =
              WiresharkIkev2Line(ike.spiI(), ike.spiR(), *ike.keys(), setup_.ike.ikeCipher)) {
        std::ofstream(options_.keyDir + "/ikev2_decryption_table", std::ios::app) << *line << "\n";
      }
    }
    break;
  case IkeEventType::Timeout:
    Emit("ike_sa_timeout", {{"reason", event.detail}});
    break;
  case IkeEventType::AuthenticationFailed:
    Emit("ike_auth_failed", {{"reason", event.detail}});
    break;
  case IkeEventType::NoProposalChosen:
    Emit("ike_no_proposal_chosen", {{"reason", event.detail}});
    break;
  }
}

void IpsecDaemon::SendIke(const crypto::Bytes &datagram) {
  ++ikeSendAttempts_;
  const auto &lose = options_.testDropIkeSent;
  if (std::count(lose.begin(), lose.end(), ikeSendAttempts_)) {
    ++ipsecCounters_.testIkeDropped;
    // The bytes (an encrypted IKE message: public) let a test compare them with the resend.
    Log::Info("test hook: IKE datagram sent #" + std::to_string(ikeSendAttempts_) +
              " dropped: " + crypto::ToHex(datagram));
    return;
  }
  const bool init =
      datagram.size() > kIkeExchangeOffset && datagram[kIkeExchangeOffset] == kExchangeIkeSaInit;
  bool sent;
  if (gateway_->ike()->udpEncapsulation() && !init) {
    // After NAT detection everything moves to 4500 with the non-ESP marker (RFC 7296 2.23).
    crypto::Bytes marked(4, 0);
    marked.insert(marked.end(), datagram.begin(), datagram.end());
    sent =
        natt_->SendTo({setup_.ike.remoteAddress, kNatTraversalPort}, marked.data(), marked.size());
  } else {
    sent = ike_->SendTo({setup_.ike.remoteAddress, kIkePort}, datagram.data(), datagram.size());
  }
  if (sent) {
    ++ipsecCounters_.ikeDatagramsSent;
    ++counters_.udpDatagramsSent;
    counters_.udpBytesSent += datagram.size();
  } else {
    ++counters_.udpSendErrors;
    uint64_t suppressed = 0;
    if (sendLogThrottle_.Allow(MonotonicNow().count(), suppressed))
      Log::Error(ErrnoMessage("IKE send to " + setup_.ike.remoteAddress.ToString()));
  }
}

void IpsecDaemon::SendEsp(const crypto::Bytes &packet) {
  bool sent;
  if (gateway_->ike()->udpEncapsulation()) {
    sent =
        natt_->SendTo({setup_.ike.remoteAddress, kNatTraversalPort}, packet.data(), packet.size());
    if (sent) ++ipsecCounters_.espUdpSent;
  } else {
    sent = esp_->SendTo(setup_.ike.remoteAddress, packet.data(), packet.size());
    if (sent) ++ipsecCounters_.espRawSent;
  }
  if (!sent) {
    ++ipsecCounters_.espSendErrors;
    uint64_t suppressed = 0;
    if (sendLogThrottle_.Allow(MonotonicNow().count(), suppressed))
      Log::Error(ErrnoMessage("ESP send to " + setup_.ike.remoteAddress.ToString()));
  }
}

void IpsecDaemon::UpdateDeadline() {
  loop_.SetDeadline(std::min({ikeTimer_, nextKeepalive_, restartAt_}));
}

void IpsecDaemon::Emit(const std::string &event, nlohmann::json fields) {
  fields["event"] = event;
  fields["time"] = FormatWallClock();
  fields["connection"] = setup_.connection;
  std::string line = fields.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

void IpsecDaemon::WriteKeys(const EspSaConfig &config) {
  if (options_.keyDir.empty()) return;
  if (auto line = WiresharkEspSaLine(config))
    std::ofstream(options_.keyDir + "/esp_sa", std::ios::app) << *line << "\n";
}

nlohmann::json IpsecDaemon::Stats() const {
  IkeCounters ike = previousIkeCounters_;
  const IkeSa *ikeSa = gateway_ ? gateway_->ike() : nullptr;
  if (ikeSa) AddIkeCounters(ike, ikeSa->counters());
  nlohmann::json children = nlohmann::json::array();
  if (ikeSa) {
    for (const IkeChildSaInfo &c : ikeSa->childSas())
      children.push_back({{"spi_in", Hex32(c.inboundSpi)},
                          {"spi_out", Hex32(c.outboundSpi)},
                          {"outbound_installed", c.outboundInstalled},
                          {"rekeyed", c.rekeyed}});
  }
  const DriverCounters &d = counters_;
  const IpsecDriverCounters &p = ipsecCounters_;
  nlohmann::json stats = {
      {"interface", tun_ ? tun_->name() : options_.interfaceName},
      {"connection", setup_.connection},
      {"role", setup_.initiate ? "initiator" : "responder"},
      {"uptime_seconds", ToSeconds(MonotonicNow() - startedAt_)},
      {"ike_state", ikeSa ? IkeStateName(ikeSa->state()) : "none"},
      {"udp_encapsulation", ikeSa && ikeSa->udpEncapsulation()},
      {"ike", IkeCountersJson(ike)},
      {"child_sas", children},
      {"esp_in", EspStatsJson(gateway_ ? gateway_->sad().inboundTotals() : EspCounters{})},
      {"esp_out", EspStatsJson(gateway_ ? gateway_->sad().outboundTotals() : EspCounters{})},
      {"driver", DriverJson(d)}};
  nlohmann::json &driver = stats["driver"];
  driver["loop_wakeups"] = loop_.wakeups();
  driver["ike_datagrams_received"] = p.ikeDatagramsReceived;
  driver["ike_datagrams_sent"] = p.ikeDatagramsSent;
  driver["test_ike_dropped"] = p.testIkeDropped;
  driver["esp_udp_received"] = p.espUdpReceived;
  driver["esp_raw_received"] = p.espRawReceived;
  driver["esp_udp_sent"] = p.espUdpSent;
  driver["esp_raw_sent"] = p.espRawSent;
  driver["esp_send_errors"] = p.espSendErrors;
  driver["nat_keepalives_sent"] = p.natKeepalivesSent;
  driver["nat_keepalives_received"] = p.natKeepalivesReceived;
  driver["unknown_source"] = p.unknownSource;
  driver["no_outbound_sa"] = p.noOutboundSa;
  driver["pmtu_drops"] = p.pmtuDrops;
  driver["icmp_frag_needed_sent"] = p.icmpFragNeededSent;
  driver["ike_restarts"] = p.ikeRestarts;
  if (mssClamp_) stats["mss_clamp"] = MssClampJson(*mssClamp_);
  return stats;
}

void IpsecDaemon::WriteStatsFile() {
  if (options_.statsFile.empty()) return;
  std::string error;
  if (!WriteJsonFile(options_.statsFile, Stats(), error)) Log::Error(error);
}

} // namespace tunnelsim::realnet
