#include "key_log_writer.h"

#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>

namespace ns3 {
namespace {

std::mutex &OpenedMutex() {
  static std::mutex mutex;
  return mutex;
}

std::set<std::string> &OpenedPaths() {
  static std::set<std::string> paths;
  return paths;
}

// True the first time `path` is seen by this process (the caller then truncates it).
bool FirstOpen(const std::string &path) {
  std::lock_guard<std::mutex> lock(OpenedMutex());
  return OpenedPaths().insert(path).second;
}

} // namespace

KeyLogWriter::KeyLogWriter(std::string path) : m_path(std::move(path)) {
  if (Enabled() && FirstOpen(m_path)) {
    std::ofstream out(m_path, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot create key log file " + m_path);
  }
}

void KeyLogWriter::Append(const std::string &text) const {
  if (!Enabled()) return;
  std::ofstream out(m_path, std::ios::app);
  out << text;
  out.flush();
  if (!out) throw std::runtime_error("cannot write key log file " + m_path);
}

void KeyLogWriter::Forget(const std::string &path) {
  std::lock_guard<std::mutex> lock(OpenedMutex());
  OpenedPaths().erase(path);
}

} // namespace ns3
