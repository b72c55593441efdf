#include "json/impairment_counters.h"

namespace tunnelsim::impairment {

nlohmann::json CountersJson(const ImpairmentCounters &c) {
  return {{"packets", c.packets},
          {"delivered", c.delivered},
          {"lost", c.lost},
          {"queue_drops", c.queueDrops},
          {"duplicated", c.duplicated},
          {"corrupted", c.corrupted},
          {"reordered", c.reordered},
          {"ecn_marked", c.ecnMarked},
          {"delayed", c.delayed},
          {"total_delay_ns", c.totalDelayNs}};
}

nlohmann::json CountersJson(const AckImpairmentCounters &c) {
  return {{"packets", c.packets},
          {"acks", c.acks},
          {"thinned", c.thinned},
          {"delayed", c.delayed},
          {"total_delay_ns", c.totalDelayNs},
          {"compressed", c.compressed}};
}

} // namespace tunnelsim::impairment
