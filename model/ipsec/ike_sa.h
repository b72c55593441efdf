// One IKEv2 SA (RFC 7296) with pre-shared-key authentication, as a sans-IO state machine for
// either role. It takes UDP payloads (port 500), the time and lifetime events from the ESP
// data path, and returns actions: datagrams to send, Child SAs to install in or remove from
// the ESP SAD, events, and the next time OnTimer must be called.
//
// Exchanges: IKE_SA_INIT (X25519, group 31) and IKE_AUTH (PSK, first Child SA) in two round
// trips; CREATE_CHILD_SA rekeying of the Child SA (make-before-break or break-before-make);
// INFORMATIONAL Delete of Child SAs and of the IKE SA; CREATE_CHILD_SA rekeying of the IKE SA
// itself, started by either side (RFC 7296 2.8); simultaneous rekeys by both ends resolved by
// the lowest-nonce rule (2.8.1, 2.8.2). One request is outstanding at a time
// (window size 1), retransmitted with exponential back-off until the peer answers or the
// retransmission limit is reached.
//
// The class is implemented in several files, one concern each (as wireguard-go splits its
// device): ike_sa.cc (entry points, framing, timers), ike_sa_proposals.cc, ike_sa_child_table.cc,
// ike_sa_requests.cc (our requests, retransmission, the response cache), ike_sa_responder.cc,
// ike_sa_responses.cc and ike_sa_ike_rekey.cc.
#pragma once

