// One end of a GRE, GRE-over-IPsec or IPsec tunnel as one sans-IO gateway: the composition of
// the GRE (gre::GreTunnel), ESP (ipsec::EspSad) and IKEv2 (ipsec::IkeSa) cores that every host
// drives (the ns-3 GreIpsecGateway application, emulate's relay gateway). It owns the order of
// the stages, the Child SAs IKE negotiates, the lifetimes the data path reports back to IKE and
// the drop reasons; a host only moves bytes and time:
//
//   inner packet  ── FromLan ──▶ GRE ──▶ ESP (transport, next header 47)  ──▶ SendOuter Esp
//                               (Gre mode: GRE ──▶ SendOuter Gre; IpsecTunnel: ESP tunnel mode)
//   outer payload ── FromWan ──▶ IKE (UDP payload)  ──▶ SendOuter Ike, SA installs, events
//                            └─▶ ESP ──▶ GRE ──▶ DeliverInner
//   NextTimer / OnTimer        IKE's retransmissions, rekeys, dead peer detection, lifetimes
//
// Every call appends what the host must do to a GreIpsecOutput, in the order it happens (an IKE
// request a soft lifetime triggers leaves before the ESP packet that reached it), so a host that
// replays the list in order behaves as if it had called the cores itself. A host with a CPU
// model splits the inbound ESP path at the ICV check: OpenEsp, then (after the crypto delay)
// FinishEsp; FromWan does both at once.
#pragma once

#include "common/ip_address.h"
#include "common/time.h"
#include "crypto/bytes.h"
#include "crypto/random.h"
#include "gre/gre_tunnel.h"
#include "ipsec/esp_sad.h"
#include "ipsec/ike_sa.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tunnelsim::tunnel {

enum class GreIpsecMode {
  GreOverIpsec, // GRE inside ESP transport mode between the WAN addresses
  IpsecTunnel,  // ESP tunnel mode carrying the inner packet (a VTI/xfrm interface)
  Gre,          // plain GRE, no IPsec
};

// What an outer datagram carries: an IP protocol number for ESP and GRE; IKE is a UDP payload
// between the gateways' IKE ports.
enum class OuterProtocol : uint8_t { Esp = 50, Gre = 47, Ike = 17 };

struct GreIpsecGatewayConfig {
  GreIpsecMode mode = GreIpsecMode::GreOverIpsec;
  IpAddress local, remote; // the WAN (outer) addresses; GRE-over-IPsec's ESP SAs are between them
  gre::GreConfig gre;      // Gre and GreOverIpsec
  ipsec::IkeConfig ike;    // IpsecTunnel and GreOverIpsec: role, PSK, selectors, lifetimes...
  bool randomIv = false;   // ESP IVs from the random source rather than the sequence number
  // IpsecTunnel: drop decrypted payloads that are not IP or lie outside the traffic selectors
  // (RFC 4301 5.2). Off: every non-empty payload is delivered (ipsec-up, as it always did).
  bool inboundPolicyCheck = true;
  // Tell IKE when an SA reaches its hard byte/packet lifetime (it deletes the Child SA). Off:
  // only soft lifetimes are reported (ipsec-up, as it always did).
  bool reportHardLifetimes = true;
};

// Actions, in the order the host must carry them out.
struct SendOuter {
  OuterProtocol protocol = OuterProtocol::Esp;
  crypto::Bytes payload; // ESP or GRE packet (the outer IPv4 payload), or IKE's UDP payload
  uint32_t spi = 0;      // ESP: the outbound SA (a CPU model queues per SA)
};
struct DeliverInner {
  crypto::Bytes buffer; // holds the inner packet at [offset, offset + size)
  size_t offset = 0, size = 0;
  crypto::ByteView packet() const { return crypto::ByteView(buffer.data() + offset, size); }
};
struct DropPacket {
  const char *reason = ""; // static string: "replay", "unprotected-gre", "gre-bad-checksum", ...
  uint32_t spi = 0;        // ESP drops: the SA and the packet's sequence number, for logs
  uint64_t sequence = 0;
};
struct SaInstalled {
  ipsec::EspSaConfig config; // as installed (keys included: for key logs only)
  bool inbound = false;
  bool installed = false; // false: the SAD refused it (`error` says why)
  std::string error;
};
struct SaRemoved {
  uint32_t spi = 0;
  bool inbound = false;
  bool removed = false; // false: it was not installed
};
struct IkeEventHappened {
  ipsec::IkeEvent event;
};
struct TimerChanged {
  Time at = kNever; // the new NextTimer(); kNever: none pending
};
using GreIpsecAction = std::variant<SendOuter, DeliverInner, DropPacket, SaInstalled, SaRemoved,
                                    IkeEventHappened, TimerChanged>;

struct GreIpsecOutput {
  std::vector<GreIpsecAction> actions;
};

