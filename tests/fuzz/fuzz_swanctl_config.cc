// The swanctl.conf reader (ParseSwanctlConfig) that `tunnelsim ipsec-up` feeds a user's file.
//
// Input: the file's text. Checked besides memory safety: the parser throws nothing but
// SwanctlError.
// (That no error message shows a secret is a unit test: tests/ipsec/test_swanctl_config.cc.)
#include "ipsec/swanctl_config.h"

#include <cstdlib>
#include <string>

using namespace tunnelsim::ipsec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192) return -1;
  const std::string text(reinterpret_cast<const char *>(data), size);
  try {
    (void)ParseSwanctlConfig(text, "fuzz.conf");
  } catch (const SwanctlError &) {
  }
  return 0;
}
