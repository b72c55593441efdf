// Writes a file through a temporary beside it and a rename, so readers never see half of it
// and a failed run never leaves a half-written one.
#pragma once

#include <filesystem>
#include <string>

namespace tunnelsim::scenario {

// Throws std::runtime_error when the file cannot be written.
void WriteFileAtomically(const std::filesystem::path &path, const std::string &content);

} // namespace tunnelsim::scenario
