// A constant-rate UDP flow carried by the Linux kernel, the emulate twin of the ns-3 engine's
// [[traffic.udp]] (an OnOff application at a constant rate into a packet sink): a sender thread
// in the sending host's namespace writes `packetSize`-byte datagrams at absolute deadlines
// (start + k * interval, k = 1, 2, ...; clock_nanosleep TIMER_ABSTIME, so a late wake-up does
// not shift the later packets), and a receiver thread in the other namespace counts them. Each
// payload starts with a 64-bit sequence number, so the receiver also counts duplicates and
// packets that arrive after a later one (reordered).
#pragma once

#include "kernel_flows.h"

#include <memory>
#include <string>

namespace tunnelsim::emulate {

struct UdpFlowSettings {
  uint64_t rateBitsPerSecond = 0; // of UDP payload, as the engine's `rate`
  size_t packetSize = 0;          // UDP payload bytes (at least 8: the sequence number)
  uint16_t port = 0;
};

// The interval between packets: packet_size * 8 / rate, as ns-3's OnOff application at a
// constant rate (throws std::invalid_argument for a zero rate or a packet below 8 bytes).
Duration UdpPacketInterval(const UdpFlowSettings &settings);

std::unique_ptr<KernelFlow> MakeUdpFlow(std::string id, std::string direction, FlowEndpoints ends,
                                        FlowTiming timing, UdpFlowSettings settings);

} // namespace tunnelsim::emulate
