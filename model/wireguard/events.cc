#include "events.h"

namespace tunnelsim::wireguard {

const char *DropReasonName(DropReason reason) {
  switch (reason) {
  case DropReason::Malformed:
    return "malformed";
  case DropReason::BadMac1:
    return "bad_mac1";
  case DropReason::CookieRequired:
    return "cookie_required";
  case DropReason::RateLimited:
    return "rate_limited";
  case DropReason::HandshakeFailed:
    return "handshake_failed";
  case DropReason::UnknownPeer:
    return "unknown_peer";
  case DropReason::StaleTimestamp:
    return "stale_timestamp";
  case DropReason::InitiationFlood:
    return "initiation_flood";
  case DropReason::UnexpectedResponse:
    return "unexpected_response";
  case DropReason::BadCookieReply:
    return "bad_cookie_reply";
  case DropReason::UnknownIndex:
    return "unknown_index";
  case DropReason::KeyExpired:
    return "key_expired";
  case DropReason::DecryptFailed:
    return "decrypt_failed";
  case DropReason::Replay:
    return "replay";
  case DropReason::InvalidInnerPacket:
    return "invalid_inner_packet";
  case DropReason::BadAllowedIp:
    return "bad_allowed_ip";
  case DropReason::NoPeerForDestination:
    return "no_peer_for_destination";
  case DropReason::NoEndpoint:
    return "no_endpoint";
  case DropReason::StagedQueueFull:
    return "staged_queue_full";
  case DropReason::HandshakeGaveUp:
    return "handshake_gave_up";
  case DropReason::Count:
    break;
  }
  return "unknown";
}

const char *EventTypeName(EventType type) {
  switch (type) {
  case EventType::HandshakeInitiationSent:
    return "handshake_initiation_sent";
  case EventType::HandshakeInitiationReceived:
    return "handshake_initiation_received";
  case EventType::HandshakeResponseSent:
    return "handshake_response_sent";
  case EventType::HandshakeResponseReceived:
    return "handshake_response_received";
  case EventType::HandshakeCompleted:
    return "handshake_completed";
  case EventType::SessionConfirmed:
    return "session_confirmed";
  case EventType::HandshakeGaveUp:
    return "handshake_gave_up";
  case EventType::CookieReplySent:
    return "cookie_reply_sent";
  case EventType::CookieReplyReceived:
    return "cookie_reply_received";
  case EventType::KeepaliveSent:
    return "keepalive_sent";
  case EventType::KeepaliveReceived:
    return "keepalive_received";
  case EventType::KeysZeroed:
    return "keys_zeroed";
  case EventType::EndpointChanged:
    return "endpoint_changed";
  case EventType::PacketDropped:
    return "packet_dropped";
  case EventType::KeyLog:
    return "key_log";
  }
  return "unknown";
}

uint64_t DeviceCounters::TotalDrops() const {
  uint64_t total = 0;
  for (uint64_t d : drops)
    total += d;
  return total;
}

} // namespace tunnelsim::wireguard
