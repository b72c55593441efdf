#include "network_namespace.h"

#include "child_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace tunnelsim::emulate {
namespace {

int SpawnAndWait(const std::vector<std::string> &argv, bool quiet) {
  const pid_t pid = SpawnChild(argv, quiet ? std::optional<std::string>("") : std::nullopt);
  return pid < 0 ? -1 : WaitChild(pid);
}

std::string CommandLine(const std::vector<std::string> &argv) {
  std::string line;
  for (const auto &arg : argv)
    line += (line.empty() ? "" : " ") + arg;
  return line;
}

// SIGKILLs every process whose network namespace is the one bound at `bound`.
void KillProcessesIn(const std::filesystem::path &bound) {
  struct stat target {};
  if (stat(bound.c_str(), &target) != 0) return;
  std::error_code error;
  for (const auto &process : std::filesystem::directory_iterator("/proc", error)) {
    const std::string pidText = process.path().filename().string();
    if (pidText.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat ns {};
    if (stat((process.path() / "ns" / "net").c_str(), &ns) != 0) continue;
    if (ns.st_ino == target.st_ino && ns.st_dev == target.st_dev) {
      kill(static_cast<pid_t>(std::atol(pidText.c_str())), SIGKILL);
    }
  }
}

} // namespace

void RunProgram(const std::vector<std::string> &argv) {
  if (SpawnAndWait(argv, false) != 0) {
    throw std::runtime_error("command failed: " + CommandLine(argv));
  }
}

NetworkNamespace::NetworkNamespace(std::string name) : name_(std::move(name)) {
  RunProgram({"ip", "netns", "add", name_});
}

NetworkNamespace::~NetworkNamespace() { SpawnAndWait({"ip", "netns", "delete", name_}, true); }

void NetworkNamespace::EnterOnThisThread() const {
  const std::string path = "/run/netns/" + name_;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  const int result = setns(fd, CLONE_NEWNET);
  const int error = errno;
  close(fd);
  if (result != 0) {
    throw std::runtime_error("setns into " + name_ + ": " + std::strerror(error));
  }
}

void NetworkNamespace::Run(const std::function<void()> &body) const {
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      EnterOnThisThread();
      body();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
}

int RemoveStaleNamespaces(const std::string &prefix) {
  int removed = 0;
  std::error_code error;
  for (const auto &entry : std::filesystem::directory_iterator("/run/netns", error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const pid_t pid = static_cast<pid_t>(std::atol(rest.c_str()));
    if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) {
      // A killed run's charon keeps running in its namespace (deleting the name does not end
      // it): end every process still inside, which only that run can have started.
      KillProcessesIn(entry.path());
      if (SpawnAndWait({"ip", "netns", "delete", name}, true) == 0) ++removed;
    }
  }
  // And its charon directories (strongswan_gateways.cc: /tmp/<prefix><pid>-strongswan-*).
  for (const auto &entry : std::filesystem::directory_iterator("/tmp", error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.find("-strongswan-") == std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.substr(prefix.size()).c_str()));
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      std::filesystem::remove_all(entry.path(), ignored);
    }
  }
  return removed;
}

} // namespace tunnelsim::emulate
