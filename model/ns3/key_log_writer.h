// Appends key-log text (Wireshark's WireGuard key log, an IKE/ESP key table, ...) to a file
// shared by every tunnel endpoint of a simulation. Several writers may name the same file:
// the first one to open a path in this process truncates it, later ones append, so one run
// leaves exactly its own keys.
#pragma once

#include <string>

namespace ns3 {

class KeyLogWriter {
public:
  // An empty path disables the writer.
  explicit KeyLogWriter(std::string path = "");

  bool Enabled() const { return !m_path.empty(); }
  const std::string &Path() const { return m_path; }

  // Appends `text` and flushes, so a capture can be opened while the simulation runs.
  // Throws std::runtime_error when the file cannot be written.
  void Append(const std::string &text) const;

  // Makes the next writer that opens `path` truncate it again (for a second run in one
  // process, e.g. a test suite).
  static void Forget(const std::string &path);

private:
  std::string m_path;
};

} // namespace ns3
