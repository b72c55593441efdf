// Named network namespaces for the emulated hosts (as `ip netns add` makes them, so `ip -n`
// and `ip netns exec` work on them), removed when the owner is destroyed, and a way to run a
// piece of code inside one on a thread of its own (setns(2) moves only the calling thread).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace tunnelsim::emulate {

class NetworkNamespace {
public:
  // Creates /run/netns/<name>; throws std::runtime_error when it cannot.
  explicit NetworkNamespace(std::string name);
  ~NetworkNamespace(); // deletes it (ignoring errors: cleanup must not throw)
  NetworkNamespace(const NetworkNamespace &) = delete;
  NetworkNamespace &operator=(const NetworkNamespace &) = delete;

  const std::string &name() const { return name_; }
  // Moves the calling thread into this namespace; throws std::runtime_error on failure.
  void EnterOnThisThread() const;
  // Runs `body` on a new thread inside the namespace and waits for it; rethrows its exception.
  void Run(const std::function<void()> &body) const;

private:
  std::string name_;
};

// Runs a program (argv[0] looked up in PATH) and waits; throws std::runtime_error with its
// command line when it cannot start or exits non-zero.
void RunProgram(const std::vector<std::string> &argv);

// Deletes namespaces named "<prefix><pid>-..." whose pid no longer runs: what a killed run
// left behind (processes still inside them are killed first; the run's charon directories in
// /tmp go too). Returns how many namespaces it removed.
int RemoveStaleNamespaces(const std::string &prefix);

} // namespace tunnelsim::emulate
