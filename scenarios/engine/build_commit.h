// What this binary was built from and how: values of a source generated at every build
// (cmake/WriteBuildCommit.cmake), so a binary run after the checkout moved on still names the
// commit it was built from. Empty strings / -1: unknown (no git, no repository).
#pragma once

namespace tunnelsim::scenario {

extern const char kBuildCommit[];   // 40 hex digits, or ""
extern const char kBuildDescribe[]; // `git describe --always --dirty`, or ""
extern const int kBuildDirty; // 1 tracked files were modified at build time, 0 not, -1 unknown
extern const char kBuildSourceDir[]; // the source tree the build was configured from
extern const char kBuildType[];      // CMAKE_BUILD_TYPE
extern const char kBuildCompiler[];  // "GNU 12.2.0"
extern const int kBuildCxxStandard;  // CMAKE_CXX_STANDARD

} // namespace tunnelsim::scenario
