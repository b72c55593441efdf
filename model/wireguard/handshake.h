// WireGuard's handshake (whitepaper 5.4.2-5.4.3) on top of the generic Noise IKpsk2 layer:
// the identifier as prologue, a TAI64N timestamp as the initiation payload, an empty
// response payload, and the surrounding message fields (type, sender and receiver indices).
// MACs are added separately (cookie.h); peer lookup, replay and flood checks are the device's.
#pragma once

#include "common/time.h"
#include "crypto/tai64n.h"
#include "noise_ikpsk2.h"

#include <cstdint>
#include <optional>

namespace tunnelsim::wireguard {

constexpr char kWireGuardIdentifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
ByteView WireGuardPrologue();

enum class HandshakeState { Zeroed, InitiationCreated, InitiationConsumed, ResponseCreated };

// One peer's handshake in progress (and the replay/flood memory that outlives it).
struct Handshake {
  HandshakeState state = HandshakeState::Zeroed;
  NoiseIkpsk2 noise;
  uint32_t localIndex = 0;  // our sender index while the handshake is in flight
  uint32_t remoteIndex = 0; // the peer's sender index
  // Greatest initiation timestamp accepted from this peer; older or equal ones are replays.
  crypto::Tai64n latestTimestamp{};
  std::optional<Time> lastInitiationConsumed;

  // Forgets the in-flight handshake and wipes its secrets; keeps the replay memory.
  void Clear();
};

// Fills bytes [0, mac1) of a 148-byte initiation and leaves `handshake` waiting for a
// response. False when a DH fails (a low-order peer key).
[[nodiscard]] bool CreateInitiation(Handshake &handshake, const X25519KeyPair &localStatic,
                                    const X25519PublicKey &remoteStatic,
                                    const X25519KeyPair &ephemeral, uint32_t senderIndex,
                                    const crypto::Tai64n &timestamp, uint8_t *message);

// A decrypted initiation, not yet tied to a peer.
struct ConsumedInitiation {
  NoiseIkpsk2 noise;
  uint32_t senderIndex = 0;
  crypto::Tai64n timestamp{};
};
// Decrypts an initiation addressed to `localStatic` (two DH operations). Empty when it does
// not authenticate.
std::optional<ConsumedInitiation> ConsumeInitiation(ByteView message,
                                                    const X25519KeyPair &localStatic);

// Fills bytes [0, mac1) of a 92-byte response to the initiation held in `handshake`.
[[nodiscard]] bool CreateResponse(Handshake &handshake, const X25519KeyPair &ephemeral,
                                  const PresharedKey &psk, uint32_t senderIndex, uint8_t *message);

// Reads a response for `handshake` (which must be InitiationCreated). On success the
// handshake holds the final state for Split(); on failure it is unchanged.
[[nodiscard]] bool ConsumeResponse(Handshake &handshake, ByteView message, const PresharedKey &psk);

} // namespace tunnelsim::wireguard
