#include "provenance.h"

#include "build_commit.h"

#include "ns3/version-defines.h"

#include <boost/version.hpp>
#include <sodium.h>
#include <toml.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

extern char **environ;

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json StringOrNull(const std::string &text) { return text.empty() ? json(nullptr) : json(text); }

std::string Trimmed(const std::string &text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// Runs `git -C dir ARGS...` (no shell: the directory is passed as one argument) and returns its
// standard output, or nothing when git is missing, cannot start or exits non-zero.
std::optional<std::string> Git(const fs::path &dir, const std::vector<std::string> &args) {
  std::vector<std::string> argv = {"git", "-C", dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char *> cArgv;
  for (std::string &arg : argv)
    cArgv.push_back(arg.data());
  cArgv.push_back(nullptr);

  int pipeFds[2];
  if (pipe2(pipeFds, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "git", &actions, nullptr, cArgv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipeFds[1]);
  if (spawned != 0) {
    close(pipeFds[0]);
    return std::nullopt;
  }
  std::string output;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(pipeFds[0], buffer, sizeof buffer);
    if (n > 0) {
      output.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(pipeFds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return output;
}

// The value of the first "key : value" line of /proc/cpuinfo whose key is `key`.
std::string CpuInfoField(const std::string &key) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon != std::string::npos && Trimmed(line.substr(0, colon)) == key) {
      return Trimmed(line.substr(colon + 1));
    }
  }
  return "";
}

std::string OsPrettyName() {
  std::ifstream in("/etc/os-release");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("PRETTY_NAME=", 0) != 0) continue;
    std::string value = Trimmed(line.substr(12));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return "";
}

// A sysctl's value: an integer when it is one ("1"), else the text ("cubic"), null if unreadable.
json SysctlValue(const fs::path &path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  std::string text;
  std::getline(in, text);
  text = Trimmed(text);
  if (text.empty()) return nullptr;
  char *end = nullptr;
  const long long number = std::strtoll(text.c_str(), &end, 10);
  if (*end == '\0') return number;
  return text;
}

} // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char *>(data.data()), data.size());
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 15];
  }
  return hex;
}

std::string ScenarioSha256(const json &resolved) { return Sha256Hex(resolved.dump()); }

json TunnelsimSourceJson(const fs::path &sourceDir) {
  fs::path dir = sourceDir;
  if (dir.empty()) {
    const char *env = std::getenv("TUNNELSIM_SOURCE_DIR");
    dir = env && *env ? fs::path(env) : fs::path(kBuildSourceDir);
  }
  json source = {{"commit", StringOrNull(kBuildCommit)},
                 {"describe", StringOrNull(kBuildDescribe)},
                 {"build_dirty", kBuildDirty < 0 ? json(nullptr) : json(kBuildDirty == 1)},
                 {"dirty", nullptr},
                 {"source_dir", dir.string()}};
  const std::optional<std::string> head = Git(dir, {"rev-parse", "--verify", "HEAD"});
  const std::optional<std::string> changes =
      Git(dir, {"status", "--porcelain", "--untracked-files=no"});
  if (changes) source["dirty"] = !Trimmed(*changes).empty();
  // A checkout that moved on since the build: the results come from the built commit, but the
  // reader must know the tree beside the binary is another one.
  if (head && Trimmed(*head) != kBuildCommit) source["runtime_commit"] = Trimmed(*head);
  return source;
}

json BuildJson() {
  return {{"type", StringOrNull(kBuildType)},
          {"compiler", StringOrNull(Trimmed(kBuildCompiler))},
          {"cxx_standard", kBuildCxxStandard}};
}

json LibrariesJson() {
  return {{"ns3", std::to_string(NS3_VERSION_MAJOR) + "." + std::to_string(NS3_VERSION_MINOR)},
          {"libsodium", sodium_version_string()},
          {"boost", std::to_string(BOOST_VERSION / 100000) + "." +
                        std::to_string(BOOST_VERSION / 100 % 1000) + "." +
                        std::to_string(BOOST_VERSION % 100)},
          {"toml11", std::to_string(TOML11_VERSION_MAJOR) + "." +
                         std::to_string(TOML11_VERSION_MINOR) + "." +
                         std::to_string(TOML11_VERSION_PATCH)},
          {"nlohmann_json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
                                std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
                                std::to_string(NLOHMANN_JSON_VERSION_PATCH)}};
}

json HostJson() {
  utsname uts{};
  const bool haveUname = uname(&uts) == 0;
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return {{"cpu", StringOrNull(CpuInfoField("model name"))},
          {"cores", cores > 0 ? json(cores) : json(nullptr)},
          {"kernel", haveUname ? json(uts.release) : json(nullptr)},
          {"os", StringOrNull(OsPrettyName())}};
}

json KernelTcpSettingsJson(const fs::path &procSysNet) {
  json settings = json::object();
  for (const char *key : {"tcp_congestion_control", "tcp_reordering", "tcp_recovery", "tcp_sack",
                          "tcp_dsack", "tcp_timestamps", "tcp_early_retrans"}) {
    settings[key] = SysctlValue(procSysNet / "ipv4" / key);
  }
  return settings;
}

std::string UtcTimestamp(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::vector<std::string> ProcessCommandLine() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> argv;
  std::string arg;
  while (std::getline(in, arg, '\0'))
    argv.push_back(arg);
  return argv;
}

json ProvenanceJson(const json &resolved, const ProvenanceRun &run) {
  const uint64_t seed = resolved.at("seed").get<uint64_t>();
  return {{"tunnelsim", TunnelsimSourceJson()},
          {"build", BuildJson()},
          {"libraries", LibrariesJson()},
          {"scenario_sha256", ScenarioSha256(resolved)},
          {"seed", seed},
          // runner.cc: RngSeedManager::SetSeed(1), SetRun(seed); emulate draws nothing from ns-3.
          {"ns3_rng_seed", run.ns3Simulation ? json(1) : json(nullptr)},
          {"ns3_rng_run", run.ns3Simulation ? json(seed) : json(nullptr)},
          {"host", HostJson()},
          {"started_utc", UtcTimestamp(run.startedUtc)},
          {"wall_seconds", run.wallSeconds},
          {"simulated_seconds", run.simulatedSeconds},
          {"sim_to_wall_ratio",
           run.wallSeconds > 0 ? json(run.simulatedSeconds / run.wallSeconds) : json(nullptr)},
          {"command", ProcessCommandLine()}};
}

} // namespace tunnelsim::scenario
