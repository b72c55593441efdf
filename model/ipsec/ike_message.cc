#include "ipsec/ike_message.h"

#include "ipsec/wire.h"

#include <cstring>

namespace tunnelsim::ipsec {

namespace {

constexpr uint8_t kCriticalBit = 0x80;
constexpr uint16_t kAttributeTv = 0x8000;

struct RawPayload {
  uint8_t type;
  crypto::Bytes body;
};

crypto::Bytes EncodeSa(const std::vector<IkeProposal> &proposals) {
  crypto::Bytes out;
  ByteWriter w(out);
  for (size_t p = 0; p < proposals.size(); ++p) {
    const IkeProposal &proposal = proposals[p];
    crypto::Bytes transforms;
    ByteWriter tw(transforms);
    for (size_t t = 0; t < proposal.transforms.size(); ++t) {
      const IkeTransform &tr = proposal.transforms[t];
      tw.U8(t + 1 == proposal.transforms.size() ? 0 : 3);
      tw.U8(0);
      tw.U16(uint16_t(8 + (tr.keyLength ? 4 : 0)));
      tw.U8(tr.type);
      tw.U8(0);
      tw.U16(tr.id);
      if (tr.keyLength) {
        tw.U16(kAttributeTv | transform::kAttrKeyLength);
        tw.U16(*tr.keyLength);
      }
    }
    w.U8(p + 1 == proposals.size() ? 0 : 2);
    w.U8(0);
    w.U16(uint16_t(8 + proposal.spi.size() + transforms.size()));
    w.U8(proposal.number);
    w.U8(proposal.protocolId);
    w.U8(uint8_t(proposal.spi.size()));
    w.U8(uint8_t(proposal.transforms.size()));
    w.Raw(proposal.spi);
    w.Raw(transforms);
  }
  return out;
}

bool DecodeSa(crypto::ByteView body, std::vector<IkeProposal> &proposals) {
  ByteReader r(body);
  bool last = false;
  while (!last) {
    uint8_t more = r.U8();
    r.U8();
    uint16_t length = r.U16();
    if (r.failed() || (more != 0 && more != 2) || length < 8 ||
        size_t(length) - 4 > r.remaining()) {
      return false;
    }
    last = more == 0;
    ByteReader pr(r.Raw(length - 4));
    IkeProposal proposal;
    proposal.number = pr.U8();
    proposal.protocolId = pr.U8();
    uint8_t spiSize = pr.U8();
    uint8_t count = pr.U8();
    proposal.spi = pr.Raw(spiSize).ToBytes();
    for (uint8_t t = 0; t < count; ++t) {
      uint8_t tmore = pr.U8();
      pr.U8();
      uint16_t tlength = pr.U16();
      if (pr.failed() || tlength < 8 || size_t(tlength) - 4 > pr.remaining()) return false;
      if ((tmore == 0) != (t + 1 == count)) return false;
      ByteReader trr(pr.Raw(tlength - 4));
      IkeTransform tr;
      tr.type = trr.U8();
      trr.U8();
      tr.id = trr.U16();
      while (trr.remaining() > 0) {
        uint16_t attrType = trr.U16();
        if (attrType & kAttributeTv) {
          uint16_t value = trr.U16();
          if ((attrType & 0x7FFF) == transform::kAttrKeyLength) tr.keyLength = value;
        } else {
          uint16_t attrLength = trr.U16();
          trr.Raw(attrLength);
        }
        if (trr.failed()) return false;
      }
      proposal.transforms.push_back(tr);
    }
    if (pr.failed() || pr.remaining() != 0) return false;
    proposals.push_back(std::move(proposal));
  }
  return r.remaining() == 0 && !r.failed();
}

crypto::Bytes EncodeTs(const std::vector<IkeTrafficSelector> &selectors) {
  crypto::Bytes out;
  ByteWriter w(out);
  w.U8(uint8_t(selectors.size()));
  w.U8(0);
  w.U16(0);
  for (const IkeTrafficSelector &ts : selectors) {
    const bool v4 = ts.start.IsV4();
    w.U8(v4 ? kTsIpv4AddrRange : kTsIpv6AddrRange);
    w.U8(ts.ipProtocol);
    w.U16(v4 ? 16 : 40);
    w.U16(ts.startPort);
    w.U16(ts.endPort);
    w.Raw(crypto::ByteView(ts.start.data(), ts.start.size()));
    w.Raw(crypto::ByteView(ts.end.data(), ts.end.size()));
  }
  return out;
}

bool DecodeTs(crypto::ByteView body, std::vector<IkeTrafficSelector> &selectors) {
  ByteReader r(body);
  uint8_t count = r.U8();
  r.Raw(3);
  for (uint8_t i = 0; i < count; ++i) {
    IkeTrafficSelector ts;
    uint8_t type = r.U8();
    ts.ipProtocol = r.U8();
    uint16_t length = r.U16();
    ts.startPort = r.U16();
    ts.endPort = r.U16();
    if (type == kTsIpv4AddrRange && length == 16) {
      crypto::ByteView a = r.Raw(4), b = r.Raw(4);
      if (r.failed()) return false;
      ts.start = IpAddress::V4(a.data());
      ts.end = IpAddress::V4(b.data());
    } else if (type == kTsIpv6AddrRange && length == 40) {
      crypto::ByteView a = r.Raw(16), b = r.Raw(16);
      if (r.failed()) return false;
      ts.start = IpAddress::V6(a.data());
      ts.end = IpAddress::V6(b.data());
    } else {
      return false;
    }
    selectors.push_back(ts);
  }
  return !r.failed() && r.remaining() == 0 && count > 0;
}

std::vector<RawPayload> EncodePayloads(const IkeMessage &m) {
  std::vector<RawPayload> out;
  auto add = [&](uint8_t type, crypto::Bytes body) { out.push_back({type, std::move(body)}); };
  for (const IkeNotifyPayload &n : m.notifies) {
    crypto::Bytes b;
    ByteWriter w(b);
    w.U8(n.protocolId);
    w.U8(uint8_t(n.spi.size()));
    w.U16(n.type);
    w.Raw(n.spi);
    w.Raw(n.data);
    add(payload::kNotify, b);
  }
  if (m.idi) add(payload::kIdi, m.idi->Body());
  if (m.idr) add(payload::kIdr, m.idr->Body());
  if (m.auth) {
    crypto::Bytes b;
    ByteWriter w(b);
    w.U8(m.auth->method);
    w.U8(0);
    w.U16(0);
    w.Raw(m.auth->data);
    add(payload::kAuth, b);
  }
  if (!m.sa.empty()) add(payload::kSa, EncodeSa(m.sa));
  if (m.ke) {
    crypto::Bytes b;
    ByteWriter w(b);
    w.U16(m.ke->group);
    w.U16(0);
    w.Raw(m.ke->data);
    add(payload::kKe, b);
  }
  if (m.nonce) add(payload::kNonce, *m.nonce);
  if (m.tsi) add(payload::kTsi, EncodeTs(*m.tsi));
  if (m.tsr) add(payload::kTsr, EncodeTs(*m.tsr));
  for (const IkeDeletePayload &d : m.deletes) {
    crypto::Bytes b;
    ByteWriter w(b);
    w.U8(d.protocolId);
    w.U8(d.protocolId == kProtocolEsp ? 4 : 0);
    w.U16(uint16_t(d.spis.size()));
    for (uint32_t spi : d.spis)
      w.U32(spi);
    add(payload::kDelete, b);
  }
  return out;
}

// Appends the chain; returns the type of the first payload.
uint8_t AppendChain(const std::vector<RawPayload> &payloads, crypto::Bytes &out) {
  ByteWriter w(out);
  for (size_t i = 0; i < payloads.size(); ++i) {
    w.U8(i + 1 < payloads.size() ? payloads[i + 1].type : payload::kNone);
    w.U8(0);
    w.U16(uint16_t(4 + payloads[i].body.size()));
    w.Raw(payloads[i].body);
  }
  return payloads.empty() ? payload::kNone : payloads[0].type;
}

void WriteHeader(const IkeMessage &m, uint8_t firstPayload, uint32_t length, uint8_t *out) {
  PutU64(out, m.spiI);
  PutU64(out + 8, m.spiR);
  out[16] = firstPayload;
  out[17] = kIkeVersion;
  out[18] = uint8_t(m.exchange);
  out[19] =
      uint8_t((m.fromInitiator ? flags::kInitiator : 0) | (m.response ? flags::kResponse : 0));
  PutU32(out + 20, m.messageId);
  PutU32(out + 24, length);
}

std::array<uint8_t, 12> SkNonce(const IkeSkKey &key, const uint8_t *iv) {
  std::array<uint8_t, 12> nonce{};
  std::memcpy(nonce.data(), key.keymat.data() + kEspKeySize, kEspSaltSize);
  std::memcpy(nonce.data() + kEspSaltSize, iv, 8);
  return nonce;
}

crypto::AeadKey SkAeadKey(const IkeSkKey &key) {
  crypto::AeadKey k;
  std::memcpy(k.data(), key.keymat.data(), kEspKeySize);
  return k;
}

bool KnownExchange(uint8_t e) { return e >= 34 && e <= 37; }

// Decodes a chain starting with `type` into `m`. Returns an error for malformed chains.
IkeParseError DecodeChain(uint8_t type, crypto::ByteView chain, IkeMessage &m,
                          std::optional<size_t> *skOffset) {
  ByteReader r(chain);
  while (type != payload::kNone) {
    const size_t start = r.offset();
    uint8_t next = r.U8();
    uint8_t critical = r.U8() & kCriticalBit;
    uint16_t length = r.U16();
    if (r.failed() || length < 4 || size_t(length) - 4 > r.remaining())
      return IkeParseError::Malformed;
    if (type == payload::kSk) {
      // The Encrypted payload is always last (RFC 7296 3.14); its next-payload field names the
      // first payload inside it.
      if (!skOffset || start + length != chain.size()) return IkeParseError::Malformed;
      *skOffset = start;
      return IkeParseError::None;
    }
    crypto::ByteView body = r.Raw(length - 4);
    ByteReader b(body);
    switch (type) {
    case payload::kSa:
      if (!m.sa.empty() || !DecodeSa(body, m.sa)) return IkeParseError::Malformed;
      break;
    case payload::kKe: {
      IkeKePayload ke;
      ke.group = b.U16();
      b.U16();
      ke.data = b.Raw(b.remaining()).ToBytes();
      if (b.failed() || m.ke) return IkeParseError::Malformed;
      m.ke = ke;
      break;
    }
    case payload::kNonce:
      // RFC 7296 3.9: 16 to 256 bytes.
      if (body.size() < 16 || body.size() > 256 || m.nonce) return IkeParseError::Malformed;
      m.nonce = body.ToBytes();
      break;
    case payload::kIdi:
    case payload::kIdr: {
      IkeIdPayload id;
      id.type = b.U8();
      b.Raw(3);
      id.data = b.Raw(b.remaining()).ToBytes();
      if (b.failed()) return IkeParseError::Malformed;
      auto &slot = type == payload::kIdi ? m.idi : m.idr;
      if (slot) return IkeParseError::Malformed;
      slot = id;
      break;
    }
    case payload::kAuth: {
      IkeAuthPayload auth;
      auth.method = b.U8();
      b.Raw(3);
      auth.data = b.Raw(b.remaining()).ToBytes();
      if (b.failed() || m.auth) return IkeParseError::Malformed;
      m.auth = auth;
      break;
    }
    case payload::kNotify: {
      IkeNotifyPayload n;
      n.protocolId = b.U8();
      uint8_t spiSize = b.U8();
      n.type = b.U16();
      n.spi = b.Raw(spiSize).ToBytes();
      n.data = b.Raw(b.remaining()).ToBytes();
      if (b.failed()) return IkeParseError::Malformed;
      m.notifies.push_back(n);
      break;
    }
    case payload::kDelete: {
      IkeDeletePayload d;
      d.protocolId = b.U8();
      uint8_t spiSize = b.U8();
      uint16_t count = b.U16();
      if (d.protocolId == kProtocolEsp && spiSize != 4) return IkeParseError::Malformed;
      if (d.protocolId == kProtocolIke && (spiSize != 0 || count != 0)) {
        return IkeParseError::Malformed;
      }
      for (uint16_t i = 0; i < count; ++i)
        d.spis.push_back(b.U32());
      if (b.failed() || b.remaining() != 0) return IkeParseError::Malformed;
      m.deletes.push_back(d);
      break;
    }
    case payload::kTsi:
    case payload::kTsr: {
      std::vector<IkeTrafficSelector> ts;
      if (!DecodeTs(body, ts)) return IkeParseError::Malformed;
      auto &slot = type == payload::kTsi ? m.tsi : m.tsr;
      if (slot) return IkeParseError::Malformed;
      slot = ts;
      break;
    }
    default:
      if (critical) return IkeParseError::UnsupportedCritical;
      break; // unknown and not critical: skipped (RFC 7296 2.5)
    }
    type = next;
  }
  return r.remaining() == 0 ? IkeParseError::None : IkeParseError::Malformed;
}

} // namespace

crypto::Bytes IkeIdPayload::Body() const {
  crypto::Bytes b;
  ByteWriter w(b);
  w.U8(type);
  w.U8(0);
  w.U16(0);
  w.Raw(data);
  return b;
}

IkeIdPayload IkeIdPayload::Fqdn(const std::string &name) {
  return IkeIdPayload{kIdFqdn, crypto::Bytes(name.begin(), name.end())};
}

IkeIdPayload IkeIdPayload::Address(const IpAddress &address) {
  return IkeIdPayload{address.IsV4() ? kIdIpv4Addr : kIdIpv6Addr,
                      crypto::Bytes(address.data(), address.data() + address.size())};
}

IkeTrafficSelector IkeTrafficSelector::FromPrefix(const IpPrefix &prefix) {
  IkeTrafficSelector ts;
  ts.start = prefix.address;
  uint8_t end[16];
  std::memcpy(end, prefix.address.data(), prefix.address.size());
  for (unsigned bit = prefix.length; bit < prefix.address.bits(); ++bit)
    end[bit / 8] |= uint8_t(0x80 >> (bit % 8));
  ts.end = prefix.address.IsV4() ? IpAddress::V4(end) : IpAddress::V6(end);
  return ts;
}

const IkeNotifyPayload *IkeMessage::FindNotify(uint16_t type) const {
  for (const IkeNotifyPayload &n : notifies)
    if (n.type == type) return &n;
  return nullptr;
}

const IkeNotifyPayload *IkeMessage::FindError() const {
  for (const IkeNotifyPayload &n : notifies)
    if (n.type < 16384) return &n;
  return nullptr;
}

crypto::Bytes EncodeIkeMessage(const IkeMessage &message, const std::optional<IkeSkKey> &key,
                               const std::array<uint8_t, 8> &iv) {
  std::vector<RawPayload> payloads = EncodePayloads(message);
  crypto::Bytes out(kIkeHeaderSize);
  if (!key) {
    uint8_t first = AppendChain(payloads, out);
    WriteHeader(message, first, uint32_t(out.size()), out.data());
    return out;
  }
  crypto::Bytes inner;
  uint8_t first = AppendChain(payloads, inner);
  // RFC 5282 section 3: no alignment is needed for AEAD ciphers, so the padding is empty and
  // only the Pad Length byte (0) follows the payloads.
  inner.push_back(0);
  const size_t skLength = 4 + 8 + inner.size() + crypto::kAeadTagSize;
  out.resize(kIkeHeaderSize + skLength);
  WriteHeader(message, payload::kSk, uint32_t(out.size()), out.data());
  uint8_t *sk = out.data() + kIkeHeaderSize;
  sk[0] = first;
  sk[1] = 0;
  PutU16(sk + 2, uint16_t(skLength));
  std::memcpy(sk + 4, iv.data(), 8);
  // AAD: the IKE header and the SK payload's generic header (RFC 5282 section 5.1).
  const crypto::ByteView aad(out.data(), kIkeHeaderSize + 4);
  crypto::AeadSealInto(AeadFor(key->cipher), SkAeadKey(*key), SkNonce(*key, iv.data()), inner, aad,
                       sk + 12);
  return out;
}

std::optional<IkeHeaderInfo> ParseIkeHeader(crypto::ByteView datagram) {
  if (datagram.size() < kIkeHeaderSize) return std::nullopt;
  IkeHeaderInfo h;
  h.spiI = GetU64(datagram.data());
  h.spiR = GetU64(datagram.data() + 8);
  // A different major version is not ours; a larger minor version is fine (RFC 7296 2.5).
  if ((datagram[17] >> 4) != 2) return std::nullopt;
  if (!KnownExchange(datagram[18])) return std::nullopt;
  h.exchange = IkeExchange(datagram[18]);
  h.flags = datagram[19];
  h.messageId = GetU32(datagram.data() + 20);
  if (GetU32(datagram.data() + 24) != datagram.size()) return std::nullopt;
  return h;
}

IkeParseResult ParseIkeMessage(crypto::ByteView datagram, const std::optional<IkeSkKey> &key) {
  IkeParseResult result;
  auto header = ParseIkeHeader(datagram);
  if (!header) {
    result.error = IkeParseError::Malformed;
    return result;
  }
  IkeMessage m;
  m.spiI = header->spiI;
  m.spiR = header->spiR;
  m.exchange = header->exchange;
  m.fromInitiator = header->flags & flags::kInitiator;
  m.response = header->flags & flags::kResponse;
  m.messageId = header->messageId;
  std::optional<size_t> skOffset;
  const crypto::ByteView chain = datagram.subview(kIkeHeaderSize);
  result.error = DecodeChain(datagram[16], chain, m, &skOffset);
  if (result.error != IkeParseError::None) return result;
  if (m.exchange != IkeExchange::IkeSaInit) {
    if (!skOffset) {
      result.error = IkeParseError::MissingSk;
      return result;
    }
    if (!key) {
      result.error = IkeParseError::Integrity;
      return result;
    }
    const size_t skStart = kIkeHeaderSize + *skOffset;
    const crypto::ByteView sk = datagram.subview(skStart);
    if (sk.size() < 4 + 8 + 1 + crypto::kAeadTagSize) {
      result.error = IkeParseError::Malformed;
      return result;
    }
    crypto::Bytes plaintext(sk.size() - 12 - crypto::kAeadTagSize);
    if (!crypto::AeadOpenInto(AeadFor(key->cipher), SkAeadKey(*key), SkNonce(*key, sk.data() + 4),
                              sk.subview(12), datagram.subview(0, skStart + 4), plaintext.data())) {
      result.error = IkeParseError::Integrity;
      return result;
    }
    const size_t padLength = plaintext.back();
    if (padLength + 1 > plaintext.size()) {
      result.error = IkeParseError::Malformed;
      return result;
    }
    plaintext.resize(plaintext.size() - 1 - padLength);
    result.error = DecodeChain(sk[0], plaintext, m, nullptr);
    if (result.error != IkeParseError::None) return result;
  } else if (skOffset) {
    result.error = IkeParseError::Malformed;
    return result;
  }
  result.message = std::move(m);
  return result;
}

} // namespace tunnelsim::ipsec
