#define BOOST_TEST_MODULE realnet
#include <boost/test/unit_test.hpp>

#include "realnet/clock.h"
#include "realnet/event_loop.h"
#include "realnet/log.h"
#include "realnet/stats.h"
#include "realnet/udp_socket.h"
#include "realnet/wg_up_options.h"
#include "wireguard/config.h"
#include "wireguard/device.h"

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <netinet/in.h>
#include <thread>
#include <unistd.h>

using namespace tunnelsim;
using namespace tunnelsim::realnet;

namespace {

std::optional<WgUpOptions> Parse(std::vector<std::string> args, std::string &error) {
  return ParseWgUpOptions(args, error);
}

constexpr char kConfig[] = R"([Interface]
PrivateKey = 0AqAm+uSxpkuXCnjZMzkJXVr6fY4NfESsTlF5EYt/Uw=
ListenPort = 51820
Address = 10.9.0.1/24

[Peer]
PublicKey = HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=
AllowedIPs = 10.9.0.2/32, fd00:9::2/128
Endpoint = 192.0.2.7:51821
)";

} // namespace

BOOST_AUTO_TEST_SUITE(options)

BOOST_AUTO_TEST_CASE(defaults_interface_name_from_config_file) {
  std::string error;
  auto options = Parse({"/etc/wireguard/wg7.conf"}, error);
  BOOST_REQUIRE(options);
  BOOST_TEST(options->configPath == "/etc/wireguard/wg7.conf");
  BOOST_TEST(options->interfaceName == "wg7");
  BOOST_TEST(options->statsFile.empty());
  BOOST_TEST(options->configureIp);
  BOOST_TEST(!options->verbose);
}

BOOST_AUTO_TEST_CASE(accepts_the_wg_up_word_and_all_flags) {
  std::string error;
  auto options = Parse({"wg-up", "x.conf", "--interface", "tun9", "--stats-file", "/tmp/s.json",
                        "--no-ip-config", "-v"},
                       error);
  BOOST_REQUIRE(options);
  BOOST_TEST(options->interfaceName == "tun9");
  BOOST_TEST(options->statsFile == "/tmp/s.json");
  BOOST_TEST(!options->configureIp);
  BOOST_TEST(options->verbose);
  options = Parse({"x.conf", "--interface=abc", "--stats-file=s.json"}, error);
  BOOST_REQUIRE(options);
  BOOST_TEST(options->interfaceName == "abc");
  BOOST_TEST(options->statsFile == "s.json");
}

BOOST_AUTO_TEST_CASE(rejects_bad_usage) {
  std::string error;
  BOOST_TEST(!Parse({}, error));
  BOOST_TEST(error == "missing CONFIG");
  BOOST_TEST(!Parse({"a.conf", "b.conf"}, error));
  BOOST_TEST(!Parse({"a.conf", "--stats-file"}, error));
  BOOST_TEST(error == "--stats-file needs a value");
  BOOST_TEST(!Parse({"a.conf", "--frobnicate"}, error));
  BOOST_TEST(!Parse({"a-very-long-config-name.conf"}, error));
  BOOST_TEST(error.find("--interface") != std::string::npos);
  auto help = Parse({"--help"}, error);
  BOOST_REQUIRE(help);
  BOOST_TEST(help->help);
}

BOOST_AUTO_TEST_CASE(interface_names) {
  BOOST_TEST(InterfaceNameFromConfigPath("wg0.conf") == "wg0");
  BOOST_TEST(InterfaceNameFromConfigPath("dir/x.y.conf") == "x.y");
  BOOST_TEST(InterfaceNameFromConfigPath("noext") == "noext");
  BOOST_TEST(IsValidInterfaceName("wg0"));
  BOOST_TEST(IsValidInterfaceName("abcdefghijklmno"));
  BOOST_TEST(!IsValidInterfaceName("abcdefghijklmnop"));
  BOOST_TEST(!IsValidInterfaceName(""));
  BOOST_TEST(!IsValidInterfaceName("a/b"));
  BOOST_TEST(!IsValidInterfaceName("a b"));
  BOOST_TEST(!IsValidInterfaceName(".."));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sockaddr_conversion)

BOOST_AUTO_TEST_CASE(ipv4_endpoint_is_v4_mapped_on_a_dual_stack_socket) {
  auto endpoint = *wireguard::Endpoint::Parse("192.0.2.1:51820");
  sockaddr_storage storage{};
  socklen_t length = ToSockaddr(endpoint, AF_INET6, storage);
  BOOST_REQUIRE_EQUAL(length, sizeof(sockaddr_in6));
  const auto *v6 = reinterpret_cast<const sockaddr_in6 *>(&storage);
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
  BOOST_TEST(std::string(text) == "::ffff:192.0.2.1");
  BOOST_TEST(ntohs(v6->sin6_port) == 51820);
  auto back = FromSockaddr(reinterpret_cast<sockaddr *>(&storage), length);
  BOOST_REQUIRE(back);
  BOOST_TEST(back->address.IsV4());
  BOOST_TEST(back->ToString() == "192.0.2.1:51820");
}

