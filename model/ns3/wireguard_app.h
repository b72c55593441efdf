// WireGuard as an ns-3 application: it owns the node's wg0-like TunnelNetDevice and a UDP
// socket, and drives the sans-IO tunnelsim::wireguard::Device with simulation time. Packets
// the node's stack routes into the tunnel interface are encrypted and leave as UDP datagrams;
// datagrams from peers are decrypted and re-enter the stack through the interface.
//
// Every protocol constant is an attribute (read when the application starts) and every
// protocol event is a trace source. Peers are keyed by their base64 public key in traces.
#pragma once

#include "crypto_cpu_model.h"
#include "key_log_writer.h"
#include "tunnel_gateway_policy.h"
#include "tunnel_net_device.h"

#include "tunnel/spec.h"
#include "wireguard/device.h"

#include "ns3/address.h"
#include "ns3/application.h"
#include "ns3/event-id.h"
#include "ns3/nstime.h"
#include "ns3/socket.h"
#include "ns3/traced-callback.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace ns3 {

class WireGuardApplication : public Application {
public:
  static TypeId GetTypeId();
  WireGuardApplication();
  ~WireGuardApplication() override;

  // Configuration; everything but AddPeer must happen before the application starts.
  void SetPrivateKey(const tunnelsim::crypto::X25519PrivateKey &key);
  // Takes key, listen port, MTU and peers from a parsed wg-quick configuration (the
  // attributes still set the protocol constants). A nonzero ListenPort in `config` overrides
  // the ListenPort attribute.
  void SetConfig(const tunnelsim::wireguard::DeviceConfig &config);
  // Takes the interface settings and timer constants of a scenario's tunnel.wireguard table
  // (listen port, MTU, rekey/reject/attempt/keepalive times, REKEY_AFTER_MESSAGES, under-load
  // threshold), overriding the attributes of the same meaning. Before SetTunnelDevice, which
  // gives the interface its MTU.
  void ApplySpec(const tunnelsim::tunnel::WireGuardSpec &spec);
  // MSS clamping and PMTU discovery at this gateway (tunnel.clamp_mss, tunnel.pmtu_discovery),
  // against the interface's MTU as the application starts with it. Before start.
  void SetGatewaySpec(const tunnelsim::tunnel::GatewaySpec &spec) { m_gatewaySpec = spec; }
  TunnelGatewayCounters GetGatewayCounters() const { return m_gatewayPolicy.Counters(); }
  // Before start: kept for the device; after start: added to the running device (as `wg set`).
  void AddPeer(const tunnelsim::wireguard::PeerConfig &peer);
  void SetTunnelDevice(Ptr<TunnelNetDevice> device);

  Ptr<TunnelNetDevice> GetTunnelDevice() const { return m_tunnel; }
  const tunnelsim::crypto::X25519PublicKey &GetPublicKey() const { return m_publicKey; }
  uint16_t GetListenPort() const;
  // The protocol core; null before the application starts.
  const tunnelsim::wireguard::Device *GetDevice() const { return m_device.get(); }
  const tunnelsim::wireguard::DeviceCounters &GetCounters() const;
  // The peer's current endpoint as the device knows it (after roaming, the new one).
  std::optional<tunnelsim::wireguard::Endpoint>
  GetPeerEndpoint(const tunnelsim::crypto::X25519PublicKey &peer) const;
  // Peers configured so far (before start: the pending list).
  const std::vector<tunnelsim::wireguard::PeerConfig> &GetConfiguredPeers() const {
    return m_config.peers;
  }

  static std::string KeyToString(const tunnelsim::crypto::X25519PublicKey &key);

  // Trace signatures.
  typedef void (*PeerTracedCallback)(const std::string &peer);
  typedef void (*DropTracedCallback)(const std::string &reason, const std::string &peer);
  typedef void (*EndpointTracedCallback)(const std::string &peer, const std::string &endpoint);
  typedef void (*PeerPacketTracedCallback)(Ptr<const Packet> packet, const std::string &peer);

private:
  class Observer;
  friend class Observer;

  void StartApplication() override;
  void StopApplication() override;
  void DoDispose() override;

