// Reads a fuzzer's input as a stream of small fields. Past the end every read returns zeros
// and empty views, so a target never needs to check lengths and every input is a valid
// program for it: truncation only shortens the program.
#pragma once

#include "crypto/bytes.h"

#include <cstddef>
#include <cstdint>

namespace tunnelsim::fuzz {

class FuzzInput {
public:
  FuzzInput(const uint8_t *data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return offset_ >= size_; }
  size_t remaining() const { return size_ - offset_; }

  uint8_t U8() { return offset_ < size_ ? data_[offset_++] : 0; }
  // Big-endian; each byte read in its own statement, since operand order is unspecified.
  uint16_t U16() {
    const unsigned high = U8();
    return static_cast<uint16_t>(high << 8 | U8());
  }
  uint32_t U32() {
    const uint32_t high = U16();
    return high << 16 | U16();
  }
  uint64_t U64() {
    const uint64_t high = U32();
    return high << 32 | U32();
  }
  bool Bool() { return U8() & 1; }

  // Up to `size` bytes (fewer at the end of the input).
  crypto::ByteView Take(size_t size) {
    const size_t n = size < remaining() ? size : remaining();
    crypto::ByteView view(data_ + offset_, n);
    offset_ += n;
    return view;
  }
  // A length-prefixed field: a 16-bit length, then that many bytes.
  crypto::ByteView Field() { return Take(U16()); }
  crypto::ByteView Rest() { return Take(remaining()); }

private:
  const uint8_t *data_;
  size_t size_;
  size_t offset_ = 0;
};

} // namespace tunnelsim::fuzz
