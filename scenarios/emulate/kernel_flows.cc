#include "kernel_flows.h"
#include "ipv4_socket_address.h"
#include "sender_receiver_flow.h"

#include "percentiles.h"

#include "common/internet_checksum.h"
#include "realnet/clock.h"
#include "realnet/log.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>

namespace tunnelsim::emulate {
namespace {

using nlohmann::json;

void SleepUntil(Time when) {
  timespec ts{static_cast<time_t>(when.count() / 1000000000),
              static_cast<long>(when.count() % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

void SetOption(int fd, int level, int name, const void *value, socklen_t size,
               const std::string &what) {
  if (setsockopt(fd, level, name, value, size) != 0)
    throw std::runtime_error(realnet::ErrnoMessage(what));
}

void ApplyTcpOptions(int fd, const KernelTcpOptions &o, bool sender) {
  if (o.maxSegment > 0)
    SetOption(fd, IPPROTO_TCP, TCP_MAXSEG, &o.maxSegment, sizeof(int), "TCP_MAXSEG");
  if (sender && o.sendBuffer > 0) {
    SetOption(fd, SOL_SOCKET, SO_SNDBUFFORCE, &o.sendBuffer, sizeof(int), "SO_SNDBUFFORCE");
  }
  if (o.receiveBuffer > 0) {
    SetOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, &o.receiveBuffer, sizeof(int), "SO_RCVBUFFORCE");
  }
  if (sender) {
    SetOption(fd, IPPROTO_TCP, TCP_CONGESTION, o.congestion.data(),
              static_cast<socklen_t>(o.congestion.size()), "TCP_CONGESTION " + o.congestion);
  }
}

class FailureNote {
public:
  void Set(const std::string &text) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (text_.empty()) text_ = text;
  }
  std::string Get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }

private:
  mutable std::mutex mutex_;
  std::string text_;
};

class BulkFlow : public SenderReceiverFlow {
public:
  BulkFlow(std::string id, std::string direction, FlowEndpoints ends, FlowTiming timing,
           uint64_t bytes, uint16_t port, KernelTcpOptions options)
      : SenderReceiverFlow(std::move(id)), direction_(std::move(direction)), ends_(ends),
        timing_(timing), bytes_(bytes), port_(port), options_(std::move(options)) {}

  ~BulkFlow() override { StopAndJoin(); }

  void Sample(double timeSeconds, double intervalSeconds, std::string &csv) override {
    const uint64_t received = received_.load();
    const double goodput = double(received - lastSampled_) * 8.0 / intervalSeconds / 1e6;
    lastSampled_ = received;
    std::string cwnd, rtt, state = ",,,,";
    tcp_info info{};
    socklen_t size = sizeof(info);
    const int fd = senderFd_.load();
    if (fd >= 0 && getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) == 0) {
      cwnd = std::to_string(uint64_t(info.tcpi_snd_cwnd) * info.tcpi_snd_mss);
      if (info.tcpi_rtt > 0) {
        rttSamplesMs_.push_back(info.tcpi_rtt / 1000.0);
        rtt = std::to_string(info.tcpi_rtt / 1000.0);
      }
      // ssthresh in segments (2147483647 while slow start has never ended), the congestion
      // state (0 open, 1 disorder, 2 CWR, 3 recovery, 4 loss), and the reordering counters.
      state = std::to_string(info.tcpi_snd_ssthresh) + "," + std::to_string(info.tcpi_ca_state) +
              "," + std::to_string(info.tcpi_total_retrans) + "," +
              std::to_string(info.tcpi_reord_seen) + "," + std::to_string(info.tcpi_reordering);
    }
    csv += std::to_string(timeSeconds) + "," + id_ + ",bulk," + std::to_string(goodput) + "," +
           cwnd + "," + rtt + "," + state + "\n";
  }

