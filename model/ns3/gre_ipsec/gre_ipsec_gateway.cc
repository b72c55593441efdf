#include "gre_ipsec_gateway.h"

#include "outer_ip_protocol.h"
#include "shared_ike_socket.h"

#include "ns3/tunnel_address.h"

#include "common/seed_mix.h"
#include "ipsec/ike_config_from_spec.h"
#include "ipsec/key_export.h"

#include "ns3/abort.h"
#include "ns3/boolean.h"
#include "ns3/double.h"
#include "ns3/enum.h"
#include "ns3/inet-socket-address.h"
#include "ns3/integer.h"
#include "ns3/ipv4-routing-protocol.h"
#include "ns3/ipv4.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/pointer.h"
#include "ns3/rng-seed-manager.h"
#include "ns3/simulator.h"
#include "ns3/string.h"
#include "ns3/trace-source-accessor.h"
#include "ns3/udp-socket-factory.h"
#include "ns3/uinteger.h"

#include <memory>
#include <optional>
#include <variant>

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("GreIpsecGateway");
NS_OBJECT_ENSURE_REGISTERED(GreIpsecGateway);

namespace ipsec = tunnelsim::ipsec;
namespace gre = tunnelsim::gre;
namespace crypto = tunnelsim::crypto;

namespace {

constexpr uint32_t kOuterIpv4Header = 20;

tunnelsim::Duration FromNs3(Time t) { return tunnelsim::Duration(t.GetNanoSeconds()); }

// The gateway's random stream (IKE SPIs, nonces, X25519 keys, lifetime jitter) follows the
// simulation's seed and run, the node and the RandomStream attribute, so a run is repeatable.
uint64_t GatewaySeed(uint32_t nodeId, uint64_t stream) {
  // The constant ("gre-ipse") keeps this stream apart from WireGuard's for the same node.
  return tunnelsim::FoldSeed(RngSeedManager::GetSeed() ^ 0x6772652d69707365ULL,
                             RngSeedManager::GetRun(), nodeId, stream);
}

namespace spec = tunnelsim::tunnel;

// The attributes that mirror a scenario key default to the scenario's default.
const spec::GreSpec kGreDefaults;
const spec::IpsecSpec kIpsecDefaults;

GreIpsecGateway::Cipher CipherOf(spec::Aead aead) {
  return aead == spec::Aead::kChacha20Poly1305 ? GreIpsecGateway::CHACHA20_POLY1305
                                               : GreIpsecGateway::AES_256_GCM_16;
}

GreIpsecGateway::RekeyMode RekeyModeOf(spec::RekeyMode mode) {
  return mode == spec::RekeyMode::kBreakBeforeMake ? GreIpsecGateway::BREAK_BEFORE_MAKE
                                                   : GreIpsecGateway::MAKE_BEFORE_BREAK;
}

ipsec::EspCipher ToCore(GreIpsecGateway::Cipher c) {
  return c == GreIpsecGateway::CHACHA20_POLY1305 ? ipsec::EspCipher::ChaCha20Poly1305
                                                 : ipsec::EspCipher::Aes256Gcm16;
}

const char *IkeEventName(ipsec::IkeEventType type) {
  switch (type) {
  case ipsec::IkeEventType::Established:
    return "established";
  case ipsec::IkeEventType::AuthenticationFailed:
    return "authentication-failed";
  case ipsec::IkeEventType::NoProposalChosen:
    return "no-proposal-chosen";
  case ipsec::IkeEventType::ChildSaCreated:
    return "child-sa-created";
  case ipsec::IkeEventType::ChildSaRekeyed:
    return "child-sa-rekeyed";
  case ipsec::IkeEventType::ChildSaDeleted:
    return "child-sa-deleted";
  case ipsec::IkeEventType::IkeSaDeleted:
    return "ike-sa-deleted";
  case ipsec::IkeEventType::IkeSaRekeyed:
    return "ike-sa-rekeyed";
  case ipsec::IkeEventType::Timeout:
    return "timeout";
  }
  return "unknown";
}

tunnelsim::IpPrefix ParseSubnetOrAbort(const std::string &text, const char *attribute) {
  const std::optional<tunnelsim::IpPrefix> prefix = tunnelsim::IpPrefix::Parse(text);
  NS_ABORT_MSG_IF(!prefix,
                  "GreIpsecGateway: " << attribute << " is not an IP prefix: \"" << text << "\"");
  return *prefix;
}

} // namespace

