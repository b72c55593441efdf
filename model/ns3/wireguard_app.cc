#include "wireguard_app.h"

#include "tunnel_address.h"

#include "common/seed_mix.h"
#include "wireguard/keylog.h"
#include "wireguard/messages.h"
#include "wireguard/replay.h"

#include "ns3/double.h"
#include "ns3/inet-socket-address.h"
#include "ns3/inet6-socket-address.h"
#include "ns3/ipv6.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/pointer.h"
#include "ns3/rng-seed-manager.h"
#include "ns3/simulator.h"
#include "ns3/string.h"
#include "ns3/trace-source-accessor.h"
#include "ns3/udp-socket-factory.h"
#include "ns3/uinteger.h"

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("WireGuardApplication");
NS_OBJECT_ENSURE_REGISTERED(WireGuardApplication);

namespace wg = tunnelsim::wireguard;
namespace crypto = tunnelsim::crypto;

class WireGuardApplication::Observer final : public wg::EventObserver {
public:
  explicit Observer(WireGuardApplication &app) : m_app(app) {}
  void OnEvent(const wg::Event &event) override { m_app.OnEvent(event); }

private:
  WireGuardApplication &m_app;
};

namespace {

// The protocol constants' defaults are the core's; the interface's are the scenario spec's.
const wg::Constants kDefaults;
const tunnelsim::tunnel::WireGuardSpec kSpecDefaults;

Time ToNs3(tunnelsim::Duration d) { return NanoSeconds(d.count()); }
tunnelsim::Duration FromNs3(Time t) { return tunnelsim::Duration(t.GetNanoSeconds()); }

// One 64-bit seed per (simulation seed, run, node, stream, purpose): the same scenario with
// the same --RngSeed/--RngRun draws the same keys, indices and jitter.
uint64_t DeriveSeed(uint32_t node, uint64_t stream, uint64_t purpose) {
  return tunnelsim::FoldSeed(RngSeedManager::GetSeed(), RngSeedManager::GetRun(), node, stream,
                             purpose);
}

bool IsTransportData(const Ptr<Packet> &datagram) {
  uint8_t type = 0;
  return datagram->CopyData(&type, 1) == 1 &&
         type == static_cast<uint8_t>(wg::MessageType::TransportData);
}

uint64_t FlowKey(const wg::Endpoint &endpoint) {
  uint64_t h = endpoint.port;
  for (size_t i = 0; i < endpoint.address.size(); ++i)
    h = tunnelsim::SplitMix64(h ^ endpoint.address.data()[i]);
  return h;
}

} // namespace