  json ResultsJson() const override {
    const double start = ToSeconds(timing_.start);
    const double end = ToSeconds(std::min(timing_.stop, timing_.runEnd));
    const uint64_t received = received_.load();
    json flow = {{"id", id_},
                 {"kind", "bulk"},
                 {"direction", direction_},
                 {"start_s", start},
                 {"end_s", end},
                 {"bytes_received", received},
                 {"goodput_mbps", end > start ? double(received) * 8.0 / (end - start) / 1e6 : 0.0},
                 {"tcp_stack", "kernel"},
                 {"rtt_ms", scenario::SummariseSamples(rttSamplesMs_)}};
    if (haveFinal_) {
      const tcp_info &i = final_;
      flow["data_segments_sent"] = i.tcpi_data_segs_out;
      flow["data_bytes_sent"] = i.tcpi_bytes_sent;
      flow["retransmissions"] = i.tcpi_total_retrans;
      flow["retransmitted_bytes"] = i.tcpi_bytes_retrans;
      flow["kernel_tcp_info"] = {{"total_retrans", i.tcpi_total_retrans},
                                 {"dsack_dups", i.tcpi_dsack_dups},
                                 {"reord_seen", i.tcpi_reord_seen},
                                 {"reordering", i.tcpi_reordering},
                                 {"snd_cwnd", i.tcpi_snd_cwnd},
                                 {"snd_ssthresh", i.tcpi_snd_ssthresh},
                                 {"snd_mss", i.tcpi_snd_mss},
                                 {"rtt_us", i.tcpi_rtt},
                                 {"rttvar_us", i.tcpi_rttvar},
                                 {"min_rtt_us", i.tcpi_min_rtt},
                                 {"rto_us", i.tcpi_rto},
                                 {"lost", i.tcpi_lost},
                                 {"sacked", i.tcpi_sacked},
                                 {"segs_out", i.tcpi_segs_out},
                                 {"delivery_rate_bps", i.tcpi_delivery_rate * 8},
                                 {"ca_state", i.tcpi_ca_state}};
    } else {
      flow["data_segments_sent"] = nullptr;
      flow["data_bytes_sent"] = nullptr;
      flow["retransmissions"] = nullptr;
      flow["retransmitted_bytes"] = nullptr;
    }
    return flow;
  }

private:
  void Receive() override {
    ends_.receiver->EnterOnThisThread();
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) throw std::runtime_error(realnet::ErrnoMessage("socket"));
    struct Closer {
      int fd;
      ~Closer() { close(fd); }
    } closeListener{listener};
    const int one = 1;
    SetOption(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one), "SO_REUSEADDR");
    ApplyTcpOptions(listener, options_, false);
    const sockaddr_in local = Ipv4SocketAddress(ends_.receiverAddress, port_);
    if (bind(listener, reinterpret_cast<const sockaddr *>(&local), sizeof(local)) != 0) {
      throw std::runtime_error(realnet::ErrnoMessage("bind"));
    }
    if (listen(listener, 4) != 0) throw std::runtime_error(realnet::ErrnoMessage("listen"));
    SignalListening();
    int connection = -1;
    while (!stop_ && connection < 0) {
      pollfd p{listener, POLLIN, 0};
      if (poll(&p, 1, 50) > 0) connection = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    }
    if (connection < 0) return;
    Closer closeConnection{connection};
    std::vector<uint8_t> buffer(1 << 18);
    const Time end = timing_.origin + timing_.runEnd;
    while (!stop_) {
      pollfd p{connection, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = recv(connection, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        throw std::runtime_error(realnet::ErrnoMessage("recv"));
      }
      if (realnet::MonotonicNow() <= end) received_ += static_cast<uint64_t>(n);
    }
  }

