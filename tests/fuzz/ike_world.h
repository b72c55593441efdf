// An IKEv2 initiator and the responder under test, each with its ESP SAD, on a wire the
// fuzzer controls. Shared by the IKE SA fuzz target and the seed-corpus generator, so seeds
// replay exactly (random sources are seeded; time is virtual).
//
// A script is an option byte then operations (IkeScriptOp). Reads past the end of the input
// return zeros, so any byte string is a valid script.
#pragma once

#include "fuzz_input.h"
#include "ike_seal.h"
#include "ipsec/esp_sad.h"
#include "ipsec/ike_sa.h"

#include <cstdlib>
#include <deque>
#include <memory>
#include <stdexcept>

namespace tunnelsim::fuzz {

enum IkeOption : uint8_t {
  kIkeStageMask = 3, // 0: responder idle, 1: after IKE_SA_INIT, 2 or 3: established
  kIkeChaCha = 4,    // ChaCha20-Poly1305 for IKE and ESP (else AES-GCM where available)
  kIkeEsn = 8,       // Extended Sequence Numbers on Child SAs
  kIkePfs = 16,      // fresh X25519 in CREATE_CHILD_SA
  kIkeBreakBeforeMake = 32,
  kIkeTransport = 64,      // transport-mode Child SAs
  kIkeShortLifetime = 128, // Child SAs rekey after 2 s and die after 4 s
};

enum class IkeScriptOp : uint8_t {
  InjectRaw,       // [len:2][bytes] to the responder
  InjectSealed,    // [exchange][flags][id mode][id:4 if mode odd][first payload][len:2][bytes]:
                   // the bytes sealed in an SK payload with the initiator's key and SPIs
  DeliverToR,      // the initiator's oldest datagram reaches the responder
  DeliverMutated,  // [flips][(pos:2, mask:1) x flips] then as DeliverToR
  DeliverToI,      // the responder's oldest datagram reaches the initiator
  Advance,         // [ms:2] (x1000 with op bit 3) then both sides' due timers
  ResponderAction, // [which]: rekey / delete Child SA / delete IKE SA / soft / hard lifetime
  InitiatorAction, // [which]: likewise on the initiator
};
constexpr int kIkeScriptOps = 8;

class IkeWorld {
public:
  explicit IkeWorld(uint8_t options) {
    for (int side = 0; side < 2; ++side) {
      const bool initiator = side == 0;
      ipsec::IkeConfig c;
      c.initiator = initiator;
      c.psk = crypto::Bytes{'f', 'u', 'z', 'z', '-', 'p', 's', 'k'};
      c.localId = ipsec::IkeIdPayload::Fqdn(initiator ? "gw-a.example" : "gw-b.example");
      c.remoteId = ipsec::IkeIdPayload::Fqdn(initiator ? "gw-b.example" : "gw-a.example");
      c.localAddress = *IpAddress::Parse(initiator ? "192.0.2.1" : "198.51.100.1");
      c.remoteAddress = *IpAddress::Parse(initiator ? "198.51.100.1" : "192.0.2.1");
      c.localTrafficSelector = *IpPrefix::Parse(initiator ? "10.1.0.0/16" : "10.2.0.0/16");
      c.remoteTrafficSelector = *IpPrefix::Parse(initiator ? "10.2.0.0/16" : "10.1.0.0/16");
      const bool chacha =
          (options & kIkeChaCha) || !ipsec::EspCipherAvailable(ipsec::EspCipher::Aes256Gcm16);
      c.ikeCipher = c.espCipher =
          chacha ? ipsec::EspCipher::ChaCha20Poly1305 : ipsec::EspCipher::Aes256Gcm16;
      c.esn = options & kIkeEsn;
      c.pfs = options & kIkePfs;
      c.rekeyMode = (options & kIkeBreakBeforeMake) ? ipsec::IkeRekeyMode::BreakBeforeMake
                                                    : ipsec::IkeRekeyMode::MakeBeforeBreak;
      c.childMode = (options & kIkeTransport) ? ipsec::EspMode::Transport : ipsec::EspMode::Tunnel;
      if (options & kIkeShortLifetime) {
        c.lifetime.softTime = Seconds(2);
        c.lifetime.hardTime = Seconds(4);
        c.lifetime.jitter = 0.1;
        c.lifetime.softPackets = 4;
        c.lifetime.hardPackets = 8;
      }
      c.retransmit.initialTimeout = Milliseconds(500);
      c.retransmit.maxRetransmits = 3;
      rng_[side] = std::make_unique<crypto::DeterministicRandom>(31 + side);
      ike_[side] = std::make_unique<ipsec::IkeSa>(c, *rng_[side]);
    }
    Apply(0, ike_[0]->Start(now_));
    const int stage = options & kIkeStageMask;
    if (stage >= 1) {
      DeliverToResponder(); // IKE_SA_INIT request
      DeliverToInitiator(); // IKE_SA_INIT response; the initiator sends IKE_AUTH
    }
    if (stage >= 2) {
      DeliverToResponder(); // IKE_AUTH request
      DeliverToInitiator(); // IKE_AUTH response
    }
  }

  ipsec::IkeSa &initiator() { return *ike_[0]; }
  ipsec::IkeSa &responder() { return *ike_[1]; }
  const std::deque<crypto::Bytes> &toResponder() const { return wire_[1]; }
  Time now() const { return now_; }

  void DeliverToResponder() { Deliver(1); }
  void DeliverToInitiator() { Deliver(0); }

  void ReceiveAtResponder(crypto::ByteView datagram) {
    Apply(1, ike_[1]->OnMessage(datagram, now_));
  }