TypeId WireGuardApplication::GetTypeId() {
  static TypeId tid =
      TypeId("ns3::WireGuardApplication")
          .SetParent<Application>()
          .SetGroupName("Tunnelsim")
          .AddConstructor<WireGuardApplication>()
          .AddAttribute("ListenPort", "UDP port the interface listens on",
                        UintegerValue(kSpecDefaults.listenPort),
                        MakeUintegerAccessor(&WireGuardApplication::m_listenPort),
                        MakeUintegerChecker<uint16_t>())
          .AddAttribute("Mtu", "MTU of the tunnel interface (wg-quick's default 1420)",
                        UintegerValue(kSpecDefaults.mtu),
                        MakeUintegerAccessor(&WireGuardApplication::m_mtu),
                        MakeUintegerChecker<uint16_t>(68))
          .AddAttribute("RekeyAfterTime",
                        "REKEY_AFTER_TIME: a sender starts a new handshake "
                        "when its session is this old",
                        TimeValue(ToNs3(kDefaults.rekeyAfterTime)),
                        MakeTimeAccessor(&WireGuardApplication::m_rekeyAfterTime),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("RejectAfterTime",
                        "REJECT_AFTER_TIME: a session is unusable this long "
                        "after it was created",
                        TimeValue(ToNs3(kDefaults.rejectAfterTime)),
                        MakeTimeAccessor(&WireGuardApplication::m_rejectAfterTime),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("RekeyAttemptTime", "REKEY_ATTEMPT_TIME: how long handshake retries go on",
                        TimeValue(ToNs3(kDefaults.rekeyAttemptTime)),
                        MakeTimeAccessor(&WireGuardApplication::m_rekeyAttemptTime),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("RekeyTimeout",
                        "REKEY_TIMEOUT: wait for a handshake response before "
                        "retrying",
                        TimeValue(ToNs3(kDefaults.rekeyTimeout)),
                        MakeTimeAccessor(&WireGuardApplication::m_rekeyTimeout),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("KeepaliveTimeout", "KEEPALIVE_TIMEOUT: passive keepalive delay",
                        TimeValue(ToNs3(kDefaults.keepaliveTimeout)),
                        MakeTimeAccessor(&WireGuardApplication::m_keepaliveTimeout),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("RekeyTimeoutJitter", "Largest random delay added to handshake retries",
                        TimeValue(ToNs3(kDefaults.rekeyTimeoutJitterMax)),
                        MakeTimeAccessor(&WireGuardApplication::m_rekeyJitter),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("RekeyAfterMessages", "REKEY_AFTER_MESSAGES",
                        UintegerValue(kDefaults.rekeyAfterMessages),
                        MakeUintegerAccessor(&WireGuardApplication::m_rekeyAfterMessages),
                        MakeUintegerChecker<uint64_t>(1))
          .AddAttribute("RejectAfterMessages", "REJECT_AFTER_MESSAGES",
                        UintegerValue(kDefaults.rejectAfterMessages),
                        MakeUintegerAccessor(&WireGuardApplication::m_rejectAfterMessages),
                        MakeUintegerChecker<uint64_t>(1))
          .AddAttribute("CookieSecretMaxAge", "Lifetime of the responder's cookie secret",
                        TimeValue(ToNs3(kDefaults.cookieSecretMaxAge)),
                        MakeTimeAccessor(&WireGuardApplication::m_cookieSecretMaxAge),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("UnderLoadThreshold",
                        "Handshake messages per second above which the interface is under "
                        "load and answers initiations without a valid MAC2 with cookie replies "
                        "(0: always under load)",
                        UintegerValue(kDefaults.underLoadHandshakesPerSecond),
                        MakeUintegerAccessor(&WireGuardApplication::m_underLoadThreshold),
                        MakeUintegerChecker<uint32_t>())
          .AddAttribute("UnderLoadHoldTime", "How long the interface stays under load",
                        TimeValue(ToNs3(kDefaults.underLoadHoldTime)),
                        MakeTimeAccessor(&WireGuardApplication::m_underLoadHold),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("RateLimitPerSecond",
                        "Handshakes per second accepted from one source while under load",
                        UintegerValue(kDefaults.ratelimitPacketsPerSecond),
                        MakeUintegerAccessor(&WireGuardApplication::m_ratelimitRate),
                        MakeUintegerChecker<uint32_t>(1))
          .AddAttribute("RateLimitBurst", "Burst of the per-source handshake rate limit",
                        UintegerValue(kDefaults.ratelimitBurst),
                        MakeUintegerAccessor(&WireGuardApplication::m_ratelimitBurst),
                        MakeUintegerChecker<uint32_t>(1))
          .AddAttribute("MinInitiationInterval",
                        "A peer's initiations closer together than this are dropped",
                        TimeValue(ToNs3(kDefaults.minInitiationInterval)),
                        MakeTimeAccessor(&WireGuardApplication::m_minInitiationInterval),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("MaxQueuedPackets",
                        "Packets per peer held while a handshake is in progress (oldest "
                        "dropped beyond)",
                        UintegerValue(kDefaults.maxStagedPackets),
                        MakeUintegerAccessor(&WireGuardApplication::m_maxStaged),
                        MakeUintegerChecker<uint32_t>(1))
          .AddAttribute("ReplayWindow",
                        "Counters tracked behind the newest one by the anti-replay filter, a "
                        "multiple of 64 (Linux and wireguard-go: 8128)",
                        UintegerValue(kDefaults.replayWindow),
                        MakeUintegerAccessor(&WireGuardApplication::m_replayWindow),
                        MakeUintegerChecker<uint64_t>(64))
          .AddAttribute("WallClockOffset",
                        "Unix time at simulation time zero, for handshake TAI64N timestamps",
                        TimeValue(Seconds(1.7e9)),
                        MakeTimeAccessor(&WireGuardApplication::m_wallClockOffset),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("RandomStream",
                        "Extra input to the device's random stream (indices, ephemerals, "
                        "jitter), which otherwise follows the simulation seed, run and node",
                        UintegerValue(0),
                        MakeUintegerAccessor(&WireGuardApplication::m_randomStream),
                        MakeUintegerChecker<uint64_t>())
          .AddAttribute("KeyLogFile",
                        "Path of a Wireshark WireGuard key log (wg.keylog_file); empty: none",
                        StringValue(""), MakeStringAccessor(&WireGuardApplication::m_keyLogPath),
                        MakeStringChecker())
          .AddAttribute("CpuModel", "Crypto CPU cost model (null: cryptography takes no time)",
                        PointerValue(nullptr), MakePointerAccessor(&WireGuardApplication::m_cpu),
                        MakePointerChecker<CryptoCpuModel>())
          .AddTraceSource("HandshakeInitiated", "A handshake initiation was sent",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_handshakeInitiated),
                          "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource(
              "HandshakeInitiationReceived", "A valid initiation was accepted",
              MakeTraceSourceAccessor(&WireGuardApplication::m_handshakeInitiationReceived),
              "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource("HandshakeResponseSent", "A handshake response was sent",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_handshakeResponseSent),
                          "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource(
              "HandshakeResponseReceived", "A valid response was accepted",
              MakeTraceSourceAccessor(&WireGuardApplication::m_handshakeResponseReceived),
              "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource("HandshakeCompleted", "A session was derived with a peer",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_handshakeCompleted),
                          "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource("SessionConfirmed",
                          "Both sides hold the session (initiator: response consumed; "
                          "responder: first packet authenticated under the new keys)",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_sessionConfirmed),
                          "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource("Rekey", "A session replaced an earlier one with the same peer",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_rekey),
                          "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource("HandshakeGaveUp", "Handshake retries stopped after REKEY_ATTEMPT_TIME",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_handshakeGaveUp),
                          "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource("CookieReplySent", "A cookie reply was sent (under load)",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_cookieSent),
                          "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource("CookieReplyReceived", "A valid cookie reply was accepted",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_cookieReceived),
                          "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource("KeepaliveSent", "A keepalive was sent",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_keepaliveSent),
                          "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource("KeepaliveReceived", "A keepalive was received",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_keepaliveReceived),
                          "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource("KeysZeroed", "A peer's key material was wiped",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_keysZeroed),
                          "ns3::WireGuardApplication::PeerTracedCallback")
          .AddTraceSource("EndpointChanged", "A peer roamed: (peer, new endpoint)",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_endpointChanged),
                          "ns3::WireGuardApplication::EndpointTracedCallback")
          .AddTraceSource("Drop", "A packet or message was dropped: (reason, peer or \"\")",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_drop),
                          "ns3::WireGuardApplication::DropTracedCallback")
          .AddTraceSource("Tx", "A transport data datagram sent to a peer",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_txTrace),
                          "ns3::WireGuardApplication::PeerPacketTracedCallback")
          .AddTraceSource("Rx", "An inner packet received from a peer and delivered",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_rxTrace),
                          "ns3::WireGuardApplication::PeerPacketTracedCallback")
          .AddTraceSource("OuterTx", "Every UDP datagram sent",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_outerTx),
                          "ns3::Packet::TracedCallback")
          .AddTraceSource("OuterRx", "Every UDP datagram received",
                          MakeTraceSourceAccessor(&WireGuardApplication::m_outerRx),
                          "ns3::Packet::TracedCallback");
  return tid;
}

WireGuardApplication::WireGuardApplication() : m_observer(std::make_unique<Observer>(*this)) {}
WireGuardApplication::~WireGuardApplication() = default;

void WireGuardApplication::SetPrivateKey(const crypto::X25519PrivateKey &key) {
  NS_ABORT_MSG_IF(m_device, "WireGuardApplication: set the key before the application starts");
  m_config.privateKey = key;
  m_publicKey = crypto::X25519PublicFromPrivate(key);
  m_haveKey = true;
}

void WireGuardApplication::SetConfig(const wg::DeviceConfig &config) {
  NS_ABORT_MSG_IF(m_device, "WireGuardApplication: configure before the application starts");
  m_config = config;
  m_publicKey = crypto::X25519PublicFromPrivate(config.privateKey);
  m_haveKey = true;
  if (config.listenPort != 0) {
    m_listenPort = config.listenPort;
    m_configListenPort = true;
  }
  m_mtu = static_cast<uint16_t>(config.mtu);
}

void WireGuardApplication::ApplySpec(const tunnelsim::tunnel::WireGuardSpec &spec) {
  NS_ABORT_MSG_IF(m_device, "WireGuardApplication: configure before the application starts");
  m_listenPort = spec.listenPort;
  m_mtu = static_cast<uint16_t>(spec.mtu);
  m_rekeyAfterTime = ToNs3(spec.rekeyAfterTime);
  m_rejectAfterTime = ToNs3(spec.rejectAfterTime);
  m_rekeyAttemptTime = ToNs3(spec.rekeyAttemptTime);
  m_rekeyTimeout = ToNs3(spec.rekeyTimeout);
  m_keepaliveTimeout = ToNs3(spec.keepaliveTimeout);
  m_rekeyAfterMessages = spec.rekeyAfterMessages;
  m_underLoadThreshold = spec.underLoadHandshakesPerSecond;
}

void WireGuardApplication::AddPeer(const wg::PeerConfig &peer) {
  if (m_device) {
    m_device->AddPeer(peer, Now());
    m_config.peers.push_back(peer);
    wg::Actions actions;
    Execute(actions, std::nullopt);
    return;
  }
  m_config.peers.push_back(peer);
}

void WireGuardApplication::SetTunnelDevice(Ptr<TunnelNetDevice> device) {
  m_tunnel = device;
  m_tunnel->SetMtu(m_mtu);
}

uint16_t WireGuardApplication::GetListenPort() const { return m_listenPort; }

const wg::DeviceCounters &WireGuardApplication::GetCounters() const {
  static const wg::DeviceCounters kNone;
  return m_device ? m_device->counters() : kNone;
}

std::optional<wg::Endpoint>
WireGuardApplication::GetPeerEndpoint(const crypto::X25519PublicKey &peer) const {
  if (!m_device) return std::nullopt;
  const wg::Peer *p = m_device->FindPeer(peer);
  return p ? p->endpoint() : std::nullopt;
}

std::string WireGuardApplication::KeyToString(const crypto::X25519PublicKey &key) {
  return crypto::ToBase64(key);
}

tunnelsim::Time WireGuardApplication::Now() const {
  return tunnelsim::Time(Simulator::Now().GetNanoSeconds());
}

void WireGuardApplication::StartApplication() {
  NS_ABORT_MSG_IF(!m_tunnel, "WireGuardApplication: no tunnel device (use WireGuardHelper)");
  const uint32_t nodeId = GetNode()->GetId();
  if (!m_haveKey) {
    crypto::DeterministicRandom keyRng(DeriveSeed(nodeId, m_randomStream, 1));
    SetPrivateKey(crypto::GenerateX25519KeyPair(keyRng).privateKey);
  }
  wg::Constants &c = m_config.constants;
  c.rekeyAfterTime = FromNs3(m_rekeyAfterTime);
  c.rejectAfterTime = FromNs3(m_rejectAfterTime);
  c.rekeyAttemptTime = FromNs3(m_rekeyAttemptTime);
  c.rekeyTimeout = FromNs3(m_rekeyTimeout);
  c.keepaliveTimeout = FromNs3(m_keepaliveTimeout);
  c.rekeyTimeoutJitterMax = FromNs3(m_rekeyJitter);
  c.rekeyAfterMessages = m_rekeyAfterMessages;
  c.rejectAfterMessages = m_rejectAfterMessages;
  c.cookieSecretMaxAge = FromNs3(m_cookieSecretMaxAge);
  c.underLoadHandshakesPerSecond = m_underLoadThreshold;
  c.underLoadHoldTime = FromNs3(m_underLoadHold);
  c.ratelimitPacketsPerSecond = m_ratelimitRate;
  c.ratelimitBurst = m_ratelimitBurst;
  c.minInitiationInterval = FromNs3(m_minInitiationInterval);
  c.maxStagedPackets = m_maxStaged;
  c.replayWindow = m_replayWindow;
  m_config.listenPort = m_listenPort;
  m_config.mtu = m_mtu;
  m_config.wallClockOffset = FromNs3(m_wallClockOffset);
  m_config.exportKeyLog = !m_keyLogPath.empty();
  if (m_config.exportKeyLog) m_keyLog = std::make_unique<KeyLogWriter>(m_keyLogPath);
  m_tunnel->SetMtu(m_mtu);
  m_gatewayPolicy.Configure(m_gatewaySpec, m_mtu);

  m_rng = std::make_unique<crypto::DeterministicRandom>(DeriveSeed(nodeId, m_randomStream, 2));
  // Peers are added one by one after the observer is attached, so events of a peer that is
  // due a keepalive at once are seen.
  std::vector<wg::PeerConfig> peers = std::move(m_config.peers);
  m_config.peers.clear();
  m_device = std::make_unique<wg::Device>(m_config, *m_rng, Now());
  m_device->SetObserver(m_observer.get());
  for (const wg::PeerConfig &peer : peers)
    m_device->AddPeer(peer, Now());
  m_config.peers = std::move(peers);

  m_socket4 = OpenSocket(false);
  if (GetNode()->GetObject<Ipv6>()) m_socket6 = OpenSocket(true);
  m_tunnel->SetSendCallback(MakeCallback(&WireGuardApplication::FromTunnel, this));
  wg::Actions actions;
  Execute(actions, std::nullopt);
}

Ptr<Socket> WireGuardApplication::OpenSocket(bool ipv6) {
  Ptr<Socket> socket = Socket::CreateSocket(GetNode(), UdpSocketFactory::GetTypeId());
  const int status = ipv6 ? socket->Bind(Inet6SocketAddress(Ipv6Address::GetAny(), m_listenPort))
                          : socket->Bind(InetSocketAddress(Ipv4Address::GetAny(), m_listenPort));
  NS_ABORT_MSG_IF(status != 0, "WireGuardApplication: cannot bind UDP port " << m_listenPort);
  socket->SetRecvCallback(MakeCallback(&WireGuardApplication::FromSocket, this));
  return socket;
}

void WireGuardApplication::StopApplication() {
  Simulator::Cancel(m_timer);
  m_timerPending = false;
  for (Ptr<Socket> *socket : {&m_socket4, &m_socket6}) {
    if (*socket) {
      (*socket)->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
      (*socket)->Close();
      *socket = nullptr;
    }
  }
  if (m_tunnel) m_tunnel->SetSendCallback(MakeNullCallback<bool, Ptr<Packet>, uint16_t>());
}

void WireGuardApplication::DoDispose() {
  Simulator::Cancel(m_timer);
  m_timerPending = false;
  if (m_device) m_device->SetObserver(nullptr);
  m_device.reset();
  m_tunnel = nullptr;
  m_cpu = nullptr;
  m_socket4 = nullptr;
  m_socket6 = nullptr;
  Application::DoDispose();
}

namespace {
// WireGuard's header, padding to a multiple of 16 and tag: encrypting an inner packet in
// place grows its buffer by at most this much.
constexpr size_t kTransportGrowth = 16 + 15 + 16;
constexpr size_t kMaxSpareBuffers = 16;
} // namespace

std::vector<uint8_t> WireGuardApplication::TakeSpareBuffer() {
  if (m_spareBuffers.empty()) return {};
  std::vector<uint8_t> buffer = std::move(m_spareBuffers.back());
  m_spareBuffers.pop_back();
  return buffer;
}

void WireGuardApplication::KeepSpareBuffer(std::vector<uint8_t> buffer) {
  // Kept at its size, not cleared: FromTunnel's resize to the next packet's size (in a flow,
  // no larger than the last datagram) then writes no zeros that CopyData would overwrite.
  if (m_spareBuffers.size() >= kMaxSpareBuffers || buffer.capacity() == 0) return;
  m_spareBuffers.push_back(std::move(buffer));
}

template <typename Call>
void WireGuardApplication::WithActions(const std::optional<wg::Endpoint> &from, Call &&call) {
  if (m_actionsInUse == m_actionsStack.size())
    m_actionsStack.push_back(std::make_unique<wg::Actions>());
  wg::Actions &actions = *m_actionsStack[m_actionsInUse++];
  actions.Clear();
  call(actions);
  Execute(actions, from);
  --m_actionsInUse;
}

bool WireGuardApplication::FromTunnel(Ptr<Packet> packet, uint16_t) {
  if (!m_device) return false;
  crypto::Bytes bytes = TakeSpareBuffer();
  const size_t size = packet->GetSize();
  bytes.reserve(size + kTransportGrowth);
  bytes.resize(size);
  packet->CopyData(bytes.data(), size);
  if (!m_gatewayPolicy.FromLan(bytes, GetNode())) return true; // PMTU discovery: counted
  WithActions(std::nullopt, [&](wg::Actions &actions) {
    m_device->OnTunnelPacket(std::move(bytes), Now(), actions);
  });
  return true; // the core counts its own drops
}

void WireGuardApplication::FromSocket(Ptr<Socket> socket) {
  Address fromAddress;
  while (Ptr<Packet> packet = socket->RecvFrom(fromAddress)) {
    if (!m_device) return;
    m_outerRx(packet);
    // A flow's datagrams come from one address: convert it once, not per datagram.
    if (!m_lastSource || !(fromAddress == m_lastSourceAddress)) {
      const auto from = FromSocketAddress(fromAddress);
      if (!from) continue;
      m_lastSourceAddress = fromAddress;
      m_lastSource = wg::Endpoint{from->first, from->second};
    }
    const wg::Endpoint endpoint = *m_lastSource;
    m_buffer.resize(packet->GetSize());
    packet->CopyData(m_buffer.data(), m_buffer.size());
    WithActions(endpoint, [&](wg::Actions &actions) {
      m_device->OnDatagram(crypto::ByteView(m_buffer.data(), m_buffer.size()), endpoint, Now(),
                           actions);
    });
  }
}

void WireGuardApplication::OnTimer() {
  m_timerPending = false;
  if (!m_device) return;
  WithActions(std::nullopt, [&](wg::Actions &actions) { m_device->OnTimer(Now(), actions); });
}

void WireGuardApplication::Execute(wg::Actions &actions, const std::optional<wg::Endpoint> &from) {
  for (wg::Datagram &datagram : actions.toNetwork) {
    Ptr<Packet> packet = Create<Packet>(datagram.data.data(), datagram.data.size());
    KeepSpareBuffer(std::move(datagram.data));
    if (m_cpu && IsTransportData(packet)) {
      const wg::Endpoint to = datagram.to;
      m_cpu->Submit(FlowKey(to), packet->GetSize(),
                    [this, to, packet]() { SendDatagram(to, packet); });
    } else {
      SendDatagram(datagram.to, packet);
    }
  }
  for (crypto::Bytes &inner : actions.toTunnel) {
    m_gatewayPolicy.ToLan(inner);
    Ptr<Packet> packet = Create<Packet>(inner.data(), inner.size());
    if (m_device) m_device->RecycleBuffer(std::move(inner));
    if (m_cpu) {
      const std::optional<wg::Endpoint> source = from;
      m_cpu->Submit(from ? FlowKey(*from) : 0, packet->GetSize(),
                    [this, source, packet]() { Deliver(packet, source ? &*source : nullptr); });
    } else {
      Deliver(packet, from ? &*from : nullptr);
    }
  }
  // Sending and delivering can re-enter the device (a decrypted packet the node forwards back
  // into the tunnel), so the deadline is read afresh rather than from `actions`.
  //
  // A data flow moves the deadline on almost every packet (sending arms the new-handshake
  // timer, the peer's reply disarms it). Cancelling and rescheduling each time cost an event
  // allocation per packet and left the cancelled events in ns-3's scheduler until their time
  // (seconds ahead), so its map grew by thousands. Instead an event that is due no later than
  // the deadline is kept: firing early is harmless, as the core's OnTimer handles only peers
  // whose deadline has passed (no random draws otherwise), and the rescheduling that follows
  // it reads the deadline afresh. Only a deadline earlier than the pending event reschedules.
  //
  // Whether an event is pending, and when, is kept here (OnTimer clears it) rather than asked
  // of the EventId: EventId::IsRunning asks the simulator and cost more than this whole
  // function's own work, twice per packet.
  if (!m_device) return;
  const tunnelsim::Time next = m_device->NextTimer();
  if (next == tunnelsim::kNever) return; // a pending event fires once and finds nothing due
  const Time now = Simulator::Now();
  const Time at = std::max(now, NanoSeconds(next.count()));
  if (m_timerPending && m_timerAt <= at) return;
  Simulator::Cancel(m_timer);
  m_timer = Simulator::Schedule(at - now, &WireGuardApplication::OnTimer, this);
  m_timerAt = at;
  m_timerPending = true;
}

void WireGuardApplication::SendDatagram(const wg::Endpoint &to, Ptr<Packet> datagram) {
  Ptr<Socket> socket = to.address.IsV4() ? m_socket4 : m_socket6;
  if (!socket) {
    m_drop(to.address.IsV4() ? "no_ipv4_socket" : "no_ipv6_socket", PeerAt(to));
    return;
  }
  if (!m_txTrace.IsEmpty() && IsTransportData(datagram)) m_txTrace(datagram, PeerAt(to));
  m_outerTx(datagram);
  // One peer's datagrams go to one endpoint: build its socket address once, not per datagram.
  if (!m_lastDestination || !(*m_lastDestination == to)) {
    m_lastDestinationAddress = ToSocketAddress(to.address, to.port);
    m_lastDestination = to;
  }
  socket->SendTo(datagram, 0, m_lastDestinationAddress);
}

void WireGuardApplication::Deliver(Ptr<Packet> packet, const wg::Endpoint *from) {
  if (!m_rxTrace.IsEmpty()) m_rxTrace(packet, from ? PeerAt(*from) : std::string());
  if (m_tunnel) m_tunnel->Receive(packet);
}

std::string WireGuardApplication::PeerAt(const wg::Endpoint &endpoint) const {
  if (!m_device) return {};
  for (const wg::Peer *peer : m_device->Peers()) {
    if (peer->endpoint() && *peer->endpoint() == endpoint) return KeyToString(peer->publicKey());
  }
  return {};
}

void WireGuardApplication::OnEvent(const wg::Event &event) {
  const std::string peer = event.peer ? KeyToString(*event.peer) : std::string();
  switch (event.type) {
  case wg::EventType::HandshakeInitiationSent:
    m_handshakeInitiated(peer);
    break;
  case wg::EventType::HandshakeInitiationReceived:
    m_handshakeInitiationReceived(peer);
    break;
  case wg::EventType::HandshakeResponseSent:
    m_handshakeResponseSent(peer);
    break;
  case wg::EventType::HandshakeResponseReceived:
    m_handshakeResponseReceived(peer);
    break;
  case wg::EventType::HandshakeCompleted:
    m_handshakeCompleted(peer);
    if (event.peer && m_sessionsPerPeer[*event.peer]++ > 0) m_rekey(peer);
    break;
  case wg::EventType::SessionConfirmed:
    m_sessionConfirmed(peer);
    break;
  case wg::EventType::HandshakeGaveUp:
    m_handshakeGaveUp(peer);
    break;
  case wg::EventType::CookieReplySent:
    m_cookieSent(peer);
    break;
  case wg::EventType::CookieReplyReceived:
    m_cookieReceived(peer);
    break;
  case wg::EventType::KeepaliveSent:
    m_keepaliveSent(peer);
    break;
  case wg::EventType::KeepaliveReceived:
    m_keepaliveReceived(peer);
    break;
  case wg::EventType::KeysZeroed:
    m_keysZeroed(peer);
    break;
  case wg::EventType::EndpointChanged:
    m_endpointChanged(peer, event.endpoint ? event.endpoint->ToString() : std::string());
    break;
  case wg::EventType::PacketDropped:
    m_drop(wg::DropReasonName(event.dropReason), peer);
    break;
  case wg::EventType::KeyLog:
    if (m_keyLog && event.keyLog) m_keyLog->Append(wg::FormatWiresharkKeyLog(*event.keyLog));
    break;
  }
}

} // namespace ns3
