// Byte containers shared by every protocol core: plain buffers, read-only views and
// fixed-size secrets that wipe themselves.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tunnelsim::crypto {

using Bytes = std::vector<uint8_t>;

// A read-only view of contiguous bytes (C++17 has no std::span).
class ByteView {
public:
  constexpr ByteView() = default;
  constexpr ByteView(const uint8_t *data, size_t size) : data_(data), size_(size) {}
  ByteView(const Bytes &bytes) : data_(bytes.data()), size_(bytes.size()) {}
  template <size_t N>
  constexpr ByteView(const std::array<uint8_t, N> &a) : data_(a.data()), size_(N) {}

  constexpr const uint8_t *data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const uint8_t *begin() const { return data_; }
  constexpr const uint8_t *end() const { return data_ + size_; }
  constexpr uint8_t operator[](size_t i) const { return data_[i]; }
  ByteView subview(size_t offset, size_t count) const { return {data_ + offset, count}; }
  ByteView subview(size_t offset) const { return {data_ + offset, size_ - offset}; }
  Bytes ToBytes() const { return Bytes(begin(), end()); }

private:
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

// Overwrites memory in a way the compiler may not optimise away (sodium_memzero).
void SecureWipe(void *data, size_t size);

// Constant-time equality of two equally long buffers; false when the sizes differ.
bool ConstantTimeEqual(ByteView a, ByteView b);

// A fixed-size secret: wiped when destroyed or overwritten, compared in constant time.
template <size_t N> class Secret {
public:
  static constexpr size_t kSize = N;
  Secret() { bytes_.fill(0); }
  explicit Secret(const std::array<uint8_t, N> &a) : bytes_(a) {}
  Secret(const Secret &other) : bytes_(other.bytes_) {}
  Secret &operator=(const Secret &other) {
    if (this != &other) bytes_ = other.bytes_;
    return *this;
  }
  ~Secret() { SecureWipe(bytes_.data(), N); }

  uint8_t *data() { return bytes_.data(); }
  const uint8_t *data() const { return bytes_.data(); }
  static constexpr size_t size() { return N; }
  ByteView view() const { return {bytes_.data(), N}; }
  operator ByteView() const { return view(); }
  const std::array<uint8_t, N> &array() const { return bytes_; }
  void Wipe() { SecureWipe(bytes_.data(), N); }
  bool IsZero() const {
    uint8_t acc = 0;
    for (uint8_t b : bytes_)
      acc |= b;
    return acc == 0;
  }
  bool operator==(const Secret &o) const { return ConstantTimeEqual(view(), o.view()); }
  bool operator!=(const Secret &o) const { return !(*this == o); }

private:
  std::array<uint8_t, N> bytes_;
};

// Hex helpers for configs, test vectors and logs of public values (never of secrets).
std::string ToHex(ByteView bytes);
// Throws std::invalid_argument on odd length or a non-hex digit.
Bytes FromHex(const std::string &hex);
template <size_t N> std::array<uint8_t, N> ArrayFromHex(const std::string &hex) {
  Bytes b = FromHex(hex);
  std::array<uint8_t, N> a{};
  if (b.size() != N) throw std::invalid_argument("hex string has the wrong length");
  for (size_t i = 0; i < N; ++i)
    a[i] = b[i];
  return a;
}

// Base64 (standard alphabet, padded) as WireGuard configs spell keys.
std::string ToBase64(ByteView bytes);
// Throws std::invalid_argument on malformed input.
Bytes FromBase64(const std::string &text);

} // namespace tunnelsim::crypto
