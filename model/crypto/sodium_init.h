// libsodium must be initialised once before use; every wrapper calls this first.
#pragma once

namespace tunnelsim::crypto {
void EnsureSodiumInitialised();
} // namespace tunnelsim::crypto
