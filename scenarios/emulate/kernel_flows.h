// The scenario's traffic carried by the Linux kernel: each bulk flow is a TCP sender thread in
// the sending host's namespace and a receiver thread in the other, each ping flow an ICMP echo
// thread; goodput is counted at the receiving socket, TCP state read with TCP_INFO at the
// sender. Times are CLOCK_MONOTONIC; `origin` is the scenario's time zero.
#pragma once

#include "network_namespace.h"

#include "common/time.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tunnelsim::emulate {

struct KernelTcpOptions {
  std::string congestion = "cubic"; // the kernel's name (reno, cubic, bbr)
  int maxSegment = 0;               // TCP_MAXSEG (the MSS option, timestamps included)
  int sendBuffer = 0;               // SO_SNDBUFFORCE
  int receiveBuffer = 0;            // SO_RCVBUFFORCE
};

struct FlowEndpoints {
  const NetworkNamespace *sender = nullptr;
  const NetworkNamespace *receiver = nullptr;
  uint32_t senderAddress = 0; // host byte order
  uint32_t receiverAddress = 0;
};

// Throws std::runtime_error when this kernel has no congestion control `name`.
void RequireCongestionControl(const std::string &name);

// One flow's threads. Start() launches them; Finish() stops them at `runEnd` and joins.
class KernelFlow {
public:
  virtual ~KernelFlow() = default;
  virtual void Start() = 0;
  virtual void RequestStop() = 0;
  virtual void Join() = 0;
  // One time-series sample (goodput since the last sample, cwnd, RTT, then TCP_INFO's ssthresh,
  // ca_state, total_retrans, reord_seen and reordering); bulk flows only.
  virtual void Sample(double /*timeSeconds*/, double /*intervalSeconds*/, std::string & /*csv*/) {}
  virtual nlohmann::json ResultsJson() const = 0;
  // A problem that made the flow fail (empty when none).
  virtual std::string Failure() const = 0;
};

struct FlowTiming {
  Time origin{0};
  Duration start{0};
  Duration stop{0}; // when the sender stops (the run's end when the scenario gives none)
  Duration runEnd{0};
};

std::unique_ptr<KernelFlow> MakeBulkFlow(std::string id, std::string direction, FlowEndpoints ends,
                                         FlowTiming timing, uint64_t bytes, uint16_t port,
                                         KernelTcpOptions options);

std::unique_ptr<KernelFlow> MakePingFlow(std::string id, std::string direction, FlowEndpoints ends,
                                         FlowTiming timing, Duration interval, size_t payloadSize,
                                         uint16_t ident);

} // namespace tunnelsim::emulate
