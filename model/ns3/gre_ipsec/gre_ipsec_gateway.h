// One end of a site-to-site tunnel between two gateways, as an ns-3 application: a thin host of
// the sans-IO tunnel::GreIpsecGateway (model/tunnel/gre_ipsec_gateway.h), which composes the GRE,
// ESP and IKEv2 cores, driven with simulation time. The application owns a gre1-like
// TunnelNetDevice that the node's stack routes the remote site into, hands the core inner
// packets from it and outer packets from the node (ESP and GRE through OuterIpProtocol, IKE
// through a UDP socket on port 500), and carries out the core's actions: outer packets sent with
// Ipv4::Send or the socket, inner packets handed to the stack, traces, key log lines and the IKE
// timer. The three modes are the core's:
//
// - GreOverIpsec: inner IP packet -> GRE (key, seq, csum) -> ESP in transport mode between the
//   gateways' WAN addresses (outer IP protocol 50, next header 47). Unprotected GRE arriving at
//   such a gateway is dropped, as an IPsec policy requiring ESP for GRE would.
// - IpsecTunnel: ESP tunnel mode (next header 4/41) carrying the inner packet; the device plays
//   the part of a Linux VTI/xfrm interface. Traffic selectors are the two site subnets.
// - Gre: plain GRE (outer IP protocol 47), no IPsec.
//
// Every protocol knob is an attribute (read when the application starts) and SA events and
// drops by reason are trace sources. An optional CryptoCpuModel delays each ESP packet by its
// crypto cost after the sequence number is assigned (outbound) or the ICV checked (inbound);
// with parallel workers that do not restore order, packets leave and arrive out of sequence.
#pragma once

#include "ns3/crypto_cpu_model.h"
#include "ns3/key_log_writer.h"
#include "ns3/tunnel_gateway_policy.h"
#include "ns3/tunnel_net_device.h"

#include "gre/gre_tunnel.h"
#include "ipsec/esp_sad.h"
#include "ipsec/ike_sa.h"
#include "tunnel/gre_ipsec_gateway.h"
#include "tunnel/spec.h"

#include "ns3/application.h"
#include "ns3/event-id.h"
#include "ns3/ipv4-address.h"
#include "ns3/ipv4-header.h"
#include "ns3/socket.h"
#include "ns3/traced-callback.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ns3 {

class OuterIpProtocol;
class SharedIkeSocket;

class GreIpsecGateway : public Application {
public:
  enum Mode { GRE_OVER_IPSEC, IPSEC_TUNNEL, GRE };
  enum Cipher { AES_256_GCM_16, CHACHA20_POLY1305 };
  enum RekeyMode { MAKE_BEFORE_BREAK, BREAK_BEFORE_MAKE };

  static constexpr uint8_t kEspProtocol = 50;
  static constexpr uint8_t kGreProtocol = 47;

  static TypeId GetTypeId();
  GreIpsecGateway();
  ~GreIpsecGateway() override;

  // Takes the mode and the GRE and IPsec settings of a scenario's tunnel spec (replay window,
  // ciphers, Child and IKE SA lifetimes and rekeying, dead peer detection, IKE retransmission,
  // GRE options, interface MTU),
  // overriding the attributes of the same meaning. Before the application starts. Aborts for a
  // spec that is not GRE and/or IPsec.
  void ApplySpec(const tunnelsim::tunnel::TunnelSpec &spec);
  // MSS clamping and PMTU discovery counters (the spec's GatewaySpec, read by ApplySpec).
  TunnelGatewayCounters GetGatewayCounters() const { return m_gatewayPolicy.Counters(); }
  void SetTunnelDevice(Ptr<TunnelNetDevice> device);
  Ptr<TunnelNetDevice> GetTunnelDevice() const { return m_tunnel; }

  Mode GetMode() const { return m_mode; }
  bool UsesIpsec() const { return m_mode != GRE; }
  Ipv4Address GetLocalAddress() const { return m_localAddress; }
  Ipv4Address GetRemoteAddress() const { return m_remoteAddress; }
  // The UDP socket this gateway's IKE messages go through once started: its own, or the node's
  // shared one (SharedIkeSocket attribute); null before the start and without IPsec.
  Ptr<Socket> GetIkeSocket() const;

  // The largest inner packet that leaves as one outer packet no larger than `outerMtu`, for
  // this mode and the GRE options (ESP: padding to 4 bytes, 8-byte IV, 16-byte ICV).
  uint16_t TunnelMtuFor(uint16_t outerMtu) const;
  // Bytes a packet of `innerSize` bytes gains on its way out (outer IPv4 header included).
  uint32_t Overhead(uint32_t innerSize) const;

  // State and counters (empty/zero before the application starts).
  const tunnelsim::ipsec::IkeSa *GetIkeSa() const;
  const tunnelsim::ipsec::EspSad &GetSad() const;
  tunnelsim::ipsec::EspCounters GetEspInboundCounters() const { return GetSad().inboundTotals(); }
  tunnelsim::ipsec::EspCounters GetEspOutboundCounters() const { return GetSad().outboundTotals(); }
  const tunnelsim::gre::GreCounters &GetGreCounters() const;
  // Every drop this gateway reported on the Drop trace, by reason.
  const std::map<std::string, uint64_t> &GetDropCounts() const { return m_dropCounts; }
  uint64_t GetDropCount(const std::string &reason) const;
  // The esp_sa UAT lines of every SA installed so far (also written to EspKeyFile).
  const std::vector<std::string> &GetEspSaLines() const { return m_espSaLines; }
  // The ikev2_decryption_table line of the IKE SA once established (also to IkeKeyFile).
  const std::string &GetIkeLine() const { return m_ikeLine; }