  // What the initiator would seal: its SPIs and its outgoing SK key, once it has keys.
  std::optional<crypto::Bytes> Seal(const IkeRawHeader &header, uint8_t first,
                                    crypto::ByteView plaintext) {
    const ipsec::IkeSaKeys *keys = ike_[0]->keys();
    if (!keys) return std::nullopt;
    return SealIkeSk(header, first, plaintext,
                     ipsec::IkeSkKey{ike_[0]->config().ikeCipher, keys->skEi}, ++sealCounter_);
  }
  IkeRawHeader HeaderFromInitiator() const {
    IkeRawHeader h;
    h.spiI = ike_[0]->spiI();
    h.spiR = ike_[0]->spiR();
    h.flags = ipsec::flags::kInitiator;
    h.messageId = nextSealedId_;
    return h;
  }

  bool Step(FuzzInput &in) {
    if (in.empty()) return false;
    const uint8_t op = in.U8();
    switch (static_cast<IkeScriptOp>(op % kIkeScriptOps)) {
    case IkeScriptOp::InjectRaw:
      ReceiveAtResponder(in.Field());
      break;
    case IkeScriptOp::InjectSealed: {
      IkeRawHeader h = HeaderFromInitiator();
      h.exchange = static_cast<uint8_t>(34 + in.U8() % 4);
      h.flags ^= in.U8();
      const uint8_t idMode = in.U8();
      if (idMode & 1)
        h.messageId = in.U32();
      else
        ++nextSealedId_;
      const uint8_t first = in.U8();
      const crypto::ByteView plaintext = in.Field();
      if (auto datagram = Seal(h, first, plaintext)) ReceiveAtResponder(*datagram);
      break;
    }
    case IkeScriptOp::DeliverToR:
      DeliverToResponder();
      break;
    case IkeScriptOp::DeliverMutated: {
      const int flips = 1 + in.U8() % 4;
      if (wire_[1].empty()) break;
      crypto::Bytes datagram = std::move(wire_[1].front());
      wire_[1].pop_front();
      for (int i = 0; i < flips; ++i) {
        const uint16_t pos = in.U16();
        const uint8_t mask = in.U8();
        if (!datagram.empty()) datagram[pos % datagram.size()] ^= mask;
      }
      ReceiveAtResponder(datagram);
      break;
    }
    case IkeScriptOp::DeliverToI:
      DeliverToInitiator();
      break;
    case IkeScriptOp::Advance: {
      const uint16_t amount = in.U16();
      now_ += (op & 8) ? Seconds(amount % 600) : Milliseconds(amount);
      for (int round = 0; round < 32; ++round) {
        bool fired = false;
        for (int side = 0; side < 2; ++side) {
          if (timer_[side] > now_) continue;
          timer_[side] = kNever;
          Apply(side, ike_[side]->OnTimer(now_));
          fired = true;
        }
        if (!fired) break;
      }
      break;
    }
    case IkeScriptOp::ResponderAction:
    case IkeScriptOp::InitiatorAction: {
      const int side = (op % kIkeScriptOps) == int(IkeScriptOp::ResponderAction) ? 1 : 0;
      const uint8_t which = in.U8();
      ipsec::IkeSa &sa = *ike_[side];
      switch (which % 5) {
      case 0:
        Apply(side, sa.RekeyChildSa(now_));
        break;
      case 1:
        Apply(side, sa.DeleteChildSa(now_));
        break;
      case 2:
        Apply(side, sa.DeleteIkeSa(now_));
        break;
      default: {
        auto children = sa.childSas();
        if (children.empty()) break;
        const ipsec::IkeChildSaInfo &child = children[(which >> 3) % children.size()];
        const uint32_t spi = (which & 4) ? child.outboundSpi : child.inboundSpi;
        Apply(side, sa.OnChildSaLifetime(spi, which % 5 == 4, now_));
        break;
      }
      }
      break;
    }
    }
    return true;
  }

private:
  void Deliver(int to) {
    if (wire_[to].empty()) return;
    crypto::Bytes datagram = std::move(wire_[to].front());
    wire_[to].pop_front();
    Apply(to, ike_[to]->OnMessage(datagram, now_));
  }

  // Carries out actions the way an adapter does. The ESP SAD throws std::invalid_argument on
  // an SA configuration it cannot use: a state machine must never ask for one, so that
  // escapes and the fuzzer reports it.
  void Apply(int side, ipsec::IkeActions actions) {
    for (const ipsec::IkeSaInstall &install : actions.install) {
      if (install.inbound)
        sad_[side].AddInbound(install.config);
      else
        sad_[side].AddOutbound(install.config);
    }
    for (const ipsec::IkeSaRemove &remove : actions.remove) {
      if (remove.inbound)
        sad_[side].RemoveInbound(remove.spi);
      else
        sad_[side].RemoveOutbound(remove.spi);
    }
    for (crypto::Bytes &datagram : actions.send)
      if (wire_[1 - side].size() < 64) wire_[1 - side].push_back(std::move(datagram));
    timer_[side] = actions.nextTimer;
  }

  Time now_{0};
  std::unique_ptr<crypto::DeterministicRandom> rng_[2];
  std::unique_ptr<ipsec::IkeSa> ike_[2];
  ipsec::EspSad sad_[2];
  std::deque<crypto::Bytes> wire_[2]; // wire_[i]: datagrams on their way to side i
  Time timer_[2] = {kNever, kNever};
  uint64_t sealCounter_ = 0;
  uint32_t nextSealedId_ = 2; // the first request after IKE_SA_INIT (0) and IKE_AUTH (1)
};

} // namespace tunnelsim::fuzz