#include "common/time.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "ipsec/esp_sa.h"
#include "ipsec/ike_keys.h"
#include "ipsec/ike_message.h"

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tunnelsim::ipsec {

enum class IkeRekeyMode {
  // New SAs installed before the old ones go: the rekey initiator switches outbound traffic
  // at once and deletes the old pair after `rekeyOverlap`; the responder keeps sending on the
  // old SA until that Delete arrives. No packet needs an SA that is not there.
  MakeBeforeBreak,
  // The old pair is deleted first (INFORMATIONAL), then a new Child SA is created
  // (CREATE_CHILD_SA): traffic has no SA for the duration of both exchanges.
  BreakBeforeMake,
};

struct IkeRetransmitPolicy {
  Duration initialTimeout = Seconds(1);
  double backoff = 2.0;
  Duration maxTimeout = Seconds(60);
  uint32_t maxRetransmits = 5; // after this many retransmissions time out and give up
};

struct IkeChildLifetime {
  Duration softTime{0}; // 0 = none; rekey when reached (minus jitter)
  Duration hardTime{0}; // 0 = none; delete when reached
  double jitter = 0.0;  // the soft time is shortened by a random fraction up to this (0..1)
  uint64_t softBytes = 0, hardBytes = 0, softPackets = 0, hardPackets = 0;
};

struct IkeConfig {
  bool initiator = true;
  crypto::Bytes psk;
  IkeIdPayload localId = IkeIdPayload::Fqdn("local");
  IkeIdPayload remoteId = IkeIdPayload::Fqdn("remote");
  EspCipher ikeCipher = EspCipher::Aes256Gcm16; // protects the SK payload
  EspCipher espCipher = EspCipher::Aes256Gcm16; // Child SAs
  bool esn = false;
  EspMode childMode = EspMode::Tunnel;
  uint32_t replayWindow = tunnel::IpsecSpec{}.replayWindow; // of the Child SAs' inbound ESP SAs
  IpAddress localAddress, remoteAddress;                    // the gateways (outer addresses)
  // IKE ports for NAT detection (RFC 7296 2.23); the adapter moves to 4500 itself.
  uint16_t localPort = 500, remotePort = 500;
  // Pretend to be behind a NAT (a NAT_DETECTION_SOURCE_IP that cannot match) so that both
  // ends use UDP encapsulation, as strongSwan's `encap = yes` does.
  bool forceEncapsulation = false;
  IpPrefix localTrafficSelector, remoteTrafficSelector;
  IkeChildLifetime lifetime;
  IkeRetransmitPolicy retransmit;
  IkeRekeyMode rekeyMode = IkeRekeyMode::MakeBeforeBreak;
  Duration rekeyOverlap = Seconds(2);    // make-before-break: old SA kept this long
  bool pfs = false;                      // a fresh X25519 exchange in CREATE_CHILD_SA
  Duration rekeyRetryDelay = Seconds(1); // after TEMPORARY_FAILURE (the peer was busy)
  // How long the inbound SA of a rekeyed Child SA stays installed after the Child SA was
  // deleted. A real peer's data path can lag its IKE exchanges (strongSwan's kernel-libipsec
  // queues ESP packets while its IKE thread already answered the Delete), so packets sent on
  // the old SA may arrive after the Delete exchange. strongSwan keeps such SAs for 5 s
  // (charon.delete_rekeyed_delay). 0: removed with the Child SA (the model's default).
  Duration rekeyedInboundLinger{0};
  // Liveness checks (RFC 7296 2.4, strongSwan's dpd_delay): after this long without an
  // authenticated message or ESP packet from the peer (NotePeerAlive), an empty INFORMATIONAL
  // request is sent; if it is never answered the retransmission limit fails the IKE SA
  // (Timeout). 0: none sent (requests from the peer are always answered).
  Duration dpdDelay{0};
  // IKE SA rekeying started by us (RFC 7296 2.8; strongSwan's connection `rekey_time`): after
  // this long (shortened by a random fraction up to ikeRekeyJitter) a CREATE_CHILD_SA with a
  // new IKE SA proposal, nonce and X25519 share; the Child SAs move to the new IKE SA and the
  // old one is deleted. 0: never (rekeys the peer starts are answered either way).
  Duration ikeRekeyTime{0};
  double ikeRekeyJitter = 0.0;
};

enum class IkeState {
  Idle,        // responder waiting for IKE_SA_INIT; initiator before Start()
  InitSent,    // initiator: IKE_SA_INIT request outstanding
  InitReplied, // responder: waiting for IKE_AUTH
  AuthSent,    // initiator: IKE_AUTH request outstanding
  Established,
  Deleted, // deleted by either side
  Failed,  // authentication failed, no proposal chosen or the peer stopped answering
};
const char *IkeStateName(IkeState state);

enum class IkeEventType {
  Established,
  AuthenticationFailed,
  NoProposalChosen,
  ChildSaCreated,
  ChildSaRekeyed,
  ChildSaDeleted,
  IkeSaDeleted,
  IkeSaRekeyed, // the IKE SA was rekeyed (detail: by peer / by us): new SPIs and keys, the
                // Child SAs stay
  Timeout,
};

struct IkeEvent {
  IkeEventType type;
  uint32_t inboundSpi = 0; // for Child SA events
  std::string detail;
};

struct IkeSaInstall {
  bool inbound = false;
  EspSaConfig config; // includes the keys: hand it to EspSad::AddInbound/AddOutbound
};

struct IkeSaRemove {
  bool inbound = false;
  uint32_t spi = 0;
};

struct IkeActions {
  std::vector<crypto::Bytes> send; // UDP payloads to the peer, in order
  std::vector<IkeSaInstall> install;
  std::vector<IkeSaRemove> remove;
  std::vector<IkeEvent> events;
  Time nextTimer = kNever;
};

struct IkeCounters {
  uint64_t messagesSent = 0; // including retransmissions
  uint64_t retransmissions = 0;
  uint64_t messagesReceived = 0; // that passed parsing and integrity
  uint64_t responsesResent = 0;  // answers to retransmitted requests
  uint64_t dropMalformed = 0;
  uint64_t dropIntegrity = 0;
  uint64_t dropUnexpected = 0; // wrong SPI, message ID or state
  uint64_t authFailures = 0;
  uint64_t childSasCreated = 0;
  uint64_t childSasRekeyed = 0;
  uint64_t childSasDeleted = 0;
  uint64_t rekeyCollisions = 0;
  uint64_t livenessChecksSent = 0; // our empty INFORMATIONAL requests (first transmissions)
  uint64_t ikeSasRekeyed = 0;      // completed IKE SA rekeys, started by either side
  uint64_t ikeSaRekeysStarted = 0; // of those, the ones we started
};

// Both directions' SAs of one Child SA, as currently known.
struct IkeChildSaInfo {
  uint32_t inboundSpi = 0;
  uint32_t outboundSpi = 0;
  bool outboundInstalled = false;
  bool rekeyed = false; // replaced by a newer Child SA, waiting for deletion
};

class IkeSa {
public:
  IkeSa(const IkeConfig &config, crypto::RandomSource &rng);

  // Initiator: sends IKE_SA_INIT. Ignored in any other state or role.
  IkeActions Start(Time now);
  IkeActions OnMessage(crypto::ByteView datagram, Time now);
  IkeActions OnTimer(Time now);
  // From the ESP data path: an SA (either direction) reached its soft or hard byte/packet
  // lifetime.
  IkeActions OnChildSaLifetime(uint32_t spi, bool hard, Time now);
  // Operator actions: rekey or delete the (newest) Child SA; delete the IKE SA.
  IkeActions RekeyChildSa(Time now);
  IkeActions DeleteChildSa(Time now);
  IkeActions DeleteIkeSa(Time now);
  // The data path received an authenticated ESP packet: the peer is alive (no DPD needed).
  void NotePeerAlive(Time now) { lastPeerAlive_ = std::max(lastPeerAlive_, now); }

  IkeState state() const { return state_; }
  const IkeCounters &counters() const { return counters_; }
  const IkeConfig &config() const { return config_; }
  uint64_t spiI() const { return spiI_; }
  uint64_t spiR() const { return spiR_; }
  std::vector<IkeChildSaInfo> childSas() const;
  // Inbound SAs of deleted, rekeyed Child SAs still installed (rekeyedInboundLinger).
  size_t lingeringInboundCount() const { return lingeringInbound_.size(); }
  // IKE SAs replaced by a rekey (or redundant after a simultaneous one) whose Delete exchange
  // is not over yet.
  size_t retiredIkeSaCount() const { return oldIkeSas_.size(); }
  // The IKE SA keys once IKE_SA_INIT completed (for key export); null before.
  const IkeSaKeys *keys() const { return keys_ ? &*keys_ : nullptr; }
  // After IKE_SA_INIT: both ends sent NAT detection payloads and a hash did not match (or
  // either end forced it). IKE then moves to port 4500 and ESP is UDP-encapsulated (RFC 3948).
  bool udpEncapsulation() const { return udpEncapsulation_; }

private:
  struct Child {
    uint32_t inboundSpi = 0;
    uint32_t outboundSpi = 0;
    crypto::Bytes inboundKeys, outboundKeys;
    bool outboundInstalled = false;
    bool rekeying = false; // a CREATE_CHILD_SA for it is outstanding or queued
    bool rekeyed = false;  // superseded; deletion pending
    bool deleting = false;
    Time softDeadline = kNever;
    Time hardDeadline = kNever;
    Time deleteAt = kNever; // make-before-break: when to delete after a rekey
    Time retryRekeyAt = kNever;
    uint32_t successor = 0; // inbound SPI of the Child SA that replaced this one
    // RFC 7296 2.8.1: the peer's rekey of this Child SA, answered while ours was in flight. Its
    // new Child SA (our inbound SPI) and the nonces of that exchange wait until our own
    // exchange ends; then the four nonces decide which new Child SA is redundant.
    uint32_t peerRekeySuccessor = 0;
    crypto::Bytes peerRekeyNonceI, peerRekeyNonceR;
  };
  enum class RequestKind {
    IkeSaInit,
    IkeAuth,
    CreateChild,
    DeleteChild,
    DeleteIke,
    Liveness,
    RekeyIke
  };
  struct PendingRequest {
    RequestKind kind;
    uint32_t childSpi = 0; // inbound SPI of the Child SA concerned (0: a new one)
    bool recreate = false; // break-before-make: create a new Child SA once deleted
  };
  struct Outstanding {
    PendingRequest request;
    uint32_t messageId = 0;
    crypto::Bytes datagram;
    uint32_t retransmits = 0;
    Time deadline = kNever;
    // CREATE_CHILD_SA state of the request.
    crypto::Bytes nonce;
    uint32_t newInboundSpi = 0;
    std::optional<crypto::X25519KeyPair> dh;
    uint64_t newIkeSpi = 0; // RekeyIke: our SPI of the new IKE SA
  };

  void Send(const PendingRequest &request, Time now, IkeActions &actions);
  void Enqueue(const PendingRequest &request, Time now, IkeActions &actions);
  void SendNextQueued(Time now, IkeActions &actions);
  // Resends the outstanding request if its deadline passed; false when the retransmission
  // limit is reached (the caller fails the IKE SA).
  bool RetransmitOutstanding(Time now, IkeActions &actions);
  // How long to wait after the `retransmits`-th retransmission (exponential, capped).
  Duration RetransmitTimeout(uint32_t retransmits) const;
  crypto::Bytes Encode(IkeMessage &message, bool response);
  IkeMessage NewMessage(IkeExchange exchange, uint32_t messageId, bool response) const;
  void Finish(IkeActions &actions);

  void HandleRequest(const IkeMessage &m, crypto::ByteView datagram, Time now, IkeActions &actions);
  void HandleResponse(const IkeMessage &m, crypto::ByteView datagram, Time now,
                      IkeActions &actions);
  void HandleIkeSaInitResponse(const IkeMessage &m, crypto::ByteView datagram,
                               const IkeNotifyPayload *error, Time now, IkeActions &actions);
  void HandleIkeAuthResponse(const IkeMessage &m, const IkeNotifyPayload *error, Time now,
                             IkeActions &actions);
  void HandleCreateChildResponse(const IkeMessage &m, const IkeNotifyPayload *error, Time now,
                                 IkeActions &actions);
  void RespondIkeSaInit(const IkeMessage &m, crypto::ByteView datagram, Time now,
                        IkeActions &actions);
  void RespondIkeAuth(const IkeMessage &m, Time now, IkeActions &actions);
  void RespondCreateChild(const IkeMessage &m, Time now, IkeActions &actions);
  void RespondInformational(const IkeMessage &m, Time now, IkeActions &actions);
  void RespondIkeRekey(const IkeMessage &m, Time now, IkeActions &actions);
  void HandleIkeRekeyResponse(const IkeMessage &m, Outstanding out, Time now, IkeActions &actions);
  // Moves to the new IKE SA (RFC 7296 2.18), keeping the old one to finish its Delete exchange.
  void SwitchToRekeyedIkeSa(uint64_t newSpiI, uint64_t newSpiR, IkeSaKeys newKeys,
                            bool weStartedRekey, crypto::Bytes nonceI, crypto::Bytes nonceR);
  // RFC 7296 2.8.2: after a simultaneous IKE SA rekey, moves to the peer's new IKE SA (our own
  // exchange failed, or its SA is the redundant one).
  void AdoptPeerIkeRekey(Time now, IkeActions &actions);
  // Our Delete of a retired IKE SA (the one we rekeyed away from, or a redundant new one),
  // sent (and retransmitted) on its SPIs and keys.
  struct OldIkeSa;
  void SendOldIkeSaDelete(OldIkeSa &old, Time now, IkeActions &actions);
  void RetransmitOldIkeSaDeletes(Time now, IkeActions &actions);
  void ScheduleIkeRekey(Time now);
  // A message on the SPIs of a retired IKE SA (the peer's Delete of it, or its answer to ours);
  // false when the retired SA is done with.
  bool HandleOldIkeSaMessage(OldIkeSa &old, crypto::ByteView datagram, IkeActions &actions);
  void SendResponse(IkeMessage &response, IkeActions &actions);

  std::vector<IkeProposal> IkeProposals() const;
  std::vector<IkeProposal> EspProposals(uint32_t spi) const;
  // The number of the first offered proposal that contains our transforms.
  std::optional<uint8_t> AcceptIkeProposal(const std::vector<IkeProposal> &offered) const;
  // The first offered IKE proposal with an 8-byte SPI (an IKE SA rekey) that contains our
  // transforms; null when none.
  const IkeProposal *AcceptIkeRekeyProposal(const std::vector<IkeProposal> &offered) const;
  struct AcceptedEsp {
    uint32_t spi;
    uint8_t number;
  };
  std::optional<AcceptedEsp> AcceptEspProposal(const std::vector<IkeProposal> &offered) const;
  void AddNatDetection(IkeMessage &m, uint64_t spiR) const;
  // From the peer's IKE_SA_INIT message (with the SPIs of its header): sets
  // udpEncapsulation_.
  void CheckNatDetection(const IkeMessage &m, uint64_t spiR);
  bool TrafficSelectorsMatch(const IkeMessage &m, bool weAreExchangeResponder) const;
  void AddChildRequestPayloads(IkeMessage &m, uint32_t inboundSpi) const;

  uint32_t NewSpi();
  void CreateChild(uint32_t inboundSpi, uint32_t outboundSpi, const ChildSaKeys &keys,
                   bool weInitiatedExchange, bool installOutbound, Time now, IkeActions &actions);
  void InstallOutbound(Child &child, IkeActions &actions);
  void RemoveChild(uint32_t inboundSpi, IkeActions &actions, const char *why);
  // Removes lingering inbound SAs whose time has come (all of them when `all`).
  void RemoveLingering(bool all, IkeActions &actions);
  void Fail(IkeEventType event, const std::string &detail, IkeActions &actions);
  // The IKE SA and its Child SAs are removed (Deleted, IkeSaDeleted with `detail`).
  void DeleteLocally(const char *detail, IkeActions &actions);
  Child *FindByInbound(uint32_t spi);
  Child *FindByOutbound(uint32_t spi);
  Child *NewestActiveChild();
  void StartRekey(Child &child, Time now, IkeActions &actions);
  // A rekey of `old` ended: `successor` (inbound SPI) replaces it; the creator of the
  // successor deletes the old Child SA (`weDeleteOld`).
  void ConcludeChildRekey(Child &old, uint32_t successor, bool weDeleteOld, Time now,
                          IkeActions &actions);
  void ProcessChildTimers(Time now, IkeActions &actions);
  EspSaConfig ChildConfig(uint32_t spi, bool inbound, const crypto::Bytes &keys) const;
  std::optional<IkeSkKey> OutgoingKey() const;
  std::optional<IkeSkKey> IncomingKey() const;

  IkeConfig config_;
  crypto::RandomSource &rng_;
  IkeState state_ = IkeState::Idle;
  IkeCounters counters_;
  uint64_t spiI_ = 0, spiR_ = 0;
  crypto::Bytes nonceI_, nonceR_;
  std::optional<crypto::X25519KeyPair> dh_;
  std::optional<IkeSaKeys> keys_;
  crypto::Bytes initMessageI_, initMessageR_; // the IKE_SA_INIT messages, for AUTH
  uint32_t firstChildInboundSpi_ = 0;
  bool udpEncapsulation_ = false;

  uint32_t nextRequestId_ = 0;
  std::optional<Outstanding> outstanding_;
  std::deque<PendingRequest> queue_;
  uint32_t expectedRequestId_ = 0;
  std::optional<crypto::Bytes> lastResponse_;
  std::map<uint32_t, Child> children_;        // by inbound SPI
  std::map<uint32_t, Time> lingeringInbound_; // inbound SPI -> removal time
  Time now_{0};                               // of the current entry point call
  Time lastPeerAlive_{0};                     // last authenticated message or ESP packet
  Time ikeRekeyAt_ = kNever;                  // when we start an IKE SA rekey
  // An IKE SA replaced by a rekey, kept to answer the peer's Delete of it or to finish ours
  // (RFC 7296 2.18); after a simultaneous rekey also the redundant new one (2.8.2).
  struct OldIkeSa {
    OldIkeSa() {} // user-provided: clang needs it to emplace() a nested struct with NSDMIs
    uint64_t spiI = 0, spiR = 0;
    bool initiator = false;
    crypto::Bytes incomingKey, outgoingKey;
    uint32_t expectedRequestId = 0;
    std::optional<crypto::Bytes> lastResponse;
    uint32_t nextRequestId = 0;
    // We started the rekey: our Delete of this SA, until the peer answers it.
    std::optional<crypto::Bytes> deleteRequest;
    uint32_t deleteMessageId = 0;
    uint32_t deleteRetransmits = 0;
    Time deleteDeadline = kNever;
    // Waiting for the peer's Delete: dropped once the peer would have given up resending it
    // (our retransmission budget), so a Delete that never comes leaks nothing.
    Time expireAt = kNever;
  };
  // How long a request is retransmitted before its sender gives up (all timeouts summed).
  Duration RetransmitBudget() const;
  std::vector<OldIkeSa> oldIkeSas_;
  // RFC 7296 2.8.2: the peer's new IKE SA, answered while our own IKE SA rekey was in flight.
  struct PeerIkeRekey {
    uint64_t spiI = 0, spiR = 0;
    IkeSaKeys keys;
    crypto::Bytes nonceI, nonceR;
  };
  std::optional<PeerIkeRekey> peerIkeRekey_;
};

} // namespace tunnelsim::ipsec