BOOST_AUTO_TEST_CASE(ipv6_and_ipv4_only_sockets) {
  auto v6endpoint = *wireguard::Endpoint::Parse("[2001:db8::5]:443");
  sockaddr_storage storage{};
  socklen_t length = ToSockaddr(v6endpoint, AF_INET6, storage);
  auto back = FromSockaddr(reinterpret_cast<sockaddr *>(&storage), length);
  BOOST_REQUIRE(back);
  BOOST_TEST(back->ToString() == "[2001:db8::5]:443");
  BOOST_TEST(ToSockaddr(v6endpoint, AF_INET, storage) == 0u);

  auto v4endpoint = *wireguard::Endpoint::Parse("198.51.100.9:1");
  length = ToSockaddr(v4endpoint, AF_INET, storage);
  BOOST_TEST(length == sizeof(sockaddr_in));
  back = FromSockaddr(reinterpret_cast<sockaddr *>(&storage), length);
  BOOST_REQUIRE(back);
  BOOST_TEST(back->ToString() == "198.51.100.9:1");

  sockaddr_storage unix{};
  unix.ss_family = AF_UNIX;
  BOOST_TEST(!FromSockaddr(reinterpret_cast<sockaddr *>(&unix), sizeof unix));
  // A truncated address is refused rather than read past its end.
  storage.ss_family = AF_INET6;
  BOOST_TEST(!FromSockaddr(reinterpret_cast<sockaddr *>(&storage), sizeof(sockaddr_in)));
}

