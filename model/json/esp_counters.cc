#include "json/esp_counters.h"

namespace tunnelsim::ipsec {

nlohmann::json EspCountersJson(const EspCounters &c) {
  return {{"packets", c.packets},
          {"bytes", c.bytes},
          {"drop_replay", c.dropReplay},
          {"drop_outside_window", c.dropOutsideWindow},
          {"drop_icv", c.dropIcv},
          {"drop_no_sa", c.dropNoSa},
          {"drop_malformed", c.dropMalformed},
          {"drop_sequence_overflow", c.dropSequenceOverflow},
          {"drop_hard_lifetime", c.dropHardLifetime}};
}

} // namespace tunnelsim::ipsec
