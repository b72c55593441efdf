// Cost of one impairment decision, as a real-time relay would pay it per packet.
#include "impairment/impairment_core.h"
#include "impairment/netem_parser.h"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

void BM_ImpairmentCoreProcess(benchmark::State &state) {
  using namespace tunnelsim::impairment;
  auto settings = ParseNetemArguments(
      "delay 20ms 5ms 25% distribution paretonormal loss gemodel 1% 10% duplicate 1% "
      "corrupt 1% reorder 5% rate 1gbit limit 100000");
  ImpairmentCore core(settings);
  std::vector<uint8_t> packet(1400, 0);
  packet[0] = 0x45;
  int64_t now = 0;
  for (auto _ : state) {
    now += 12000;
    benchmark::DoNotOptimize(
        core.Process(PacketRef{packet.data(), packet.size()}, tunnelsim::Time(now)));
  }
}
BENCHMARK(BM_ImpairmentCoreProcess);

} // namespace
