// Child processes of `tunnelsim emulate` (ip, charon, swanctl): started with an empty signal
// mask, because the emulator's threads block SIGINT/SIGTERM and a child must not inherit that.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace tunnelsim::emulate {

// Starts argv[0] (looked up in PATH) with stdin from /dev/null. `output`: absent, the child
// writes to this process's stdout and stderr; empty, both are discarded; a path, both go to that
// file (created or truncated, mode 0600). Returns the pid, or -1 when it could not be started.
pid_t SpawnChild(const std::vector<std::string> &argv, const std::optional<std::string> &output);

// Waits for `pid` (retrying on EINTR); its exit status, or -1 if it did not exit normally.
int WaitChild(pid_t pid);

} // namespace tunnelsim::emulate
