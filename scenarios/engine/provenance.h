// Provenance of a run: what produced a results.json (the commit the binary was built from and
// the state of its source tree now, build and library versions), what it ran (the resolved
// scenario's SHA-256, the seed and ns-3's RNG stream), where (host) and how long (wall time
// against simulated time). Written as results.json's top-level "provenance" by `tunnelsim run`
// and `tunnelsim emulate`; docs/scenarios.md describes every field.
//
// The runtime check of the source tree runs git in the directory the build was configured from,
// or in $TUNNELSIM_SOURCE_DIR when set; no git or no repository gives nulls, never an error.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tunnelsim::scenario {

// Lower-case hex SHA-256 (libsodium's crypto_hash_sha256).
std::string Sha256Hex(std::string_view data);

// The SHA-256 of the resolved scenario's canonical JSON: dump() with no whitespace; keys are
// sorted (nlohmann::json keeps objects ordered by key), so equal scenarios hash equal however
// their files were written.
std::string ScenarioSha256(const nlohmann::json &resolved);

// {"commit", "dirty", "describe", "source_dir"} plus "build_dirty" and, when the source tree's
// HEAD is no longer the built commit, "runtime_commit". `sourceDir` empty: the default above.
nlohmann::json TunnelsimSourceJson(const std::filesystem::path &sourceDir = {});

// {"type", "compiler", "cxx_standard"} and {"ns3", "libsodium", "boost", "toml11",
// "nlohmann_json"}.
nlohmann::json BuildJson();
nlohmann::json LibrariesJson();

// {"cpu", "cores", "kernel", "os"}; a field that cannot be read is null.
nlohmann::json HostJson();

// The calling thread's network namespace's TCP settings (net.ipv4.tcp_congestion_control,
// tcp_reordering, tcp_recovery, tcp_sack, tcp_dsack, tcp_timestamps, tcp_early_retrans) as
// read from /proc/sys; an unreadable one is null. `procSysNet` is for tests.
nlohmann::json KernelTcpSettingsJson(const std::filesystem::path &procSysNet = "/proc/sys/net");

// "2026-12-07T08:00:00Z".
std::string UtcTimestamp(std::chrono::system_clock::time_point time);

// This process's command line (/proc/self/cmdline), argv[0] as given.
std::vector<std::string> ProcessCommandLine();

struct ProvenanceRun {
  std::chrono::system_clock::time_point startedUtc = std::chrono::system_clock::now();
  double wallSeconds = 0;
  double simulatedSeconds = 0; // emulate: the real time the flows ran
  bool ns3Simulation = true;   // false (emulate): ns3_rng_seed/ns3_rng_run are null
};

// The "provenance" object without "kernel_tcp" (emulate adds that).
nlohmann::json ProvenanceJson(const nlohmann::json &resolved, const ProvenanceRun &run);

} // namespace tunnelsim::scenario