  void Send() override {
    ends_.sender->EnterOnThisThread();
    if (!WaitForReceiver()) return;
    SleepUntil(timing_.origin + timing_.start);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(realnet::ErrnoMessage("socket"));
    struct Closer {
      int fd;
      ~Closer() { close(fd); }
    } closeSocket{fd};
    ApplyTcpOptions(fd, options_, true);
    const sockaddr_in local = Ipv4SocketAddress(ends_.senderAddress, 0);
    if (bind(fd, reinterpret_cast<const sockaddr *>(&local), sizeof(local)) != 0) {
      throw std::runtime_error(realnet::ErrnoMessage("bind"));
    }
    const sockaddr_in remote = Ipv4SocketAddress(ends_.receiverAddress, port_);
    // Non-blocking, so a stop request (a failed or interrupted run) never waits for the
    // kernel's SYN retries.
    const int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (connect(fd, reinterpret_cast<const sockaddr *>(&remote), sizeof(remote)) != 0) {
      if (errno != EINPROGRESS) throw std::runtime_error(realnet::ErrnoMessage("connect"));
      for (;;) {
        if (stop_) return;
        pollfd p{fd, POLLOUT, 0};
        if (poll(&p, 1, 50) > 0) break;
      }
      int error = 0;
      socklen_t size = sizeof(error);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
      if (error != 0) {
        errno = error;
        throw std::runtime_error(realnet::ErrnoMessage("connect"));
      }
    }
    fcntl(fd, F_SETFL, flags);
    const timeval timeout{0, 20000};
    SetOption(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout), "SO_SNDTIMEO");
    senderFd_ = fd;
    std::vector<uint8_t> chunk(1 << 16, 0x5a);
    const Time stopAt = timing_.origin + std::min(timing_.stop, timing_.runEnd);
    uint64_t sent = 0;
    while (!stop_ && realnet::MonotonicNow() < stopAt && (bytes_ == 0 || sent < bytes_)) {
      const size_t want =
          bytes_ == 0 ? chunk.size()
                      : static_cast<size_t>(std::min<uint64_t>(chunk.size(), bytes_ - sent));
      const ssize_t n = send(fd, chunk.data(), want, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<uint64_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        throw std::runtime_error(realnet::ErrnoMessage("send"));
      }
    }
    // In-flight data keeps arriving until the run ends, as in ns-3; TCP_INFO is read then.
    while (!stop_)
      usleep(10000);
    socklen_t size = sizeof(final_);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &final_, &size) == 0) haveFinal_ = true;
    senderFd_ = -1;
  }

  std::string direction_;
  FlowEndpoints ends_;
  FlowTiming timing_;
  uint64_t bytes_;
  uint16_t port_;
  KernelTcpOptions options_;
  std::atomic<uint64_t> received_{0};
  std::atomic<int> senderFd_{-1};
  uint64_t lastSampled_ = 0;
  std::vector<double> rttSamplesMs_;
  tcp_info final_{};
  bool haveFinal_ = false;
};

