#include "sodium_init.h"

#include <sodium.h>
#include <stdexcept>

namespace tunnelsim::crypto {

void EnsureSodiumInitialised() {
  // A function-local static makes initialisation thread-safe and run once.
  static const bool initialised = [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    return true;
  }();
  (void)initialised;
}

} // namespace tunnelsim::crypto
