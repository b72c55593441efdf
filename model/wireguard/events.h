// What a simulation can observe of a device: counters (always kept) and events (delivered
// to an optional observer, which the ns-3 adapter turns into trace sources).
#pragma once

#include "common/time.h"
#include "crypto/x25519.h"
#include "endpoint.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace tunnelsim::wireguard {

enum class DropReason : uint8_t {
  Malformed,            // unknown type, wrong length, nonzero reserved bytes
  BadMac1,              // handshake message whose MAC1 does not verify
  CookieRequired,       // under load without a valid MAC2 (a cookie reply is sent instead)
  RateLimited,          // per-source handshake token bucket empty
  HandshakeFailed,      // handshake message that does not decrypt/authenticate
  UnknownPeer,          // initiation from a static key that is not configured
  StaleTimestamp,       // replayed or older initiation (TAI64N not newer)
  InitiationFlood,      // initiations from one peer faster than minInitiationInterval
  UnexpectedResponse,   // response or cookie reply that matches no handshake in flight
  BadCookieReply,       // cookie reply that does not decrypt
  UnknownIndex,         // transport data for an unknown receiver index (no session)
  KeyExpired,           // transport data on a keypair past REJECT_AFTER_TIME/MESSAGES
  DecryptFailed,        // transport data failing authentication
  Replay,               // transport counter already seen or outside the window
  InvalidInnerPacket,   // decrypted payload that is not an IPv4/IPv6 packet
  BadAllowedIp,         // inner source address not in the sending peer's allowed IPs
  NoPeerForDestination, // tunnel packet matching no peer's allowed IPs
  NoEndpoint,           // tunnel packet for a peer whose endpoint is unknown
  StagedQueueFull,      // oldest waiting packet dropped for a newer one
  HandshakeGaveUp,      // waiting packets dropped when the handshake was abandoned
  Count
};
constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::Count);
const char *DropReasonName(DropReason reason);

struct PeerCounters {
  uint64_t txPackets = 0, txBytes = 0; // inner packets/bytes sent through the tunnel
  uint64_t rxPackets = 0, rxBytes = 0; // inner packets/bytes delivered from the tunnel
  uint64_t txDatagramBytes = 0, rxDatagramBytes = 0; // all outer bytes, handshakes included
  uint64_t keepalivesSent = 0, keepalivesReceived = 0;
  uint64_t handshakeInitiationsSent = 0, handshakeResponsesSent = 0;
  uint64_t handshakesCompleted = 0; // sessions derived with this peer
  uint64_t sessionsConfirmed = 0;   // sessions both sides proved they hold
  std::optional<Time> lastHandshake;
};

struct DeviceCounters {
  uint64_t handshakeInitiationsSent = 0;
  uint64_t handshakeInitiationsReceived = 0; // authenticated and accepted
  uint64_t handshakeResponsesSent = 0;
  uint64_t handshakeResponsesReceived = 0; // authenticated and accepted
  uint64_t handshakesCompleted = 0;        // sessions derived, as initiator or responder
  // Sessions known to be shared: the initiator on consuming the response, the responder on
  // the first packet authenticated under the new keys (key confirmation). A responder whose
  // response the initiator rejects (a wrong PSK, say) derives a session it never confirms.
  uint64_t sessionsConfirmed = 0;
  uint64_t handshakesFailed = 0; // attempts abandoned after REKEY_ATTEMPT_TIME
  uint64_t rekeys = 0;           // sessions that replaced an existing one
  uint64_t cookieRepliesSent = 0;
  uint64_t cookieRepliesReceived = 0;
  uint64_t keepalivesSent = 0;
  uint64_t keepalivesReceived = 0;
  uint64_t dataPacketsSent = 0, dataBytesSent = 0;
  uint64_t dataPacketsReceived = 0, dataBytesReceived = 0;
  uint64_t keysZeroed = 0; // zero-key-material timer expiries
  // X25519 operations (DH and key generations) done inside this device's OnTunnelPacket,
  // OnDatagram and OnTimer: what a handshake flood costs it. Read from the process-wide
  // counter around each call, so exact when one thread drives the devices (ns-3, tests).
  // Not in CountersJson: results.json stays as it was.
  uint64_t x25519Operations = 0;
  std::array<uint64_t, kDropReasonCount> drops{};

  uint64_t Drops(DropReason r) const { return drops[static_cast<size_t>(r)]; }
  uint64_t TotalDrops() const;
};

enum class EventType : uint8_t {
  HandshakeInitiationSent,
  HandshakeInitiationReceived,
  HandshakeResponseSent,
  HandshakeResponseReceived,
  HandshakeCompleted, // session derived (initiator: response consumed; responder: response sent)
  SessionConfirmed,   // initiator: response consumed; responder: first packet on the new keys
  HandshakeGaveUp,
  CookieReplySent,
  CookieReplyReceived,
  KeepaliveSent,
  KeepaliveReceived,
  KeysZeroed,
  EndpointChanged,
  PacketDropped,
  KeyLog, // only with DeviceConfig::exportKeyLog
};
const char *EventTypeName(EventType type);

// The four secrets Wireshark needs to decrypt one handshake and its transport data.
struct KeyLogEntry {
  crypto::Secret<32> localStaticPrivate;
  crypto::X25519PublicKey remoteStaticPublic{};
  crypto::Secret<32> localEphemeralPrivate;
  crypto::Secret<32> presharedKey;
};

struct Event {
  EventType type;
  Time time{0};
  const crypto::X25519PublicKey *peer = nullptr; // null when no peer is known
  std::optional<Endpoint> endpoint;              // remote endpoint involved, if any
  DropReason dropReason = DropReason::Malformed; // for PacketDropped
  const KeyLogEntry *keyLog = nullptr;           // for KeyLog
};

class EventObserver {
public:
  virtual ~EventObserver() = default;
  virtual void OnEvent(const Event &event) = 0;
};

} // namespace tunnelsim::wireguard
