// Cryptokey routing table (whitepaper 2): longest-prefix match from an IPv4 or IPv6 address
// to the peer that owns it. A binary trie per family: insert, lookup and removal walk at most
// 32 or 128 levels. Owner is the peer type (a template so tests can use plain stand-ins).
#pragma once

#include "common/ip_address.h"

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace tunnelsim::wireguard {

template <typename Owner> class AllowedIps {
public:
  // Routes `prefix` to `owner`, taking it over from any previous owner (as wg set does).
  void Insert(const IpPrefix &prefix, Owner *owner) {
    Node *node = Root(prefix.address);
    for (unsigned i = 0; i < prefix.length; ++i) {
      auto &child = node->children[prefix.address.Bit(i)];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    }
    if (!node->owner) ++size_;
    node->owner = owner;
  }

  // Removes one prefix; false when it was not present.
  bool Remove(const IpPrefix &prefix) {
    bool removed = false;
    RemoveIf(Root(prefix.address), prefix.address, prefix.length, 0, removed);
    return removed;
  }

  // Removes every prefix owned by `owner`.
  void RemoveOwner(const Owner *owner) {
    PruneOwner(&v4_, owner);
    PruneOwner(&v6_, owner);
  }

  // The owner of the longest prefix containing `address`, or null.
  Owner *Lookup(const IpAddress &address) const {
    const Node *node = address.IsV4() ? &v4_ : &v6_;
    Owner *best = node->owner;
    for (unsigned i = 0; i < address.bits(); ++i) {
      node = node->children[address.Bit(i)].get();
      if (!node) break;
      if (node->owner) best = node->owner;
    }
    return best;
  }

  std::vector<IpPrefix> PrefixesOf(const Owner *owner) const {
    std::vector<IpPrefix> out;
    uint8_t bytes[16] = {};
    Collect(&v4_, IpAddress::Family::V4, bytes, 0, owner, out);
    Collect(&v6_, IpAddress::Family::V6, bytes, 0, owner, out);
    return out;
  }

  size_t size() const { return size_; }

private:
  struct Node {
    std::unique_ptr<Node> children[2];
    Owner *owner = nullptr;
    bool IsLeafless() const { return !children[0] && !children[1]; }
  };

  Node *Root(const IpAddress &a) { return a.IsV4() ? &v4_ : &v6_; }

  // Returns true when `node` became empty and may be freed by its parent.
  bool RemoveIf(Node *node, const IpAddress &address, unsigned length, unsigned depth,
                bool &removed) {
    if (depth == length) {
      if (node->owner) {
        node->owner = nullptr;
        --size_;
        removed = true;
      }
    } else {
      auto &child = node->children[address.Bit(depth)];
      if (child && RemoveIf(child.get(), address, length, depth + 1, removed)) child.reset();
    }
    return !node->owner && node->IsLeafless();
  }

  bool PruneOwner(Node *node, const Owner *owner) {
    if (node->owner == owner && owner) {
      node->owner = nullptr;
      --size_;
    }
    for (auto &child : node->children)
      if (child && PruneOwner(child.get(), owner)) child.reset();
    return !node->owner && node->IsLeafless();
  }

  void Collect(const Node *node, IpAddress::Family family, uint8_t *bytes, unsigned depth,
               const Owner *owner, std::vector<IpPrefix> &out) const {
    if (node->owner == owner) {
      IpAddress address =
          family == IpAddress::Family::V4 ? IpAddress::V4(bytes) : IpAddress::V6(bytes);
      out.push_back(IpPrefix{address, depth});
    }
    for (int bit = 0; bit < 2; ++bit) {
      if (!node->children[bit]) continue;
      if (bit) bytes[depth / 8] |= static_cast<uint8_t>(0x80 >> (depth % 8));
      Collect(node->children[bit].get(), family, bytes, depth + 1, owner, out);
      if (bit) bytes[depth / 8] &= static_cast<uint8_t>(~(0x80 >> (depth % 8)));
    }
  }

  Node v4_;
  Node v6_;
  size_t size_ = 0;
};

} // namespace tunnelsim::wireguard