  // Operator actions (like `swanctl --rekey`/`--terminate`); ignored without an IKE SA.
  void RekeyChildSa();
  void DeleteIkeSa();

  // Trace signatures.
  typedef void (*SaTracedCallback)(uint32_t spi, bool inbound);
  typedef void (*RekeyTracedCallback)(uint32_t oldInboundSpi);
  typedef void (*IkeEventTracedCallback)(const std::string &event, uint32_t spi,
                                         const std::string &detail);
  typedef void (*DropTracedCallback)(const std::string &reason, Ptr<const Packet> packet);

private:
  void StartApplication() override;
  void StopApplication() override;
  void DoDispose() override;

  tunnelsim::Time Now() const;
  tunnelsim::ipsec::IkeConfig MakeIkeConfig() const;
  tunnelsim::gre::GreConfig MakeGreConfig() const;

  // Data path.
  bool FromTunnel(Ptr<Packet> packet, uint16_t protocol);
  void FromEsp(Ptr<Packet> packet, const Ipv4Header &header);
  void FromGre(Ptr<Packet> packet, const Ipv4Header &header);
  void SendOuter(uint8_t protocol, Ptr<Packet> payload);
  void Deliver(const uint8_t *data, size_t size);
  void Drop(const std::string &reason, Ptr<const Packet> packet);

  // Control path.
  void FromIkeSocket(Ptr<Socket> socket);
  void FromIkeDatagram(Ptr<Packet> packet);
  void OnIkeTimer();
  // Carries out the core's actions in order; `packet` (inner or outer) is the Drop trace's.
  void Carry(tunnelsim::tunnel::GreIpsecOutput &out, Ptr<const Packet> packet);
  void SendFromCore(tunnelsim::tunnel::SendOuter &send);
  void OnIkeEvent(const tunnelsim::ipsec::IkeEvent &event);
  void ExportKeys(const tunnelsim::ipsec::EspSaConfig &config);

  // Attributes.
  Mode m_mode = GRE_OVER_IPSEC;
  Ipv4Address m_localAddress, m_remoteAddress;
  std::string m_localSubnet, m_remoteSubnet;
  bool m_initiator = true;
  std::string m_psk, m_localId, m_remoteId;
  Cipher m_espCipher = AES_256_GCM_16, m_ikeCipher = AES_256_GCM_16;
  uint32_t m_replayWindow = 0; // defaults of the attributes that mirror a scenario key: the
                               // tunnel::GreSpec / IpsecSpec ones
  bool m_esn = false;
  bool m_randomIv = false;
  Time m_softLifetime, m_hardLifetime;
  double m_lifetimeJitter = 0;
  uint64_t m_softBytes = 0, m_hardBytes = 0, m_softPackets = 0, m_hardPackets = 0;
  RekeyMode m_rekeyMode = MAKE_BEFORE_BREAK;
  Time m_rekeyOverlap, m_rekeyRetryDelay;
  bool m_pfs = false;
  Time m_ikeRekeyTime, m_dpdDelay;
  double m_ikeRekeyJitter = 0;
  Time m_ikeTimeout, m_ikeMaxTimeout;
  double m_ikeBackoff = 2.0;
  uint32_t m_ikeMaxRetransmits = 0;
  uint16_t m_ikePort = 500;
  bool m_useSharedIkeSocket = false;
  int64_t m_greKey = -1;
  bool m_greSequence = false, m_greInSequence = false, m_greChecksum = false;
  uint16_t m_mtu = 0;
  Ptr<CryptoCpuModel> m_cpu;
  std::string m_espKeyFile, m_ikeKeyFile;
  uint64_t m_randomStream = 0;

  Ptr<TunnelNetDevice> m_tunnel;
  Ptr<OuterIpProtocol> m_espProtocol, m_greProtocol;
  Ptr<Socket> m_ikeSocket;          // own socket (default)
  Ptr<SharedIkeSocket> m_sharedIke; // or the node's shared one
  EventId m_ikeTimer;
  std::unique_ptr<tunnelsim::tunnel::GreIpsecGateway> m_core; // from StartApplication on
  std::unique_ptr<KeyLogWriter> m_espKeyLog, m_ikeKeyLog;
  std::vector<std::string> m_espSaLines;
  std::string m_ikeLine;
  std::map<std::string, uint64_t> m_dropCounts;
  std::vector<uint8_t> m_buffer; // the packet being handed to the core
  tunnelsim::tunnel::GatewaySpec m_gatewaySpec;
  TunnelGatewayPolicy m_gatewayPolicy;

  TracedCallback<uint32_t, bool> m_saInstalled, m_saDeleted;
  TracedCallback<uint32_t> m_saRekeyed;
  TracedCallback<const std::string &, uint32_t, const std::string &> m_ikeEvent;
  TracedCallback<const std::string &, Ptr<const Packet>> m_drop;
  TracedCallback<Ptr<const Packet>> m_innerTx, m_innerRx, m_outerTx, m_outerRx;
};

} // namespace ns3
