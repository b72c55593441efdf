// Receiver indices (whitepaper 5.4.2): random, unique 32-bit values that name a handshake in
// flight or an established keypair, so an incoming message finds its state in O(1).
#pragma once

#include "crypto/random.h"

#include <cstdint>
#include <unordered_map>

namespace tunnelsim::wireguard {

class Peer;
struct Keypair;

class IndexTable {
public:
  struct Entry {
    Peer *peer = nullptr;
    Keypair *keypair = nullptr; // null while the index names a handshake
  };

  // Draws random indices until one is free and registers it for `peer`'s handshake.
  uint32_t AllocateForHandshake(Peer *peer, crypto::RandomSource &rng);
  // The handshake's index now names the keypair derived from it.
  void BindKeypair(uint32_t index, Keypair *keypair);
  void Remove(uint32_t index);
  const Entry *Find(uint32_t index) const;
  size_t size() const { return entries_.size(); }

private:
  std::unordered_map<uint32_t, Entry> entries_;
};

} // namespace tunnelsim::wireguard
