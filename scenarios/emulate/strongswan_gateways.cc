#include "strongswan_gateways.h"

#include "child_process.h"
#include "relay_driver.h"
#include "relay_from_scenario.h"

#include "realnet/clock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tunnelsim::emulate {
namespace {

using nlohmann::json;

constexpr const char *kConnection = "site";
constexpr const char *kChild = "lan";
// The plugins charon needs for PSK, AES-GCM and ChaCha20-Poly1305 (openssl, gcm), X25519,
// prf+ (kdf, from 5.9.8 on), userspace ESP and the vici control socket.
constexpr const char *kPlugins = "random nonce openssl gcm aes sha2 hmac kdf x25519 "
                                 "kernel-libipsec kernel-netlink socket-default vici";
// What charon logs for each ESP packet its anti-replay check drops, and for each that fails
// authentication (libipsec's esp_packet.c, log group esp, level 1).
constexpr const char *kReplayDropLine = "ESP sequence number verification failed";
constexpr const char *kIcvDropLine = "ESP decryption or ICV verification failed";
// charon's real-time priority (SCHED_FIFO), below the relay loop's 20 (relay_driver.cc).
constexpr int kCharonPriority = 10;
// kernel-libipsec reads packets from ipsec0 into buffers of its own MTU (1400).
constexpr uint32_t kLibipsecMtu = 1400;
// As emulate does for its own TUNs: a deep transmit ring, so a slow-start burst into ipsec0
// waits for charon instead of being dropped by the kernel (drops no part of the path).
constexpr int kTunQueuePackets = 20000;

std::string Dotted(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::string ReadFile(const std::filesystem::path &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Tail(const std::string &text, size_t size = 2000) {
  return text.size() <= size ? text : text.substr(text.size() - size);
}

size_t CountLines(const std::string &text, const std::string &needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

std::string Proposal(tunnel::Aead aead) {
  return aead == tunnel::Aead::kChacha20Poly1305 ? "chacha20poly1305" : "aes256gcm16";
}

// The CHILD_SA's fields from `swanctl --list-sas --raw` (key=value pairs inside the child).
json ChildFromRaw(const std::string &raw) {
  json child = json::object();
  const size_t at = raw.find("child-sas");
  if (at == std::string::npos) return child;
  static const std::regex pair(R"(([a-z-]+)=([^ {}]+))");
  const std::string text = raw.substr(at);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), pair); it != std::sregex_iterator();
       ++it) {
    const std::string key = (*it)[1], value = (*it)[2];
    if (key == "state" || key == "spi-in" || key == "spi-out" || key == "encr-alg" ||
        key == "mode" || key == "encap") {
      if (!child.contains(key)) child[key] = value;
    } else if (key == "bytes-in" || key == "bytes-out" || key == "packets-in" ||
               key == "packets-out") {
      if (!child.contains(key)) child[key] = std::strtoull(value.c_str(), nullptr, 10);
    }
  }
  return child;
}

} // namespace

std::string StrongSwanMissing() {
  std::string missing;
  for (const char *tool : {kCharonPath, kSwanctlPath}) {
    if (access(tool, X_OK) != 0) missing += std::string(missing.empty() ? "" : ", ") + tool;
  }
  if (missing.empty()) return "";
  return missing + " missing (scripts/install-deps installs strongSwan: strongswan-charon, "
                   "strongswan-swanctl, libcharon-extra-plugins, libstrongswan-standard-plugins)";
}