class PingFlow : public KernelFlow {
public:
  PingFlow(std::string id, std::string direction, FlowEndpoints ends, FlowTiming timing,
           Duration interval, size_t size, uint16_t ident)
      : id_(std::move(id)), direction_(std::move(direction)), ends_(ends), timing_(timing),
        interval_(interval), size_(size), ident_(ident) {}
  ~PingFlow() override {
    RequestStop();
    Join();
  }
  void Start() override {
    thread_ = std::thread([this] {
      try {
        Run();
      } catch (const std::exception &error) {
        failure_.Set(id_ + ": " + error.what());
      }
    });
  }
  void RequestStop() override { stop_ = true; }
  void Join() override {
    if (thread_.joinable()) thread_.join();
  }
  json ResultsJson() const override {
    return {{"id", id_},
            {"kind", "ping"},
            {"direction", direction_},
            {"start_s", ToSeconds(timing_.start)},
            {"end_s", ToSeconds(std::min(timing_.stop, timing_.runEnd))},
            {"replies", rttMs_.size()},
            {"rtt_ms", scenario::SummariseSamples(rttMs_)}};
  }
  std::string Failure() const override { return failure_.Get(); }

private:
  void Run() {
    ends_.sender->EnterOnThisThread();
    const int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd < 0) throw std::runtime_error(realnet::ErrnoMessage("raw ICMP socket"));
    struct Closer {
      int fd;
      ~Closer() { close(fd); }
    } closer{fd};
    const sockaddr_in remote = Ipv4SocketAddress(ends_.receiverAddress, 0);
    const Time stopAt = timing_.origin + std::min(timing_.stop, timing_.runEnd);
    const Time runEnd = timing_.origin + timing_.runEnd;
    Time nextSend = timing_.origin + timing_.start;
    uint16_t sequence = 0;
    std::map<uint16_t, Time> sentAt;
    std::vector<uint8_t> request(8 + size_), reply(65536);
    while (!stop_) {
      Time now = realnet::MonotonicNow();
      if (now >= runEnd) break;
      if (nextSend < stopAt && now >= nextSend) {
        std::fill(request.begin(), request.end(), 0);
        request[0] = 8; // echo request
        request[4] = static_cast<uint8_t>(ident_ >> 8);
        request[5] = static_cast<uint8_t>(ident_);
        request[6] = static_cast<uint8_t>(sequence >> 8);
        request[7] = static_cast<uint8_t>(sequence);
        const uint16_t checksum = InternetChecksum(request.data(), request.size());
        request[2] = static_cast<uint8_t>(checksum >> 8);
        request[3] = static_cast<uint8_t>(checksum);
        sentAt[sequence++] = now;
        sendto(fd, request.data(), request.size(), 0, reinterpret_cast<const sockaddr *>(&remote),
               sizeof(remote));
        nextSend += interval_;
        continue;
      }
      const Time wake = std::min(nextSend < stopAt ? nextSend : runEnd, runEnd);
      const int waitMs = static_cast<int>(
          std::max<int64_t>(0, std::min<int64_t>(50, (wake - now).count() / 1000000 + 1)));
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, waitMs) <= 0) continue;
      const ssize_t n = recv(fd, reply.data(), reply.size(), MSG_DONTWAIT);
      const Time received = realnet::MonotonicNow();
      if (n < 28 || received > runEnd) continue;
      const size_t ihl = size_t(reply[0] & 0x0f) * 4;
      if (size_t(n) < ihl + 8 || reply[ihl] != 0) continue; // echo reply only
      const uint16_t ident = static_cast<uint16_t>((reply[ihl + 4] << 8) | reply[ihl + 5]);
      const uint16_t seq = static_cast<uint16_t>((reply[ihl + 6] << 8) | reply[ihl + 7]);
      auto it = sentAt.find(seq);
      if (ident != ident_ || it == sentAt.end()) continue;
      rttMs_.push_back(double((received - it->second).count()) / 1e6);
      sentAt.erase(it);
    }
  }

  std::string id_, direction_;
  FlowEndpoints ends_;
  FlowTiming timing_;
  Duration interval_;
  size_t size_;
  uint16_t ident_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::vector<double> rttMs_;
  FailureNote failure_;
};

} // namespace

void RequireCongestionControl(const std::string &name) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(realnet::ErrnoMessage("socket"));
  const int result =
      setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name.data(), static_cast<socklen_t>(name.size()));
  const int error = errno;
  close(fd);
  if (result != 0) {
    throw std::runtime_error("this kernel has no TCP congestion control \"" + name + "\" (" +
                             std::strerror(error) + "; try modprobe tcp_" + name + ")");
  }
}

std::unique_ptr<KernelFlow> MakeBulkFlow(std::string id, std::string direction, FlowEndpoints ends,
                                         FlowTiming timing, uint64_t bytes, uint16_t port,
                                         KernelTcpOptions options) {
  return std::make_unique<BulkFlow>(std::move(id), std::move(direction), ends, timing, bytes, port,
                                    std::move(options));
}

std::unique_ptr<KernelFlow> MakePingFlow(std::string id, std::string direction, FlowEndpoints ends,
                                         FlowTiming timing, Duration interval, size_t payloadSize,
                                         uint16_t ident) {
  return std::make_unique<PingFlow>(std::move(id), std::move(direction), ends, timing, interval,
                                    payloadSize, ident);
}

} // namespace tunnelsim::emulate
