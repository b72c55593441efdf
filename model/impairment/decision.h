// What an impairment core decides for one packet: for each copy (the packet itself and, when
// duplicated, its copy), either a drop with its reason or a delivery time, an ordering key
// for copies due at the same time, and the bit to flip if it is corrupted. Adapters (ns-3,
// a userspace relay) only carry these decisions out.
#pragma once

#include "common/time.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tunnelsim::impairment {

// The packet as the core sees it: its size and, when the adapter has them, its bytes (an IP
// packet), which the ACK classifier, ECN marking and header-sparing corruption look at.
struct PacketRef {
  const uint8_t *data = nullptr; // may be null: decisions then use the size alone
  size_t size = 0;
};

enum class DropReason {
  kNone,
  kLoss,       // the loss model chose it
  kQueueFull,  // the limit (packets or bytes) was reached
  kAckThinned, // the ACK thinning pattern chose it
};

const char *ToString(DropReason reason);

struct CopyDecision {
  bool duplicate = false; // false for the packet itself
  DropReason drop = DropReason::kNone;
  Time deliverAt{0};                  // when it may leave (never before the arrival time)
  int64_t order = 0;                  // ties at the same deliverAt leave in increasing order
  std::optional<uint64_t> corruptBit; // bit index from the first byte's most significant bit
  bool ecnMark = false;               // set CE instead of dropping (netem "ecn")
  bool reordered = false;             // sent at once ahead of the delayed packets (netem "reorder")

  bool Delivered() const { return drop == DropReason::kNone; }
};

struct Decision {
  uint64_t packetNumber = 0;        // 0, 1, 2... in the order packets were given to the core
  std::vector<CopyDecision> copies; // copies[0] is the packet itself
};

// Flips bit `bit` (0 = most significant bit of byte 0) of `data`.
inline void FlipBit(uint8_t *data, uint64_t bit) {
  data[bit / 8] ^= static_cast<uint8_t>(0x80u >> (bit % 8));
}

} // namespace tunnelsim::impairment
