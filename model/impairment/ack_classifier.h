// Tells ACK-like packets from the rest, the way a middlebox on the return path can: by TCP
// flags when the packet is clear (a pure ACK carries ACK, no payload, no SYN/FIN/RST), and by
// size when it is encrypted (WireGuard, ESP), since size is all such a middlebox sees.
#pragma once

#include "impairment/decision.h"

#include <cstddef>

namespace tunnelsim::impairment {

struct AckClassifierSettings {
  enum class Mode {
    kAuto,     // clear TCP (also inside clear GRE) by flags, anything else by size
    kTcpFlags, // only clear TCP pure ACKs
    kSize,     // any packet of at most maxAckSize bytes
  };
  Mode mode = Mode::kAuto;
  // A pure TCP ACK over IPv4 in WireGuard is 20 + 8 + 32 + 48 = 108 bytes, in ESP (AES-GCM,
  // tunnel mode) about 20 + 8 + 8 + 40 + 4 + 16 = 96; data packets are far larger.
  size_t maxAckSize = 128;
};

enum class AckClass {
  kNotAck,
  kPureAck,      // classified by TCP flags
  kSizedLikeAck, // classified by size
};

AckClass ClassifyAck(const PacketRef &packet, const AckClassifierSettings &settings);

} // namespace tunnelsim::impairment
