#include "kernel_udp_flow.h"
#include "ipv4_socket_address.h"
#include "sender_receiver_flow.h"

#include "percentiles.h"

#include "realnet/clock.h"
#include "realnet/log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tunnelsim::emulate {
namespace {

using nlohmann::json;

// Above the relay loop's priority nothing may run; below charon's (10) the sender still wakes
// ahead of the other helpers' builds on the shared cores, so its deadlines hold. It only
// sleeps between packets (no spinning), so it cannot starve anything.
constexpr int kSenderRealtimePriority = 5;
// Socket buffers large enough that a scheduling hiccup of the receiver (tens of ms at the
// highest rates the relay carries) loses nothing at the receiving socket.
constexpr int kSocketBufferBytes = 8 << 20;
// Sequence numbers beyond this are not from our sender (the duplicate bitmap stays bounded).
constexpr uint64_t kMaxTrackedSequence = 1ull << 27;
constexpr size_t kReceiveBatch = 64;

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

// Sleeps until `when` (absolute CLOCK_MONOTONIC) or until `stop` is set, checking it at least
// every 50 ms.
void SleepUntil(Time when, const std::atomic<bool> &stop) {
  constexpr int64_t kSliceNs = 50'000'000;
  while (!stop) {
    const Time now = realnet::MonotonicNow();
    if (now >= when) return;
    const Time until = (when - now).count() > kSliceNs ? now + Duration(kSliceNs) : when;
    timespec ts{static_cast<time_t>(until.count() / 1000000000),
                static_cast<long>(until.count() % 1000000000)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
  }
}

class UdpFlow : public SenderReceiverFlow {
public:
  UdpFlow(std::string id, std::string direction, FlowEndpoints ends, FlowTiming timing,
          UdpFlowSettings settings)
      : SenderReceiverFlow(std::move(id)), direction_(std::move(direction)), ends_(ends),
        timing_(timing), settings_(settings) {}
  ~UdpFlow() override { StopAndJoin(); }

  json ResultsJson() const override {
    const double start = ToSeconds(timing_.start);
    const double end = ToSeconds(std::min(timing_.stop, timing_.runEnd));
    const uint64_t sent = packetsSent_.load();
    const uint64_t received = packetsReceived_.load();
    return {{"id", id_},
            {"kind", "udp"},
            {"direction", direction_},
            {"start_s", start},
            {"end_s", end},
            {"bytes_received", bytesReceived_.load()},
            {"goodput_mbps",
             end > start ? double(bytesReceived_.load()) * 8.0 / (end - start) / 1e6 : 0.0},
            {"packets_sent", sent},
            {"bytes_sent", bytesSent_.load()},
            // Emulate's own counts (the ns-3 sink counts bytes only): distinct sequence numbers
            // received by the run's end, the rest of those sent, and arrivals after a later one.
            {"packets_received", received},
            {"packets_lost", sent > received ? sent - received : 0},
            {"duplicates", duplicates_.load()},
            {"reordered", reordered_.load()},
            {"send_errors", sendErrors_.load()},
            // The first and the last counted arrival (s from the scenario's zero): the rate the
            // receiver saw.
            {"first_arrival_s",
             received > 0 ? json(ToSeconds(firstArrival_ - timing_.origin)) : json(nullptr)},
            {"last_arrival_s",
             received > 0 ? json(ToSeconds(lastArrival_ - timing_.origin)) : json(nullptr)},
            {"sender_realtime_priority", senderPriority_.load()},
            // How late each datagram left its sender against its deadline (us): the rate's
            // accuracy.
            {"send_lateness_us", scenario::SummariseSamples(lateUs_)}};
  }

private:
  void Receive() override {
    ends_.receiver->EnterOnThisThread();
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(realnet::ErrnoMessage("udp socket"));
    FdCloser closer{fd};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kSocketBufferBytes, sizeof(int)) != 0) {
      throw std::runtime_error(realnet::ErrnoMessage("SO_RCVBUFFORCE"));
    }
    const sockaddr_in local = Ipv4SocketAddress(ends_.receiverAddress, settings_.port);
    if (bind(fd, reinterpret_cast<const sockaddr *>(&local), sizeof(local)) != 0) {
      throw std::runtime_error(realnet::ErrnoMessage("bind udp"));
    }
    SignalListening();
    std::vector<std::vector<uint8_t>> buffers(kReceiveBatch,
                                              std::vector<uint8_t>(settings_.packetSize + 64));
    std::vector<iovec> iovecs(kReceiveBatch);
    std::vector<mmsghdr> messages(kReceiveBatch);
    std::vector<bool> seen;
    uint64_t highest = 0;
    bool any = false;
    const Time end = timing_.origin + timing_.runEnd;
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      for (size_t i = 0; i < kReceiveBatch; ++i) {
        iovecs[i] = {buffers[i].data(), buffers[i].size()};
        messages[i] = {};
        messages[i].msg_hdr.msg_iov = &iovecs[i];
        messages[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = recvmmsg(fd, messages.data(), kReceiveBatch, MSG_DONTWAIT, nullptr);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        throw std::runtime_error(realnet::ErrnoMessage("recvmmsg"));
      }
      const Time now = realnet::MonotonicNow();
      if (now > end) continue; // after the run: not counted, as in ns-3
      for (int i = 0; i < n; ++i) {
        const size_t size = messages[i].msg_len;
        if (size < 8) continue; // not ours
        uint64_t sequence = 0;
        for (int b = 0; b < 8; ++b)
          sequence = (sequence << 8) | buffers[i][b];
        if (sequence >= kMaxTrackedSequence) continue;
        if (sequence >= seen.size()) seen.resize(std::max<size_t>(sequence + 1, seen.size() * 2));
        if (seen[sequence]) {
          ++duplicates_;
          continue;
        }
        seen[sequence] = true;
        if (packetsReceived_ == 0) firstArrival_ = now;
        lastArrival_ = now;
        ++packetsReceived_;
        bytesReceived_ += size;
        if (any && sequence < highest) ++reordered_;
        if (!any || sequence > highest) highest = sequence;
        any = true;
      }
    }
  }

