#include "indextable.h"

namespace tunnelsim::wireguard {

uint32_t IndexTable::AllocateForHandshake(Peer *peer, crypto::RandomSource &rng) {
  for (;;) {
    uint32_t index = rng.NextU32();
    if (entries_.emplace(index, Entry{peer, nullptr}).second) return index;
  }
}

void IndexTable::BindKeypair(uint32_t index, Keypair *keypair) {
  auto it = entries_.find(index);
  if (it != entries_.end()) it->second.keypair = keypair;
}

void IndexTable::Remove(uint32_t index) { entries_.erase(index); }

const IndexTable::Entry *IndexTable::Find(uint32_t index) const {
  auto it = entries_.find(index);
  return it == entries_.end() ? nullptr : &it->second;
}

} // namespace tunnelsim::wireguard
