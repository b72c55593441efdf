#include "atomic_file.h"

#include <fstream>
#include <stdexcept>

namespace tunnelsim::scenario {

void WriteFileAtomically(const std::filesystem::path &path, const std::string &content) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw std::runtime_error("cannot write " + temporary.string());
    }
  }
  std::filesystem::rename(temporary, path);
}

} // namespace tunnelsim::scenario
