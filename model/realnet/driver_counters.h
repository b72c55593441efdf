// What the OS side of the real-interface mode counts: traffic through the TUN device and the
// UDP socket, and the errors the kernel returned. Protocol counters live in the core.
#pragma once

#include <cstdint>

namespace tunnelsim::realnet {

struct DriverCounters {
  uint64_t tunPacketsRead = 0, tunBytesRead = 0;
  uint64_t tunPacketsWritten = 0, tunBytesWritten = 0;
  uint64_t tunReadErrors = 0, tunWriteErrors = 0;
  uint64_t udpDatagramsReceived = 0, udpBytesReceived = 0;
  uint64_t udpDatagramsSent = 0, udpBytesSent = 0;
  uint64_t udpReceiveErrors = 0, udpSendErrors = 0;
  uint64_t udpUnknownSourceFamily = 0; // datagrams whose source is neither IPv4 nor IPv6
  uint64_t timerCalls = 0;             // OnTimer calls made when a core deadline passed
  uint64_t loopWakeups = 0;
};

} // namespace tunnelsim::realnet