TypeId GreIpsecGateway::GetTypeId() {
  static TypeId tid =
      TypeId("ns3::GreIpsecGateway")
          .SetParent<Application>()
          .SetGroupName("Tunnelsim")
          .AddConstructor<GreIpsecGateway>()
          .AddAttribute("Mode", "GRE over IPsec (ESP transport mode), IPsec tunnel mode, or GRE",
                        EnumValue(GRE_OVER_IPSEC), MakeEnumAccessor(&GreIpsecGateway::m_mode),
                        MakeEnumChecker(GRE_OVER_IPSEC, "GreOverIpsec", IPSEC_TUNNEL, "IpsecTunnel",
                                        GRE, "Gre"))
          .AddAttribute("LocalAddress", "This gateway's WAN (outer) address",
                        Ipv4AddressValue(Ipv4Address::GetAny()),
                        MakeIpv4AddressAccessor(&GreIpsecGateway::m_localAddress),
                        MakeIpv4AddressChecker())
          .AddAttribute("RemoteAddress", "The peer gateway's WAN (outer) address",
                        Ipv4AddressValue(Ipv4Address::GetAny()),
                        MakeIpv4AddressAccessor(&GreIpsecGateway::m_remoteAddress),
                        MakeIpv4AddressChecker())
          .AddAttribute("LocalSubnet", "IPsec tunnel mode: traffic selector of this site",
                        StringValue("0.0.0.0/0"),
                        MakeStringAccessor(&GreIpsecGateway::m_localSubnet), MakeStringChecker())
          .AddAttribute("RemoteSubnet", "IPsec tunnel mode: traffic selector of the far site",
                        StringValue("0.0.0.0/0"),
                        MakeStringAccessor(&GreIpsecGateway::m_remoteSubnet), MakeStringChecker())
          .AddAttribute("Initiator", "This gateway starts IKE_SA_INIT (the peer responds)",
                        BooleanValue(true), MakeBooleanAccessor(&GreIpsecGateway::m_initiator),
                        MakeBooleanChecker())
          .AddAttribute("PreSharedKey", "IKEv2 pre-shared key", StringValue("tunnelsim-psk"),
                        MakeStringAccessor(&GreIpsecGateway::m_psk), MakeStringChecker())
          .AddAttribute("LocalId", "IKEv2 identity (FQDN) of this gateway", StringValue("gw-local"),
                        MakeStringAccessor(&GreIpsecGateway::m_localId), MakeStringChecker())
          .AddAttribute("RemoteId", "IKEv2 identity (FQDN) expected from the peer",
                        StringValue("gw-remote"), MakeStringAccessor(&GreIpsecGateway::m_remoteId),
                        MakeStringChecker())
          .AddAttribute(
              "EspCipher", "AEAD of the Child SAs (ESP)",
              EnumValue(CipherOf(kIpsecDefaults.encryption)),
              MakeEnumAccessor(&GreIpsecGateway::m_espCipher),
              MakeEnumChecker(AES_256_GCM_16, "Aes256Gcm16", CHACHA20_POLY1305, "ChaCha20Poly1305"))
          .AddAttribute(
              "IkeCipher", "AEAD of the IKE SA's SK payloads",
              EnumValue(CipherOf(kIpsecDefaults.ikeEncryption)),
              MakeEnumAccessor(&GreIpsecGateway::m_ikeCipher),
              MakeEnumChecker(AES_256_GCM_16, "Aes256Gcm16", CHACHA20_POLY1305, "ChaCha20Poly1305"))
          .AddAttribute("ReplayWindow", "ESP anti-replay window in packets (0: anti-replay off)",
                        UintegerValue(kIpsecDefaults.replayWindow),
                        MakeUintegerAccessor(&GreIpsecGateway::m_replayWindow),
                        MakeUintegerChecker<uint32_t>(spec::IpsecSpec::kReplayWindowRange.min,
                                                      spec::IpsecSpec::kReplayWindowRange.max))
          .AddAttribute("Esn", "Negotiate 64-bit Extended Sequence Numbers (RFC 4304)",
                        BooleanValue(kIpsecDefaults.esn),
                        MakeBooleanAccessor(&GreIpsecGateway::m_esn), MakeBooleanChecker())
          .AddAttribute("RandomIv", "Random ESP IVs instead of the sequence-number counter",
                        BooleanValue(false), MakeBooleanAccessor(&GreIpsecGateway::m_randomIv),
                        MakeBooleanChecker())
          .AddAttribute("SoftLifetime", "Child SA age that triggers a rekey (0: none)",
                        TimeValue(Seconds(0)), MakeTimeAccessor(&GreIpsecGateway::m_softLifetime),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("HardLifetime", "Child SA age at which it is deleted (0: none)",
                        TimeValue(Seconds(0)), MakeTimeAccessor(&GreIpsecGateway::m_hardLifetime),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("LifetimeJitter",
                        "The soft lifetime is shortened by a random fraction up to this",
                        DoubleValue(0.0), MakeDoubleAccessor(&GreIpsecGateway::m_lifetimeJitter),
                        MakeDoubleChecker<double>(0.0, 1.0))
          .AddAttribute("SoftLifetimeBytes", "Bytes through a Child SA that trigger a rekey",
                        UintegerValue(0), MakeUintegerAccessor(&GreIpsecGateway::m_softBytes),
                        MakeUintegerChecker<uint64_t>())
          .AddAttribute("HardLifetimeBytes", "Bytes after which a Child SA is unusable",
                        UintegerValue(0), MakeUintegerAccessor(&GreIpsecGateway::m_hardBytes),
                        MakeUintegerChecker<uint64_t>())
          .AddAttribute("SoftLifetimePackets", "Packets through a Child SA that trigger a rekey",
                        UintegerValue(0), MakeUintegerAccessor(&GreIpsecGateway::m_softPackets),
                        MakeUintegerChecker<uint64_t>())
          .AddAttribute("HardLifetimePackets", "Packets after which a Child SA is unusable",
                        UintegerValue(0), MakeUintegerAccessor(&GreIpsecGateway::m_hardPackets),
                        MakeUintegerChecker<uint64_t>())
          .AddAttribute("RekeyMode", "Child SA rekeying: make-before-break or break-before-make",
                        EnumValue(RekeyModeOf(kIpsecDefaults.rekeyMode)),
                        MakeEnumAccessor(&GreIpsecGateway::m_rekeyMode),
                        MakeEnumChecker(MAKE_BEFORE_BREAK, "MakeBeforeBreak", BREAK_BEFORE_MAKE,
                                        "BreakBeforeMake"))
          .AddAttribute("RekeyOverlap",
                        "Make-before-break: how long the old SAs stay after the new ones",
                        TimeValue(Seconds(2)), MakeTimeAccessor(&GreIpsecGateway::m_rekeyOverlap),
                        MakeTimeChecker(Time(0)))
          .AddAttribute(
              "RekeyRetryDelay", "Retry delay after a rekey collision", TimeValue(Seconds(1)),
              MakeTimeAccessor(&GreIpsecGateway::m_rekeyRetryDelay), MakeTimeChecker(Time(0)))
          .AddAttribute("Pfs", "A fresh X25519 exchange in every CREATE_CHILD_SA",
                        BooleanValue(false), MakeBooleanAccessor(&GreIpsecGateway::m_pfs),
                        MakeBooleanChecker())
          .AddAttribute("IkeRekeyTime",
                        "IKE SA age at which this gateway starts an IKE SA rekey (0: never)",
                        TimeValue(Seconds(0)), MakeTimeAccessor(&GreIpsecGateway::m_ikeRekeyTime),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("IkeRekeyJitter",
                        "The IKE SA rekey time is shortened by a random fraction up to this",
                        DoubleValue(0.0), MakeDoubleAccessor(&GreIpsecGateway::m_ikeRekeyJitter),
                        MakeDoubleChecker<double>(0.0, 1.0))
          .AddAttribute("DpdDelay",
                        "Dead peer detection: a liveness check after this long without an IKE "
                        "message or ESP packet from the peer (0: none)",
                        TimeValue(Seconds(0)), MakeTimeAccessor(&GreIpsecGateway::m_dpdDelay),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("IkeRetransmitTimeout", "First IKE retransmission timeout",
                        TimeValue(Seconds(1)), MakeTimeAccessor(&GreIpsecGateway::m_ikeTimeout),
                        MakeTimeChecker(MilliSeconds(1)))
          .AddAttribute("IkeRetransmitBackoff", "Factor between IKE retransmission timeouts",
                        DoubleValue(2.0), MakeDoubleAccessor(&GreIpsecGateway::m_ikeBackoff),
                        MakeDoubleChecker<double>(1.0))
          .AddAttribute("IkeMaxRetransmitTimeout", "Cap of the IKE retransmission timeout",
                        TimeValue(Seconds(60)), MakeTimeAccessor(&GreIpsecGateway::m_ikeMaxTimeout),
                        MakeTimeChecker(MilliSeconds(1)))
          .AddAttribute("IkeMaxRetransmits", "Retransmissions before the IKE SA gives up",
                        UintegerValue(kIpsecDefaults.retransmitTries),
                        MakeUintegerAccessor(&GreIpsecGateway::m_ikeMaxRetransmits),
                        MakeUintegerChecker<uint32_t>())
          .AddAttribute("IkePort", "UDP port of IKE on both gateways", UintegerValue(500),
                        MakeUintegerAccessor(&GreIpsecGateway::m_ikePort),
                        MakeUintegerChecker<uint16_t>(1))
          .AddAttribute("SharedIkeSocket",
                        "Send and receive IKE through the node's one UDP socket on IkePort, shared "
                        "by every gateway of the node that sets this (SharedIkeSocket: a hub with "
                        "a gateway per spoke, as charon has one socket for all peers) instead of "
                        "a socket of its own bound to LocalAddress",
                        BooleanValue(false),
                        MakeBooleanAccessor(&GreIpsecGateway::m_useSharedIkeSocket),
                        MakeBooleanChecker())
          .AddAttribute(
              "GreKey", "GRE key in both directions (ip link ... key N); -1: none",
              IntegerValue(kGreDefaults.key ? static_cast<int64_t>(*kGreDefaults.key) : -1),
              MakeIntegerAccessor(&GreIpsecGateway::m_greKey),
              MakeIntegerChecker<int64_t>(-1, 0xFFFFFFFFLL))
          .AddAttribute("GreSequence", "Send GRE sequence numbers (oseq)",
                        BooleanValue(kGreDefaults.sequence),
                        MakeBooleanAccessor(&GreIpsecGateway::m_greSequence), MakeBooleanChecker())
          .AddAttribute("GreInSequence",
                        "Require GRE sequence numbers and drop out-of-sequence packets (iseq)",
                        BooleanValue(kGreDefaults.sequence),
                        MakeBooleanAccessor(&GreIpsecGateway::m_greInSequence),
                        MakeBooleanChecker())
          .AddAttribute("GreChecksum", "GRE checksums sent and required (csum)",
                        BooleanValue(kGreDefaults.checksum),
                        MakeBooleanAccessor(&GreIpsecGateway::m_greChecksum), MakeBooleanChecker())
          .AddAttribute("Mtu",
                        "MTU of the tunnel interface; 0: the largest inner packet that fits the "
                        "WAN interface's MTU after this mode's overhead",
                        UintegerValue(0), MakeUintegerAccessor(&GreIpsecGateway::m_mtu),
                        MakeUintegerChecker<uint16_t>())
          .AddAttribute("CpuModel", "Crypto CPU cost model for ESP (null: crypto takes no time)",
                        PointerValue(nullptr), MakePointerAccessor(&GreIpsecGateway::m_cpu),
                        MakePointerChecker<CryptoCpuModel>())
          .AddAttribute("EspKeyFile",
                        "Path of a Wireshark esp_sa UAT file receiving every installed SA; "
                        "empty: none",
                        StringValue(""), MakeStringAccessor(&GreIpsecGateway::m_espKeyFile),
                        MakeStringChecker())
          .AddAttribute("IkeKeyFile",
                        "Path of a Wireshark ikev2_decryption_table UAT file; empty: none",
                        StringValue(""), MakeStringAccessor(&GreIpsecGateway::m_ikeKeyFile),
                        MakeStringChecker())
          .AddAttribute("RandomStream",
                        "Extra input to the gateway's random stream, which otherwise follows "
                        "the simulation seed, run and node",
                        UintegerValue(0), MakeUintegerAccessor(&GreIpsecGateway::m_randomStream),
                        MakeUintegerChecker<uint64_t>())
          .AddTraceSource("SaInstalled", "An ESP SA was installed: (SPI, inbound)",
                          MakeTraceSourceAccessor(&GreIpsecGateway::m_saInstalled),
                          "ns3::GreIpsecGateway::SaTracedCallback")
          .AddTraceSource("SaDeleted", "An ESP SA was removed: (SPI, inbound)",
                          MakeTraceSourceAccessor(&GreIpsecGateway::m_saDeleted),
                          "ns3::GreIpsecGateway::SaTracedCallback")
          .AddTraceSource("SaRekeyed", "A Child SA was replaced by a new one: (old inbound SPI)",
                          MakeTraceSourceAccessor(&GreIpsecGateway::m_saRekeyed),
                          "ns3::GreIpsecGateway::RekeyTracedCallback")
          .AddTraceSource("IkeEvent", "Every IKE event: (name, inbound SPI or 0, detail)",
                          MakeTraceSourceAccessor(&GreIpsecGateway::m_ikeEvent),
                          "ns3::GreIpsecGateway::IkeEventTracedCallback")
          .AddTraceSource("Drop",
                          "A packet was dropped: (reason, packet). Reasons: replay, "
                          "outside-window, icv-failure, no-sa, malformed, sequence-overflow, "
                          "hard-lifetime, gre-out-of-sequence and the other gre-* checks, "
                          "unprotected-gre, unexpected-next-header, policy-mismatch, "
                          "invalid-inner",
                          MakeTraceSourceAccessor(&GreIpsecGateway::m_drop),
                          "ns3::GreIpsecGateway::DropTracedCallback")
          .AddTraceSource("InnerTx", "An inner packet taken from the tunnel interface",
                          MakeTraceSourceAccessor(&GreIpsecGateway::m_innerTx),
                          "ns3::Packet::TracedCallback")
          .AddTraceSource("InnerRx", "An inner packet delivered to the tunnel interface",
                          MakeTraceSourceAccessor(&GreIpsecGateway::m_innerRx),
                          "ns3::Packet::TracedCallback")
          .AddTraceSource("OuterTx", "An ESP or GRE payload sent (outer IP header excluded)",
                          MakeTraceSourceAccessor(&GreIpsecGateway::m_outerTx),
                          "ns3::Packet::TracedCallback")
          .AddTraceSource("OuterRx", "An ESP or GRE payload received for this tunnel",
                          MakeTraceSourceAccessor(&GreIpsecGateway::m_outerRx),
                          "ns3::Packet::TracedCallback");
  return tid;
}

GreIpsecGateway::GreIpsecGateway() = default;
GreIpsecGateway::~GreIpsecGateway() = default;

void GreIpsecGateway::ApplySpec(const spec::TunnelSpec &tunnel) {
  NS_ABORT_MSG_IF(m_core, "GreIpsecGateway: configure before the application starts");
  const spec::GreSpec *gre = tunnel.Gre();
  const spec::IpsecSpec *ipsec = tunnel.Ipsec();
  NS_ABORT_MSG_IF(!gre && !ipsec, "GreIpsecGateway: tunnel spec " << tunnel.TypeName()
                                                                  << " is neither GRE nor IPsec");
  m_mode = gre && ipsec ? GRE_OVER_IPSEC : ipsec ? IPSEC_TUNNEL : GRE;
  if (gre) {
    m_greKey = gre->key ? static_cast<int64_t>(*gre->key) : -1;
    // `sequence` is oseq and iseq together (ip link ... seq): numbered and checked.
    m_greSequence = gre->sequence;
    m_greInSequence = gre->sequence;
    m_greChecksum = gre->checksum;
  }
  if (ipsec) {
    // The translation every host shares (ipsec/ike_config_from_spec.h), read back into the
    // attributes that mirror it (MakeIkeConfig builds the core's config from those).
    ipsec::IkeConfig ike;
    ike.lifetime.softBytes = m_softBytes;
    ike.lifetime.hardBytes = m_hardBytes;
    ipsec::ApplyIpsecSpec(*ipsec, ike);
    m_replayWindow = ike.replayWindow;
    m_esn = ike.esn;
    m_espCipher = CipherOf(ipsec->encryption);
    m_ikeCipher = CipherOf(ipsec->ikeEncryption);
    m_hardLifetime = NanoSeconds(ike.lifetime.hardTime.count());
    m_softLifetime = NanoSeconds(ike.lifetime.softTime.count());
    m_lifetimeJitter = ike.lifetime.jitter;
    m_softBytes = ike.lifetime.softBytes;
    m_hardBytes = ike.lifetime.hardBytes;
    m_rekeyMode = RekeyModeOf(ipsec->rekeyMode);
    m_ikeRekeyTime = NanoSeconds(ike.ikeRekeyTime.count());
    m_ikeRekeyJitter = ike.ikeRekeyJitter;
    m_dpdDelay = NanoSeconds(ike.dpdDelay.count());
    m_ikeTimeout = NanoSeconds(ike.retransmit.initialTimeout.count());
    m_ikeMaxRetransmits = ike.retransmit.maxRetransmits;
  }
  m_mtu = static_cast<uint16_t>(*tunnel.InterfaceMtu());
  m_gatewaySpec = tunnel.gateway;
}

void GreIpsecGateway::SetTunnelDevice(Ptr<TunnelNetDevice> device) { m_tunnel = device; }

const ipsec::IkeSa *GreIpsecGateway::GetIkeSa() const { return m_core ? m_core->ike() : nullptr; }

const ipsec::EspSad &GreIpsecGateway::GetSad() const {
  static const ipsec::EspSad kNone;
  return m_core ? m_core->sad() : kNone;
}

const gre::GreCounters &GreIpsecGateway::GetGreCounters() const {
  static const gre::GreCounters kNone;
  return m_core && m_core->gre() ? m_core->gre()->counters() : kNone;
}

uint64_t GreIpsecGateway::GetDropCount(const std::string &reason) const {
  const auto it = m_dropCounts.find(reason);
  return it == m_dropCounts.end() ? 0 : it->second;
}

tunnelsim::Time GreIpsecGateway::Now() const {
  return tunnelsim::Time(Simulator::Now().GetNanoSeconds());
}

uint32_t GreIpsecGateway::Overhead(uint32_t innerSize) const {
  uint32_t greHeader = 0;
  if (m_mode != IPSEC_TUNNEL) {
    greHeader = gre::kGreBaseHeaderSize + (m_greKey >= 0 ? 4 : 0) + (m_greSequence ? 4 : 0) +
                (m_greChecksum ? 4 : 0);
  }
  if (m_mode == GRE) return kOuterIpv4Header + greHeader;
  // Payload, padding, pad length and next header are a multiple of 4 bytes.
  const uint32_t encrypted = (greHeader + innerSize + 2 + 3) / 4 * 4;
  return kOuterIpv4Header + ipsec::kEspHeaderSize + ipsec::kEspIvSize + encrypted +
         ipsec::kEspIcvSize - innerSize;
}

uint16_t GreIpsecGateway::TunnelMtuFor(uint16_t outerMtu) const {
  uint32_t inner = outerMtu;
  while (inner > 68 && inner + Overhead(inner) > outerMtu)
    --inner;
  return static_cast<uint16_t>(inner);
}

ipsec::IkeConfig GreIpsecGateway::MakeIkeConfig() const {
  ipsec::IkeConfig c;
  c.initiator = m_initiator;
  c.psk.assign(m_psk.begin(), m_psk.end());
  c.localId = ipsec::IkeIdPayload::Fqdn(m_localId);
  c.remoteId = ipsec::IkeIdPayload::Fqdn(m_remoteId);
  c.ikeCipher = ToCore(m_ikeCipher);
  c.espCipher = ToCore(m_espCipher);
  c.esn = m_esn;
  c.replayWindow = m_replayWindow;
  c.localAddress = ToTunnelsim(m_localAddress);
  c.remoteAddress = ToTunnelsim(m_remoteAddress);
  if (m_mode == GRE_OVER_IPSEC) {
    // Transport mode protects the GRE packets between the two WAN addresses.
    c.childMode = ipsec::EspMode::Transport;
    c.localTrafficSelector = tunnelsim::IpPrefix{c.localAddress, 32};
    c.remoteTrafficSelector = tunnelsim::IpPrefix{c.remoteAddress, 32};
  } else {
    c.childMode = ipsec::EspMode::Tunnel;
    c.localTrafficSelector = ParseSubnetOrAbort(m_localSubnet, "LocalSubnet");
    c.remoteTrafficSelector = ParseSubnetOrAbort(m_remoteSubnet, "RemoteSubnet");
  }
  c.lifetime.softTime = FromNs3(m_softLifetime);
  c.lifetime.hardTime = FromNs3(m_hardLifetime);
  c.lifetime.jitter = m_lifetimeJitter;
  c.lifetime.softBytes = m_softBytes;
  c.lifetime.hardBytes = m_hardBytes;
  c.lifetime.softPackets = m_softPackets;
  c.lifetime.hardPackets = m_hardPackets;
  c.retransmit.initialTimeout = FromNs3(m_ikeTimeout);
  c.retransmit.backoff = m_ikeBackoff;
  c.retransmit.maxTimeout = FromNs3(m_ikeMaxTimeout);
  c.retransmit.maxRetransmits = m_ikeMaxRetransmits;
  c.rekeyMode = m_rekeyMode == BREAK_BEFORE_MAKE ? ipsec::IkeRekeyMode::BreakBeforeMake
                                                 : ipsec::IkeRekeyMode::MakeBeforeBreak;
  c.rekeyOverlap = FromNs3(m_rekeyOverlap);
  c.rekeyRetryDelay = FromNs3(m_rekeyRetryDelay);
  c.pfs = m_pfs;
  c.ikeRekeyTime = FromNs3(m_ikeRekeyTime);
  c.ikeRekeyJitter = m_ikeRekeyJitter;
  c.dpdDelay = FromNs3(m_dpdDelay);
  return c;
}

gre::GreConfig GreIpsecGateway::MakeGreConfig() const {
  gre::GreConfig c;
  if (m_greKey >= 0) {
    c.outputKey = static_cast<uint32_t>(m_greKey);
    c.inputKey = static_cast<uint32_t>(m_greKey);
  }
  c.outputSequence = m_greSequence;
  c.inputSequence =
      m_greInSequence ? gre::GreSequenceMode::DropOutOfOrder : gre::GreSequenceMode::Accept;
  c.outputChecksum = m_greChecksum;
  c.inputChecksum = m_greChecksum;
  return c;
}

void GreIpsecGateway::StartApplication() {
  NS_ABORT_MSG_IF(!m_tunnel, "GreIpsecGateway: no tunnel device (use GreIpsecHelper)");
  NS_ABORT_MSG_IF(m_localAddress == Ipv4Address::GetAny() ||
                      m_remoteAddress == Ipv4Address::GetAny(),
                  "GreIpsecGateway: set LocalAddress and RemoteAddress");
  Ptr<Ipv4> ipv4 = GetNode()->GetObject<Ipv4>();
  NS_ABORT_MSG_IF(!ipv4, "GreIpsecGateway: the node has no IPv4 stack");
  if (UsesIpsec()) {
    NS_ABORT_MSG_IF(!ipsec::EspCipherAvailable(ToCore(m_espCipher)) ||
                        !ipsec::EspCipherAvailable(ToCore(m_ikeCipher)),
                    "GreIpsecGateway: the chosen AEAD is not available on this CPU (AES-GCM "
                    "needs AES-NI in libsodium)");
  }

  uint16_t mtu = m_mtu;
  if (mtu == 0) {
    const int32_t wan = ipv4->GetInterfaceForAddress(m_localAddress);
    NS_ABORT_MSG_IF(wan < 0,
                    "GreIpsecGateway: LocalAddress " << m_localAddress << " is not on the node");
    mtu = TunnelMtuFor(ipv4->GetMtu(wan));
  }
  m_tunnel->SetMtu(mtu);
  m_gatewayPolicy.Configure(m_gatewaySpec, mtu);

  std::unique_ptr<crypto::RandomSource> rng = std::make_unique<crypto::DeterministicRandom>(
      GatewaySeed(GetNode()->GetId(), m_randomStream));
  if (!m_espKeyFile.empty()) m_espKeyLog = std::make_unique<KeyLogWriter>(m_espKeyFile);
  if (!m_ikeKeyFile.empty()) m_ikeKeyLog = std::make_unique<KeyLogWriter>(m_ikeKeyFile);

  // Outer packets of both protocols are taken, so GRE arriving unprotected at a GRE-over-IPsec
  // gateway is seen and dropped rather than ignored.
  m_greProtocol = OuterIpProtocol::Get(GetNode(), kGreProtocol);
  NS_ABORT_MSG_IF(!m_greProtocol->Register(m_localAddress, m_remoteAddress,
                                           MakeCallback(&GreIpsecGateway::FromGre, this)),
                  "GreIpsecGateway: a tunnel between these addresses already exists on the node");
  if (UsesIpsec()) {
    m_espProtocol = OuterIpProtocol::Get(GetNode(), kEspProtocol);
    m_espProtocol->Register(m_localAddress, m_remoteAddress,
                            MakeCallback(&GreIpsecGateway::FromEsp, this));
    if (m_useSharedIkeSocket) {
      m_sharedIke = SharedIkeSocket::Get(GetNode(), m_ikePort);
      NS_ABORT_MSG_IF(!m_sharedIke->Register(m_localAddress, m_remoteAddress,
                                             MakeCallback(&GreIpsecGateway::FromIkeDatagram, this)),
                      "GreIpsecGateway: the shared IKE socket already has a gateway for these "
                      "addresses");
    } else {
      m_ikeSocket = Socket::CreateSocket(GetNode(), UdpSocketFactory::GetTypeId());
      NS_ABORT_MSG_IF(m_ikeSocket->Bind(InetSocketAddress(m_localAddress, m_ikePort)) != 0,
                      "GreIpsecGateway: cannot bind UDP port " << m_ikePort);
      m_ikeSocket->SetRecvCallback(MakeCallback(&GreIpsecGateway::FromIkeSocket, this));
    }
  }
  tunnelsim::tunnel::GreIpsecGatewayConfig config;
  config.mode = m_mode == GRE_OVER_IPSEC ? tunnelsim::tunnel::GreIpsecMode::GreOverIpsec
                : m_mode == IPSEC_TUNNEL ? tunnelsim::tunnel::GreIpsecMode::IpsecTunnel
                                         : tunnelsim::tunnel::GreIpsecMode::Gre;
  config.local = ToTunnelsim(m_localAddress);
  config.remote = ToTunnelsim(m_remoteAddress);
  config.gre = MakeGreConfig();
  if (UsesIpsec()) config.ike = MakeIkeConfig();
  config.randomIv = m_randomIv;
  m_core = std::make_unique<tunnelsim::tunnel::GreIpsecGateway>(config, std::move(rng));
  m_tunnel->SetSendCallback(MakeCallback(&GreIpsecGateway::FromTunnel, this));
  tunnelsim::tunnel::GreIpsecOutput out;
  m_core->Start(Now(), out);
  Carry(out, nullptr);
}

void GreIpsecGateway::StopApplication() {
  Simulator::Cancel(m_ikeTimer);
  if (m_ikeSocket) {
    m_ikeSocket->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
    m_ikeSocket->Close();
    m_ikeSocket = nullptr;
  }
  if (m_sharedIke) {
    m_sharedIke->Unregister(m_localAddress, m_remoteAddress);
    m_sharedIke = nullptr;
  }
  if (m_greProtocol) m_greProtocol->Unregister(m_localAddress, m_remoteAddress);
  if (m_espProtocol) m_espProtocol->Unregister(m_localAddress, m_remoteAddress);
  if (m_tunnel) m_tunnel->SetSendCallback(MakeNullCallback<bool, Ptr<Packet>, uint16_t>());
}

void GreIpsecGateway::DoDispose() {
  Simulator::Cancel(m_ikeTimer);
  m_core.reset();
  m_tunnel = nullptr;
  m_cpu = nullptr;
  m_ikeSocket = nullptr;
  m_sharedIke = nullptr;
  m_espProtocol = nullptr;
  m_greProtocol = nullptr;
  Application::DoDispose();
}

// ---------------------------------------------------------------------------------------------
// Data path: bytes in and out of the core

bool GreIpsecGateway::FromTunnel(Ptr<Packet> packet, uint16_t) {
  m_buffer.resize(packet->GetSize());
  packet->CopyData(m_buffer.data(), m_buffer.size());
  if (!m_gatewayPolicy.FromLan(m_buffer, GetNode())) return true; // PMTU discovery: counted
  m_innerTx(packet);
  tunnelsim::tunnel::GreIpsecOutput out;
  m_core->FromLan(crypto::ByteView(m_buffer.data(), m_buffer.size()), Now(), out);
  Carry(out, packet);
  return true; // drops are counted by the core and the Drop trace
}

void GreIpsecGateway::FromEsp(Ptr<Packet> packet, const Ipv4Header &) {
  m_outerRx(packet);
  m_buffer.resize(packet->GetSize());
  packet->CopyData(m_buffer.data(), m_buffer.size());
  const crypto::ByteView esp(m_buffer.data(), m_buffer.size());
  tunnelsim::tunnel::GreIpsecOutput out;
  if (!m_cpu) {
    m_core->FromWan(tunnelsim::tunnel::OuterProtocol::Esp, esp, Now(), out);
    Carry(out, packet);
    return;
  }
  // The ICV is checked now; the packet goes on after its crypto cost.
  std::optional<tunnelsim::tunnel::OpenedEsp> opened = m_core->OpenEsp(esp, Now(), out);
  Carry(out, packet);
  if (!opened) return;
  auto pending = std::make_shared<tunnelsim::tunnel::OpenedEsp>(std::move(*opened));
  m_cpu->Submit(pending->spi, packet->GetSize(), [this, pending, packet]() {
    tunnelsim::tunnel::GreIpsecOutput after;
    m_core->FinishEsp(std::move(*pending), after);
    Carry(after, packet);
  });
}

void GreIpsecGateway::FromGre(Ptr<Packet> packet, const Ipv4Header &) {
  m_outerRx(packet);
  m_buffer.resize(packet->GetSize());
  packet->CopyData(m_buffer.data(), m_buffer.size());
  tunnelsim::tunnel::GreIpsecOutput out;
  m_core->FromWan(tunnelsim::tunnel::OuterProtocol::Gre,
                  crypto::ByteView(m_buffer.data(), m_buffer.size()), Now(), out);
  Carry(out, packet);
}

void GreIpsecGateway::SendOuter(uint8_t protocol, Ptr<Packet> payload) {
  Ptr<Ipv4> ipv4 = GetNode() ? GetNode()->GetObject<Ipv4>() : nullptr;
  if (!ipv4) return;
  m_outerTx(payload);
  // The route is looked up here, as a UDP socket does: handed no route, Ipv4L3Protocol::Send
  // first walks every interface's addresses for a subnet-directed broadcast, O(interfaces) per
  // packet (thousands on a hub with a tunnel device per spoke). With none found, Send drops and
  // traces the packet as before.
  Ipv4Header header;
  header.SetSource(m_localAddress);
  header.SetDestination(m_remoteAddress);
  header.SetProtocol(protocol);
  Socket::SocketErrno error = Socket::ERROR_NOTERROR;
  Ptr<Ipv4RoutingProtocol> routing = ipv4->GetRoutingProtocol();
  Ptr<Ipv4Route> route = routing ? routing->RouteOutput(payload, header, nullptr, error) : nullptr;
  ipv4->Send(payload, m_localAddress, m_remoteAddress, protocol, route);
}

void GreIpsecGateway::Deliver(const uint8_t *data, size_t size) {
  Ptr<Packet> inner;
  if (m_gatewayPolicy.ClampsMss()) {
    std::vector<uint8_t> bytes(data, data + size);
    m_gatewayPolicy.ToLan(bytes);
    inner = Create<Packet>(bytes.data(), bytes.size());
  } else {
    inner = Create<Packet>(data, size);
  }
  m_innerRx(inner);
  if (m_tunnel && !m_tunnel->Receive(inner)) Drop("interface-refused", inner);
}

void GreIpsecGateway::Drop(const std::string &reason, Ptr<const Packet> packet) {
  ++m_dropCounts[reason];
  m_drop(reason, packet);
}

// ---------------------------------------------------------------------------------------------
// Control path

void GreIpsecGateway::FromIkeSocket(Ptr<Socket> socket) {
  Address from;
  while (Ptr<Packet> packet = socket->RecvFrom(from)) {
    if (!m_core || !m_core->ike()) return;
    FromIkeDatagram(packet);
  }
}

void GreIpsecGateway::FromIkeDatagram(Ptr<Packet> packet) {
  if (!m_core || !m_core->ike()) return;
  crypto::Bytes datagram(packet->GetSize());
  packet->CopyData(datagram.data(), datagram.size());
  tunnelsim::tunnel::GreIpsecOutput out;
  m_core->FromWan(tunnelsim::tunnel::OuterProtocol::Ike, datagram, Now(), out);
  Carry(out, packet);
}

Ptr<Socket> GreIpsecGateway::GetIkeSocket() const {
  return m_sharedIke ? m_sharedIke->GetSocket() : m_ikeSocket;
}

void GreIpsecGateway::OnIkeTimer() {
  if (!m_core) return;
  tunnelsim::tunnel::GreIpsecOutput out;
  m_core->OnTimer(Now(), out);
  Carry(out, nullptr);
}

void GreIpsecGateway::RekeyChildSa() {
  if (!m_core) return;
  tunnelsim::tunnel::GreIpsecOutput out;
  m_core->RekeyChildSa(Now(), out);
  Carry(out, nullptr);
}

void GreIpsecGateway::DeleteIkeSa() {
  if (!m_core) return;
  tunnelsim::tunnel::GreIpsecOutput out;
  m_core->DeleteIkeSa(Now(), out);
  Carry(out, nullptr);
}

// The core's actions, in order, as ns-3 packets, traces, key log lines and the IKE timer.
// `packet` is the packet the call was about (inner or outer), for the Drop trace.
void GreIpsecGateway::Carry(tunnelsim::tunnel::GreIpsecOutput &out, Ptr<const Packet> packet) {
  namespace t = tunnelsim::tunnel;
  for (t::GreIpsecAction &action : out.actions) {
    if (auto *send = std::get_if<t::SendOuter>(&action)) {
      SendFromCore(*send);
    } else if (auto *deliver = std::get_if<t::DeliverInner>(&action)) {
      const crypto::ByteView inner = deliver->packet();
      Deliver(inner.data(), inner.size());
      m_core->Recycle(std::move(deliver->buffer));
    } else if (const auto *drop = std::get_if<t::DropPacket>(&action)) {
      Drop(drop->reason, packet);
    } else if (const auto *install = std::get_if<t::SaInstalled>(&action)) {
      ExportKeys(install->config);
      if (install->installed) {
        m_saInstalled(install->config.spi, install->inbound);
      } else {
        NS_LOG_WARN("SA " << install->config.spi << " not installed: " << install->error);
      }
    } else if (const auto *remove = std::get_if<t::SaRemoved>(&action)) {
      if (remove->removed) m_saDeleted(remove->spi, remove->inbound);
    } else if (const auto *happened = std::get_if<t::IkeEventHappened>(&action)) {
      OnIkeEvent(happened->event);
    } else if (const auto *timer = std::get_if<t::TimerChanged>(&action)) {
      Simulator::Cancel(m_ikeTimer);
      if (timer->at != tunnelsim::kNever) {
        const Time at = std::max(Simulator::Now(), NanoSeconds(timer->at.count()));
        m_ikeTimer = Simulator::Schedule(at - Simulator::Now(), &GreIpsecGateway::OnIkeTimer, this);
      }
    }
  }
}

void GreIpsecGateway::SendFromCore(tunnelsim::tunnel::SendOuter &send) {
  Ptr<Packet> payload = Create<Packet>(send.payload.data(), send.payload.size());
  m_core->Recycle(std::move(send.payload));
  switch (send.protocol) {
  case tunnelsim::tunnel::OuterProtocol::Ike:
    if (m_ikeSocket) m_ikeSocket->SendTo(payload, 0, InetSocketAddress(m_remoteAddress, m_ikePort));
    if (m_sharedIke) m_sharedIke->SendTo(payload, m_remoteAddress);
    return;
  case tunnelsim::tunnel::OuterProtocol::Gre:
    SendOuter(kGreProtocol, payload);
    return;
  case tunnelsim::tunnel::OuterProtocol::Esp:
    // With a CPU model the packet leaves after its crypto cost (sequence number already taken).
    if (m_cpu) {
      m_cpu->Submit(send.spi, payload->GetSize(),
                    [this, payload]() { SendOuter(kEspProtocol, payload); });
    } else {
      SendOuter(kEspProtocol, payload);
    }
    return;
  }
}

void GreIpsecGateway::OnIkeEvent(const ipsec::IkeEvent &event) {
  m_ikeEvent(IkeEventName(event.type), event.inboundSpi, event.detail);
  if (event.type == ipsec::IkeEventType::ChildSaRekeyed) m_saRekeyed(event.inboundSpi);
  const ipsec::IkeSa *ike = m_core->ike();
  if (event.type == ipsec::IkeEventType::Established && ike->keys()) {
    if (auto line = ipsec::WiresharkIkev2Line(ike->spiI(), ike->spiR(), *ike->keys(),
                                              ToCore(m_ikeCipher))) {
      m_ikeLine = *line;
      if (m_ikeKeyLog) m_ikeKeyLog->Append(*line + "\n");
    }
  }
}

void GreIpsecGateway::ExportKeys(const ipsec::EspSaConfig &config) {
  const std::optional<std::string> line = ipsec::WiresharkEspSaLine(config);
  if (!line) return; // no Wireshark entry for this cipher
  m_espSaLines.push_back(*line);
  if (m_espKeyLog) m_espKeyLog->Append(*line + "\n");
}

} // namespace ns3
