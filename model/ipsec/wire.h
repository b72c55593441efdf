// Big-endian field access and a bounds-checked reader, shared by the ESP and IKEv2 codecs.
#pragma once

#include "crypto/bytes.h"

#include <cstdint>

namespace tunnelsim::ipsec {

inline void PutU16(uint8_t *p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void PutU32(uint8_t *p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}
inline void PutU64(uint8_t *p, uint64_t v) {
  PutU32(p, uint32_t(v >> 32));
  PutU32(p + 4, uint32_t(v));
}
inline uint16_t GetU16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t GetU32(const uint8_t *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint64_t GetU64(const uint8_t *p) { return uint64_t(GetU32(p)) << 32 | GetU32(p + 4); }

// Appends big-endian fields to a byte vector.
class ByteWriter {
public:
  explicit ByteWriter(crypto::Bytes &out) : out_(out) {}
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) {
    out_.push_back(uint8_t(v >> 8));
    out_.push_back(uint8_t(v));
  }
  void U32(uint32_t v) {
    U16(uint16_t(v >> 16));
    U16(uint16_t(v));
  }
  void U64(uint64_t v) {
    U32(uint32_t(v >> 32));
    U32(uint32_t(v));
  }
  void Raw(crypto::ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  size_t size() const { return out_.size(); }

private:
  crypto::Bytes &out_;
};

// Reads big-endian fields; any read past the end sets failed() and returns zeros.
class ByteReader {
public:
  explicit ByteReader(crypto::ByteView in) : in_(in) {}
  bool Has(size_t n) const { return !failed_ && in_.size() - offset_ >= n; }
  uint8_t U8() { return Has(1) ? in_[offset_++] : Fail<uint8_t>(); }
  uint16_t U16() {
    if (!Has(2)) return Fail<uint16_t>();
    uint16_t v = GetU16(in_.data() + offset_);
    offset_ += 2;
    return v;
  }
  uint32_t U32() {
    if (!Has(4)) return Fail<uint32_t>();
    uint32_t v = GetU32(in_.data() + offset_);
    offset_ += 4;
    return v;
  }
  uint64_t U64() {
    if (!Has(8)) return Fail<uint64_t>();
    uint64_t v = GetU64(in_.data() + offset_);
    offset_ += 8;
    return v;
  }
  crypto::ByteView Raw(size_t n) {
    if (!Has(n)) {
      failed_ = true;
      return {};
    }
    crypto::ByteView v = in_.subview(offset_, n);
    offset_ += n;
    return v;
  }
  size_t remaining() const { return failed_ ? 0 : in_.size() - offset_; }
  size_t offset() const { return offset_; }
  bool failed() const { return failed_; }

private:
  template <typename T> T Fail() {
    failed_ = true;
    return T{};
  }
  crypto::ByteView in_;
  size_t offset_ = 0;
  bool failed_ = false;
};

} // namespace tunnelsim::ipsec