  tunnelsim::Time Now() const;
  Ptr<Socket> OpenSocket(bool ipv6);
  bool FromTunnel(Ptr<Packet> packet, uint16_t protocol);
  void FromSocket(Ptr<Socket> socket);
  void OnTimer();
  // Runs `call` with cleared Actions from m_actionsStack, then Execute on them.
  template <typename Call>
  void WithActions(const std::optional<tunnelsim::wireguard::Endpoint> &from, Call &&call);
  std::vector<uint8_t> TakeSpareBuffer();
  void KeepSpareBuffer(std::vector<uint8_t> buffer);
  // Carries out `actions`: sends datagrams, delivers packets (through the CPU model when one
  // is set) and re-arms the timer. `from` is the datagram source for received traffic.
  void Execute(tunnelsim::wireguard::Actions &actions,
               const std::optional<tunnelsim::wireguard::Endpoint> &from);
  void SendDatagram(const tunnelsim::wireguard::Endpoint &to, Ptr<Packet> datagram);
  void Deliver(Ptr<Packet> packet, const tunnelsim::wireguard::Endpoint *from);
  void OnEvent(const tunnelsim::wireguard::Event &event);
  std::string PeerAt(const tunnelsim::wireguard::Endpoint &endpoint) const;

  // Attributes.
  uint16_t m_listenPort = 0; // attributes: defaults from tunnel::WireGuardSpec
  uint16_t m_mtu = 0;
  tunnelsim::wireguard::Constants m_constants;
  Time m_rekeyAfterTime, m_rejectAfterTime, m_rekeyAttemptTime, m_rekeyTimeout, m_keepaliveTimeout,
      m_rekeyJitter, m_cookieSecretMaxAge, m_underLoadHold, m_minInitiationInterval,
      m_wallClockOffset;
  uint64_t m_rekeyAfterMessages = 0, m_rejectAfterMessages = 0;
  uint32_t m_underLoadThreshold = 0, m_ratelimitRate = 0, m_ratelimitBurst = 0;
  uint32_t m_maxStaged = 0;
  uint64_t m_replayWindow = 0;
  uint64_t m_randomStream = 0;
  std::string m_keyLogPath;
  Ptr<CryptoCpuModel> m_cpu;
  tunnelsim::tunnel::GatewaySpec m_gatewaySpec;
  TunnelGatewayPolicy m_gatewayPolicy;

  tunnelsim::wireguard::DeviceConfig m_config;
  tunnelsim::crypto::X25519PublicKey m_publicKey{};
  bool m_haveKey = false;
  bool m_configListenPort = false;
  std::unique_ptr<tunnelsim::crypto::RandomSource> m_rng;
  std::unique_ptr<Observer> m_observer;
  std::unique_ptr<tunnelsim::wireguard::Device> m_device;
  std::unique_ptr<KeyLogWriter> m_keyLog;
  Ptr<TunnelNetDevice> m_tunnel;
  Ptr<Socket> m_socket4, m_socket6;
  EventId m_timer;
  // Whether m_timer is scheduled and not yet fired or cancelled, and for when (see Execute).
  bool m_timerPending = false;
  Time m_timerAt;
  // The last datagram source and destination with their ns-3 socket addresses, so a flow's
  // packets skip converting between the two forms.
  Address m_lastSourceAddress;
  std::optional<tunnelsim::wireguard::Endpoint> m_lastSource;
  Address m_lastDestinationAddress;
  std::optional<tunnelsim::wireguard::Endpoint> m_lastDestination;
  std::map<tunnelsim::crypto::X25519PublicKey, uint64_t> m_sessionsPerPeer;
  std::vector<uint8_t> m_buffer;
  // Per-packet storage kept between packets (a bulk flow would otherwise allocate and free a
  // 1.5 kB buffer and the Actions' vectors for every packet): inner packets' buffers, whose
  // capacity is reused for the next packet taken from the tunnel, and one Actions per level
  // of re-entry (delivering a packet can bring the next one back into the tunnel at once).
  std::vector<std::vector<uint8_t>> m_spareBuffers;
  std::vector<std::unique_ptr<tunnelsim::wireguard::Actions>> m_actionsStack;
  size_t m_actionsInUse = 0;

  TracedCallback<const std::string &> m_handshakeInitiated, m_handshakeInitiationReceived,
      m_handshakeResponseSent, m_handshakeResponseReceived, m_handshakeCompleted,
      m_sessionConfirmed, m_rekey, m_handshakeGaveUp, m_cookieSent, m_cookieReceived,
      m_keepaliveSent, m_keepaliveReceived, m_keysZeroed;
  TracedCallback<const std::string &, const std::string &> m_drop, m_endpointChanged;
  TracedCallback<Ptr<const Packet>, const std::string &> m_txTrace, m_rxTrace;
  TracedCallback<Ptr<const Packet>> m_outerTx, m_outerRx;
};

} // namespace ns3