StrongSwanGateways::StrongSwanGateways(const StrongSwanSide &home, const StrongSwanSide &work,
                                       const tunnel::StrongSwanSpec &spec) {
  if (spec.mtu > kLibipsecMtu) {
    throw std::invalid_argument("tunnel.strongswan.mtu above " + std::to_string(kLibipsecMtu) +
                                ": kernel-libipsec reads packets up to its own MTU only");
  }
  // Named after this process, as its namespaces are, so what belongs to a run can be found.
  std::string pattern = "/tmp/ts-emu-" + std::to_string(getpid()) + "-strongswan-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a directory in /tmp");
  }
  dir_ = pattern;
  home_.side = home;
  work_.side = work;
  try {
    Start(home_, spec);
    Start(work_, spec);
  } catch (...) {
    Stop(home_);
    Stop(work_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

StrongSwanGateways::~StrongSwanGateways() {
  Stop(home_);
  Stop(work_);
  std::error_code ignored;
  if (std::getenv("TUNNELSIM_KEEP_STRONGSWAN_DIR") == nullptr) {
    std::filesystem::remove_all(dir_, ignored);
  }
}

void StrongSwanGateways::Start(Instance &instance, const tunnel::StrongSwanSpec &spec) {
  const StrongSwanSide &s = instance.side;
  instance.dir = dir_ / s.name;
  std::filesystem::create_directories(instance.dir);
  const std::string dir = instance.dir.string();
  {
    std::ofstream conf(instance.dir / "strongswan.conf");
    conf << "charon {\n"
         << "  load_modular = no\n"
         << "  load = " << kPlugins << "\n"
         << "  plugins {\n"
         << "    vici {\n      socket = unix://" << dir << "/charon.vici\n    }\n"
         << "  }\n"
         << "  filelog {\n    log {\n      path = " << dir << "/charon.log\n"
         << "      time_format = %s\n      flush_line = yes\n      default = 1\n    }\n  }\n"
         << "}\n";
  }
  const std::string other = s.name == "home" ? "work" : "home";
  {
    std::ofstream conf(instance.dir / "swanctl.conf");
    conf << "connections {\n  " << kConnection << " {\n"
         << "    local_addrs = " << Dotted(s.wan) << "\n"
         << "    remote_addrs = " << Dotted(s.remoteWan) << "\n"
         << "    version = 2\n"
         << "    proposals = " << Proposal(spec.encryption) << "-prfsha256-x25519\n"
         << "    encap = yes\n"
         << "    local {\n      auth = psk\n      id = " << s.name << ".tunnelsim\n    }\n"
         << "    remote {\n      auth = psk\n      id = " << other << ".tunnelsim\n    }\n"
         << "    children {\n      " << kChild << " {\n"
         << "        local_ts = " << Dotted(s.lan) << "/24\n"
         << "        remote_ts = " << Dotted(s.remoteLan) << "/24\n"
         << "        esp_proposals = " << Proposal(spec.encryption) << "\n"
         << "        start_action = none\n      }\n    }\n  }\n}\n"
         << "secrets {\n  ike-tunnelsim {\n    id-home = home.tunnelsim\n"
         << "    id-work = work.tunnelsim\n    secret = \"tunnelsim emulate\"\n  }\n}\n";
  }
  const std::string &ns = s.ns->name();
  RunProgram({"ip", "-n", ns, "address", "add", Dotted(s.host) + "/32", "dev", "lo"});
  // charon in the host's network namespace, in a mount namespace of its own whose /run is a
  // tmpfs (charon writes /run/charon.pid; two instances must not share it). `ip netns exec`,
  // `unshare` (without --fork) and `sh -c 'exec ...'` all exec, so the pid is charon's.
  // SCHED_FIFO below the relay's loop (20): our ESP cores run inside that loop, so charon's
  // per-packet work gets the CPU as promptly. At normal priority, on the shared 2-core
  // machine, charon's UDP socket overflowed while it waited for a CPU (652 and 807 of ~35000
  // ESP packets dropped there in two 6 s runs without any impairment, each one a TCP loss).
  const std::string script = "mount -t tmpfs tmpfs /run && exec env STRONGSWAN_CONF=" + dir +
                             "/strongswan.conf chrt -f " + std::to_string(kCharonPriority) + " " +
                             kCharonPath;
  instance.pid = SpawnChild({"ip", "netns", "exec", ns, "unshare", "-m", "sh", "-c", script},
                            dir + "/charon.stdout");
  if (instance.pid < 0) throw std::runtime_error("cannot start " + std::string(kCharonPath));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!std::filesystem::exists(instance.dir / "charon.vici")) {
    int status = 0;
    if (waitpid(instance.pid, &status, WNOHANG) == instance.pid) {
      instance.pid = -1;
      throw std::runtime_error("charon (" + s.name + ") exited at start:\n" +
                               Tail(ReadFile(instance.dir / "charon.stdout")));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("charon (" + s.name + ") did not open its vici socket in 10 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Swanctl(instance, {"--load-all", "--file", dir + "/swanctl.conf"});
  RunProgram({"ip", "-n", ns, "link", "set", "ipsec0", "mtu", std::to_string(spec.mtu),
              "txqueuelen", std::to_string(kTunQueuePackets)});
}

void StrongSwanGateways::Stop(Instance &instance) {
  if (instance.pid <= 0) return;
  kill(instance.pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int status = 0;
  while (waitpid(instance.pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(instance.pid, SIGKILL);
      WaitChild(instance.pid);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  instance.pid = -1;
}

std::string StrongSwanGateways::Swanctl(const Instance &instance,
                                        const std::vector<std::string> &args, bool check) const {
  std::vector<std::string> argv = {kSwanctlPath};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--uri");
  argv.push_back("unix://" + (instance.dir / "charon.vici").string());
  const std::string output = (instance.dir / "swanctl.out").string();
  const pid_t pid = SpawnChild(argv, output);
  if (pid < 0) throw std::runtime_error("cannot start " + std::string(kSwanctlPath));
  const int status = WaitChild(pid);
  std::string text = ReadFile(output);
  if (check && status != 0) {
    std::string line;
    for (const auto &arg : argv)
      line += (line.empty() ? "" : " ") + arg;
    throw std::runtime_error("command failed: " + line + "\n" + Tail(text) + "\ncharon log:\n" +
                             Tail(ReadFile(instance.dir / "charon.log")));
  }
  return text;
}

void StrongSwanGateways::Establish(const std::function<bool(Duration)> &carry, Duration timeout) {
  // swanctl --initiate blocks until the CHILD_SA is up (or fails), so it runs beside the relay.
  std::vector<std::string> argv = {
      kSwanctlPath,
      "--initiate",
      "--ike",
      kConnection,
      "--child",
      kChild,
      "--timeout",
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count() + 1),
      "--uri",
      "unix://" + (home_.dir / "charon.vici").string()};
  const pid_t initiator = SpawnChild(argv, (home_.dir / "initiate.out").string());
  if (initiator < 0) throw std::runtime_error("cannot start " + std::string(kSwanctlPath));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool done = false;
  while (!done) {
    if (!carry(Milliseconds(20))) {
      kill(initiator, SIGTERM);
      WaitChild(initiator);
      throw std::runtime_error("interrupted while charon was establishing its SAs");
    }
    done = waitpid(initiator, &status, WNOHANG) == initiator;
    if (!done && std::chrono::steady_clock::now() > deadline) {
      kill(initiator, SIGTERM);
      WaitChild(initiator);
      throw std::runtime_error("charon: no CHILD_SA within the timeout:\n" +
                               Tail(ReadFile(home_.dir / "charon.log")));
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("charon: initiating the CHILD_SA failed:\n" +
                             Tail(ReadFile(home_.dir / "initiate.out")) + "\ncharon log:\n" +
                             Tail(ReadFile(home_.dir / "charon.log")));
  }
  // The responder installs its CHILD_SA before it answers IKE_AUTH; check both anyway.
  for (const Instance *instance : {&home_, &work_}) {
    for (int tries = 0;; ++tries) {
      const json child = ChildFromRaw(Swanctl(*instance, {"--list-sas", "--raw"}));
      if (child.value("state", "") == "INSTALLED") break;
      if (tries == 50) {
        throw std::runtime_error("charon (" + instance->side.name + "): CHILD_SA not installed");
      }
      if (!carry(Milliseconds(20))) throw std::runtime_error("interrupted");
    }
  }
}

void StrongSwanGateways::TuneRoutes(const StrongSwanRouteOptions &options) {
  for (const Instance *instance : {&home_, &work_}) {
    const StrongSwanSide &s = instance->side;
    RunProgram({"ip", "-n", s.ns->name(), "route", "replace", Dotted(s.remoteLan) + "/24", "dev",
                "ipsec0", "src", Dotted(s.host), "table", "220", "proto", "static", "initcwnd",
                std::to_string(options.initialCwnd), "rto_min",
                std::to_string(options.minRtoMs) + "ms"});
  }
}

// The Udp counters of the calling thread's namespace (/proc/net/snmp): what the kernel dropped
// before charon's socket read it.
static json UdpCounters() {
  std::ifstream in("/proc/thread-self/net/snmp");
  std::string header, values;
  json counters = json::object();
  while (std::getline(in, header) && std::getline(in, values)) {
    if (header.rfind("Udp:", 0) != 0) continue;
    std::istringstream names(header.substr(4)), numbers(values.substr(4));
    std::string name;
    uint64_t value = 0;
    while (names >> name && numbers >> value) {
      if (name == "InErrors" || name == "RcvbufErrors" || name == "InDatagrams") {
        counters[name] = value;
      }
    }
  }
  return counters;
}

json StrongSwanGateways::SideJson(const Instance &instance) const {
  json side = ChildFromRaw(Swanctl(instance, {"--list-sas", "--raw"}, false));
  json udp;
  instance.side.ns->Run([&] { udp = UdpCounters(); });
  side["udp"] = udp;
  const std::string log = ReadFile(instance.dir / "charon.log");
  side["replay_drops_logged"] = CountLines(log, kReplayDropLine);
  side["icv_failures_logged"] = CountLines(log, kIcvDropLine);
  return side;
}

json StrongSwanGateways::CountersJson() const {
  return {{"home", SideJson(home_)},
          {"work", SideJson(work_)},
          {"replay_window", tunnel::StrongSwanSpec::kReplayWindow},
          {"counters_source",
           "bytes/packets: swanctl --list-sas (kernel-libipsec's SA counters); drops: lines "
           "charon logged per dropped ESP packet (kernel-libipsec counts none)"}};
}

json StrongSwanGateways::TunnelCountersJson(uint64_t outerBytes) const {
  const json c = CountersJson();
  const auto sum = [&](const char *key) {
    return c["home"].value(key, uint64_t{0}) + c["work"].value(key, uint64_t{0});
  };
  const uint64_t inner = sum("bytes-out");
  // One IKE_SA, established before the run; charon rekeys a CHILD_SA after an hour (its
  // default rekey_time), far beyond any emulated run.
  return {{"handshakes", 1},
          {"rekeys", 0},
          {"replay_drops", sum("replay_drops_logged")},
          {"auth_failures", sum("icv_failures_logged")},
          {"overhead_bytes", outerBytes > inner ? outerBytes - inner : 0},
          {"packets_encapsulated", sum("packets-out")},
          {"packets_decapsulated", sum("packets-in")},
          {"extra", c}};
}

std::unique_ptr<StrongSwanGateways>
StartStrongSwanGateways(const NetworkNamespace &homeNs, const NetworkNamespace &workNs,
                        realnet::TunDevice &homeTun, realnet::TunDevice &workTun,
                        const RelaySettings &settings, const StrongSwanRouteOptions &routes) {
  const tunnel::StrongSwanSpec *spec = settings.tunnel.spec.StrongSwan();
  if (spec == nullptr) throw std::logic_error("StartStrongSwanGateways: not a strongswan tunnel");
  StrongSwanSide home{&homeNs,          "home",          kHomeGatewayWan, kWorkGatewayWan,
                      kHomeHostAddress, kHomeLanNetwork, kWorkLanNetwork};
  StrongSwanSide work{&workNs,          "work",          kWorkGatewayWan, kHomeGatewayWan,
                      kWorkHostAddress, kWorkLanNetwork, kHomeLanNetwork};
  auto gateways = std::make_unique<StrongSwanGateways>(home, work, *spec);
  RelaySettings clean = settings;
  for (LinkHopSettings &hop : clean.hops) {
    hop.netem.reset();
    hop.ack.reset();
  }
  Relay setup(clean, realnet::MonotonicNow());
  gateways->Establish(
      [&](Duration budget) {
        const RelayDriverStats stats =
            RunRelay(setup, homeTun, workTun, realnet::MonotonicNow() + budget);
        return stats.signal == 0;
      },
      std::chrono::seconds(15));
  gateways->TuneRoutes(routes);
  return gateways;
}

} // namespace tunnelsim::emulate
