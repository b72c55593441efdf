// The tc-netem string translator (ParseNetemArguments) and, for every string it accepts, the
// impairment core built from the result.
//
// Input: the argument string itself, as text ("delay 20ms 5ms 25% loss gemodel 1% 10%").
// Checked besides memory safety: the parser throws nothing but NetemParseError (a stray
// std::out_of_range from a number conversion would escape and abort); settings it returns
// pass Validate() and construct an ImpairmentCore; the core then decides a burst of packets
// without throwing, and never schedules a copy before its arrival.
#include "impairment/impairment_core.h"
#include "impairment/netem_parser.h"

#include <cstdlib>
#include <string>

using namespace tunnelsim;
using namespace tunnelsim::impairment;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 512) return -1; // a tc command line is short; longer inputs only slow the search
  const std::string arguments(reinterpret_cast<const char *>(data), size);
  NetemSettings settings;
  try {
    settings = ParseNetemArguments(arguments);
  } catch (const NetemParseError &) {
    return 0;
  }
  if (!settings.Validate().empty()) abort();
  // Huge limits or rates are valid settings; keep the burst small so one input stays fast.
  ImpairmentCore core(settings);
  uint8_t packet[1500] = {0x45};
  Time now{0};
  for (int i = 0; i < 64; ++i) {
    const size_t length = 40 + static_cast<size_t>(i) * 23 % 1400;
    Decision decision = core.Process(PacketRef{packet, length}, now);
    if (decision.copies.empty()) abort();
    for (const CopyDecision &copy : decision.copies) {
      if (copy.Delivered() && copy.deliverAt < now) abort();
      if (copy.corruptBit && *copy.corruptBit >= length * 8) abort();
    }
    now += Duration(100000 + i * 37 % 900 * 1000);
  }
  return 0;
}