BOOST_AUTO_TEST_CASE(udp_socket_round_trip_on_loopback) {
  std::string error;
  auto a = UdpSocket::Open(0, error);
  auto b = UdpSocket::Open(0, error);
  BOOST_REQUIRE_MESSAGE(a && b, error);
  BOOST_TEST(a->port() != 0);
  const uint8_t payload[] = {1, 2, 3, 4, 5};
  auto to = *wireguard::Endpoint::Parse("127.0.0.1:" + std::to_string(b->port()));
  BOOST_REQUIRE(a->SendTo(to, payload, sizeof payload));
  uint8_t buffer[64];
  std::optional<wireguard::Endpoint> from;
  ssize_t n = -1;
  for (int i = 0; i < 1000 && n < 0; ++i) {
    n = b->ReceiveFrom(buffer, sizeof buffer, from);
    if (n < 0) usleep(1000);
  }
  BOOST_REQUIRE_EQUAL(n, 5);
  BOOST_REQUIRE(from);
  BOOST_TEST(from->ToString() == "127.0.0.1:" + std::to_string(a->port()));
  BOOST_TEST(b->ReceiveFrom(buffer, sizeof buffer, from) == -1);
  BOOST_TEST(errno == EAGAIN);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(event_loop)

BOOST_AUTO_TEST_CASE(timer_fires_at_the_absolute_deadline) {
  EventLoop loop;
  std::string error;
  BOOST_REQUIRE(loop.ok(error));
  Time start = MonotonicNow();
  Time deadline = start + Milliseconds(30);
  Time firedAt{0};
  loop.SetTimerHandler([&] {
    firedAt = MonotonicNow();
    loop.Stop();
  });
  loop.SetDeadline(deadline);
  BOOST_REQUIRE(loop.Run(error));
  BOOST_TEST((firedAt >= deadline));
  BOOST_TEST(ToSeconds(firedAt - deadline) < 0.5);
  BOOST_TEST(loop.timerExpiries() == 1u);
  BOOST_TEST((loop.deadline() == kNever));
}

BOOST_AUTO_TEST_CASE(past_deadline_fires_at_once_and_never_disarms) {
  EventLoop loop;
  std::string error;
  int fired = 0;
  loop.SetTimerHandler([&] {
    ++fired;
    loop.Stop();
  });
  loop.SetDeadline(Time(0));
  BOOST_REQUIRE(loop.Run(error));
  BOOST_TEST(fired == 1);

  // A disarmed timer never fires: only the readable pipe ends this run.
  int fds[2];
  BOOST_REQUIRE(pipe(fds) == 0);
  loop.SetDeadline(MonotonicNow() + Milliseconds(10));
  loop.SetDeadline(kNever);
  int reads = 0;
  BOOST_REQUIRE(loop.WatchReadable(
      fds[0],
      [&] {
        char c;
        BOOST_TEST(read(fds[0], &c, 1) == 1);
        ++reads;
        loop.Stop();
      },
      error));
  std::thread writer([&] {
    usleep(50000);
    BOOST_TEST(write(fds[1], "x", 1) == 1);
  });
  BOOST_REQUIRE(loop.Run(error));
  writer.join();
  BOOST_TEST(fired == 1);
  BOOST_TEST(reads == 1);
  close(fds[0]);
  close(fds[1]);
}

BOOST_AUTO_TEST_CASE(signals_arrive_through_the_loop) {
  EventLoop loop;
  std::string error;
  int received = 0;
  BOOST_REQUIRE(loop.WatchSignals(
      {SIGUSR2},
      [&](int s) {
        received = s;
        loop.Stop();
      },
      error));
  // Blocked and routed to the signalfd: raising it does not kill the process.
  BOOST_REQUIRE(raise(SIGUSR2) == 0);
  BOOST_REQUIRE(loop.Run(error));
  BOOST_TEST(received == SIGUSR2);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(log_throttle_limits_and_counts) {
  LogThrottle throttle(1000);
  uint64_t suppressed = 99;
  BOOST_TEST(throttle.Allow(0, suppressed));
  BOOST_TEST(suppressed == 0u);
  BOOST_TEST(!throttle.Allow(10, suppressed));
  BOOST_TEST(!throttle.Allow(999, suppressed));
  BOOST_TEST(throttle.Allow(1000, suppressed));
  BOOST_TEST(suppressed == 2u);
}

BOOST_AUTO_TEST_CASE(stats_json_has_device_peer_and_driver_counters) {
  wireguard::DeviceConfig config = wireguard::ParseWgQuickConfig(kConfig);
  crypto::DeterministicRandom rng(1);
  wireguard::Device device(config, rng, Seconds(100));
  // One packet for the peer: the core starts a handshake and stages the packet.
  crypto::Bytes packet(28, 0);
  packet[0] = 0x45;
  packet[3] = 28;
  packet[8] = 64;
  packet[9] = 17;
  const uint8_t src[] = {10, 9, 0, 1}, dst[] = {10, 9, 0, 2};
  std::copy(src, src + 4, packet.begin() + 12);
  std::copy(dst, dst + 4, packet.begin() + 16);
  auto actions = device.OnTunnelPacket(packet, Seconds(101));
  BOOST_REQUIRE_EQUAL(actions.toNetwork.size(), 1u);

  DriverCounters driver;
  driver.tunPacketsRead = 1;
  driver.udpDatagramsSent = 1;
  StatsContext context{"wgtest", 51820, Seconds(100), Seconds(103)};
  nlohmann::json stats = StatsJson(device, driver, context);
  BOOST_TEST(stats["interface"] == "wgtest");
  BOOST_TEST(stats["listen_port"] == 51820);
  BOOST_TEST(stats["uptime_seconds"].get<double>() == 3.0);
  BOOST_TEST(stats["device"]["handshake_initiations_sent"] == 1);
  BOOST_TEST(stats["device"]["drops"].contains("unknown_index"));
  BOOST_TEST(stats["driver"]["tun_packets_read"] == 1);
  BOOST_TEST(stats["driver"]["udp_datagrams_sent"] == 1);
  BOOST_REQUIRE_EQUAL(stats["peers"].size(), 1u);
  const auto &peer = stats["peers"][0];
  BOOST_TEST(peer["public_key"] == "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=");
  BOOST_TEST(peer["endpoint"] == "192.0.2.7:51821");
  BOOST_TEST(peer["staged_packets"] == 1);
  BOOST_TEST(peer["handshake_initiations_sent"] == 1);
  BOOST_TEST(peer["last_handshake_seconds_ago"].is_null());
  BOOST_TEST(peer["allowed_ips"].size() == 2u);
  // No secret in the output.
  BOOST_TEST(stats.dump().find("0AqAm+uSxpkuXCnjZMzkJXVr6fY4NfESsTlF5EYt/Uw=") ==
             std::string::npos);

  char path[] = "/tmp/realnet-stats-XXXXXX";
  int fd = mkstemp(path);
  BOOST_REQUIRE(fd >= 0);
  close(fd);
  std::string error;
  BOOST_REQUIRE(WriteJsonFile(path, stats, error));
  std::ifstream in(path);
  BOOST_TEST(nlohmann::json::parse(in) == stats);
  std::remove(path);
  BOOST_TEST(!WriteJsonFile("/nonexistent-dir/x.json", stats, error));
  BOOST_TEST(!error.empty());
}
