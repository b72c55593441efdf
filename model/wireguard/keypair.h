// Transport keypairs (whitepaper 5.4.5-5.4.6) and each peer's three slots for them:
// current (used to send), previous (still accepted while the peer switches over) and next
// (a responder's new keypair, not used to send until the initiator has sent on it).
#pragma once

#include "common/time.h"
#include "noise_ikpsk2.h"
#include "replay.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace tunnelsim::wireguard {

struct Keypair {
  Keypair(NoiseTransportKeys keys, bool isInitiator, uint32_t localIndex, uint32_t remoteIndex,
          Time created, uint64_t rejectAfterMessages, uint64_t replayWindow);

  AeadKey sendingKey;
  AeadKey receivingKey;
  uint64_t sendingCounter = 0; // next nonce to use
  ReplayFilter receivingFilter;
  bool isInitiator;
  uint32_t localIndex;  // receiver index the peer puts on packets for us
  uint32_t remoteIndex; // receiver index we put on packets for the peer
  Time created;
  bool valid = true; // false once expired, exhausted or wiped

  // Zeroes both keys and marks the keypair unusable.
  void Wipe();
  bool IsWiped() const { return sendingKey.IsZero() && receivingKey.IsZero(); }
};

using KeypairPtr = std::shared_ptr<Keypair>;

class Keypairs {
public:
  const KeypairPtr &current() const { return current_; }
  const KeypairPtr &previous() const { return previous_; }
  const KeypairPtr &next() const { return next_; }

  // Installs a freshly derived keypair. The initiator starts sending on it at once; the
  // responder parks it in `next` until key confirmation. Displaced keypairs are appended
  // to `retired` (the caller wipes them and frees their indices).
  void Install(KeypairPtr keypair, std::vector<KeypairPtr> &retired);
  // Called when a packet authenticated under `keypair`. When that is `next`, it becomes
  // current (key confirmation for the responder); returns true then.
  bool ConfirmIfNext(const Keypair *keypair, std::vector<KeypairPtr> &retired);
  // Removes every keypair into `retired`.
  void Clear(std::vector<KeypairPtr> &retired);

private:
  KeypairPtr current_;
  KeypairPtr previous_;
  KeypairPtr next_;
};

} // namespace tunnelsim::wireguard