// The gateway's own tallies (the cores keep theirs: sad(), gre().counters(), ike()->counters()).
struct GreIpsecCounters {
  uint64_t innerPacketsTaken = 0; // every inner packet FromLan was given
  uint64_t innerBytesTaken = 0;
  uint64_t innerPacketsDelivered = 0;
  uint64_t outerPacketsSent = 0; // ESP and GRE packets (IKE is control traffic, not counted)
  uint64_t outerBytesSent = 0;   // their payload bytes, outer IP header not included
  uint64_t ikeSasEstablished = 0;
  uint64_t childSasCreated = 0;
  uint64_t saInstallFailures = 0;
  std::map<std::string, uint64_t> drops; // by reason
};

// An ESP packet whose ICV and anti-replay check passed, not yet decapsulated (OpenEsp).
struct OpenedEsp {
  uint32_t spi = 0;
  uint8_t nextHeader = 0;
  crypto::Bytes payload;
};

class GreIpsecGateway {
public:
  // `rng` feeds IKE (SPIs, nonces, keys, jitter) and random ESP IVs. Throws
  // std::invalid_argument for a configuration the cores refuse.
  GreIpsecGateway(const GreIpsecGatewayConfig &config, std::unique_ptr<crypto::RandomSource> rng);

  GreIpsecMode mode() const { return mode_; }
  bool UsesIpsec() const { return mode_ != GreIpsecMode::Gre; }
  bool UsesGre() const { return mode_ != GreIpsecMode::IpsecTunnel; }

  // IKE: the initiator sends IKE_SA_INIT (nothing in any other role or mode).
  void Start(Time now, GreIpsecOutput &out);

  void FromLan(crypto::ByteView inner, Time now, GreIpsecOutput &out);
  // An outer datagram for this gateway: an ESP or GRE packet (the IPv4 payload), or the UDP
  // payload of an IKE message.
  void FromWan(OuterProtocol protocol, crypto::ByteView payload, Time now, GreIpsecOutput &out);
  // FromWan(Esp) in two steps: the SAD's checks (drops, lifetimes, peer liveness), then the
  // payload's way to the LAN. nullopt: dropped (or a dummy packet).
  std::optional<OpenedEsp> OpenEsp(crypto::ByteView esp, Time now, GreIpsecOutput &out);
  void FinishEsp(OpenedEsp opened, GreIpsecOutput &out);

  Time NextTimer() const { return ikeTimer_; }
  void OnTimer(Time now, GreIpsecOutput &out);

  // A fresh IKE SA in place of the current one (the peer restarted, or dpd_action = restart):
  // the old one's Child SAs leave the SAD. Start() or FromWan() then drives the new one.
  void ReplaceIke(const ipsec::IkeConfig &config);

  // Operator actions (swanctl --rekey / --terminate); nothing without IKE.
  void RekeyChildSa(Time now, GreIpsecOutput &out);
  void DeleteIkeSa(Time now, GreIpsecOutput &out);

  // Hands back a buffer of a consumed action, so the next packet reuses its storage.
  void Recycle(crypto::Bytes buffer);

  const GreIpsecCounters &counters() const { return counters_; }
  const ipsec::IkeSa *ike() const { return ike_.get(); }
  const ipsec::EspSad &sad() const { return sad_; }
  const gre::GreTunnel *gre() const { return gre_.get(); }

private:
  void Protected(ipsec::EspProtectResult result, Time now, GreIpsecOutput &out);
  void DecapsulateGre(crypto::ByteView packet, crypto::Bytes buffer, size_t offset,
                      GreIpsecOutput &out);
  void Deliver(crypto::Bytes buffer, size_t offset, size_t size, GreIpsecOutput &out);
  void Send(OuterProtocol protocol, crypto::Bytes payload, uint32_t spi, GreIpsecOutput &out);
  void Drop(const char *reason, GreIpsecOutput &out, uint32_t spi = 0, uint64_t sequence = 0);
  void ReportLifetime(uint32_t spi, bool hard, Time now, GreIpsecOutput &out);
  void Execute(ipsec::IkeActions actions, Time now, GreIpsecOutput &out);
  crypto::Bytes TakeSpareBuffer();

  GreIpsecMode mode_;
  IpAddress local_, remote_;
  bool randomIv_, inboundPolicyCheck_, reportHardLifetimes_;
  std::unique_ptr<crypto::RandomSource> rng_;
  std::unique_ptr<gre::GreTunnel> gre_;
  std::unique_ptr<ipsec::IkeSa> ike_;
  ipsec::EspSad sad_;
  Time ikeTimer_ = kNever;
  std::set<std::pair<uint32_t, bool>> lifetimeReported_; // (spi, hard): reported once
  GreIpsecCounters counters_;
  crypto::Bytes greBuffer_;                 // the GRE packet being protected
  std::vector<crypto::Bytes> spareBuffers_; // consumed actions' buffers (Recycle)
};

} // namespace tunnelsim::tunnel
