#include "impairment/decision.h"

namespace tunnelsim::impairment {

const char *ToString(DropReason reason) {
  switch (reason) {
  case DropReason::kNone:
    return "none";
  case DropReason::kLoss:
    return "loss";
  case DropReason::kQueueFull:
    return "queue-full";
  case DropReason::kAckThinned:
    return "ack-thinned";
  }
  return "?";
}

} // namespace tunnelsim::impairment