  void Send() override {
    ends_.sender->EnterOnThisThread();
    if (!WaitForReceiver()) return;
    sched_param param{};
    param.sched_priority = kSenderRealtimePriority;
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0) {
      senderPriority_ = kSenderRealtimePriority;
    }
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(realnet::ErrnoMessage("udp socket"));
    FdCloser closer{fd};
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &kSocketBufferBytes, sizeof(int)) != 0) {
      throw std::runtime_error(realnet::ErrnoMessage("SO_SNDBUFFORCE"));
    }
    const sockaddr_in local = Ipv4SocketAddress(ends_.senderAddress, 0);
    if (bind(fd, reinterpret_cast<const sockaddr *>(&local), sizeof(local)) != 0) {
      throw std::runtime_error(realnet::ErrnoMessage("bind udp"));
    }
    const sockaddr_in remote = Ipv4SocketAddress(ends_.receiverAddress, settings_.port);
    std::vector<uint8_t> payload(settings_.packetSize, 0x5a);
    const Time first = timing_.origin + timing_.start;
    const Time stopAt = timing_.origin + std::min(timing_.stop, timing_.runEnd);
    const uint64_t bitsPerPacket = uint64_t(settings_.packetSize) * 8;
    lateUs_.reserve(1 << 16);
    // Packet k leaves at start + k * interval (k from 1, as ns-3's OnOff application sends its
    // first packet one interval after it starts); exact in integer nanoseconds, no drift.
    for (uint64_t k = 1; !stop_; ++k) {
      const Time deadline =
          first + Duration(static_cast<int64_t>((unsigned __int128)k * bitsPerPacket * 1000000000u /
                                                settings_.rateBitsPerSecond));
      if (deadline >= stopAt) break;
      SleepUntil(deadline, stop_);
      if (stop_) break;
      const uint64_t sequence = k - 1;
      for (int b = 0; b < 8; ++b)
        payload[b] = static_cast<uint8_t>(sequence >> (56 - 8 * b));
      const ssize_t n = sendto(fd, payload.data(), payload.size(), MSG_DONTWAIT,
                               reinterpret_cast<const sockaddr *>(&remote), sizeof(remote));
      const Time now = realnet::MonotonicNow();
      if (lateUs_.size() < lateUs_.capacity()) lateUs_.push_back((now - deadline).count() / 1e3);
      if (n == static_cast<ssize_t>(payload.size())) {
        ++packetsSent_;
        bytesSent_ += payload.size();
      } else {
        // A full socket or device queue: counted, as a datagram the sender could not send.
        ++sendErrors_;
      }
    }
  }

  std::string direction_;
  FlowEndpoints ends_;
  FlowTiming timing_;
  UdpFlowSettings settings_;
  std::atomic<uint64_t> packetsSent_{0}, bytesSent_{0}, sendErrors_{0};
  std::atomic<uint64_t> packetsReceived_{0}, bytesReceived_{0}, duplicates_{0}, reordered_{0};
  std::atomic<int> senderPriority_{0};
  std::vector<double> lateUs_;            // written by the sender only, read after Join
  Time firstArrival_{0}, lastArrival_{0}; // written by the receiver only, read after Join
};

} // namespace

Duration UdpPacketInterval(const UdpFlowSettings &settings) {
  if (settings.rateBitsPerSecond == 0) throw std::invalid_argument("rate must be above 0");
  if (settings.packetSize < 8) {
    throw std::invalid_argument("packet_size must be at least 8 bytes in emulate (the payload "
                                "carries a 64-bit sequence number)");
  }
  return Duration(static_cast<int64_t>((unsigned __int128)settings.packetSize * 8 * 1000000000u /
                                       settings.rateBitsPerSecond));
}

std::unique_ptr<KernelFlow> MakeUdpFlow(std::string id, std::string direction, FlowEndpoints ends,
                                        FlowTiming timing, UdpFlowSettings settings) {
  UdpPacketInterval(settings); // validates
  return std::make_unique<UdpFlow>(std::move(id), std::move(direction), ends, timing, settings);
}

} // namespace tunnelsim::emulate
