// GRE decapsulation (GreTunnel::Decapsulate) under every ip_gre receive option.
//
// Input: one configuration byte (ikey, iseq, icsum, and the matching sender options), then
// records of [kind][16-bit length][bytes]. Kind bit 0 clear: the bytes are a raw GRE payload.
// Set: the bytes are an inner packet that a matching sender encapsulates, then kind's upper
// bits pick one byte to flip, so the fuzzer reaches the checks after a valid header.
//
// Checked besides memory safety: every call is either delivered or counted as exactly one
// drop; a delivered inner packet is IPv4 for 0x0800 and IPv6 for 0x86DD; an unmodified
// encapsulation of a well-formed packet comes back byte for byte (when sequence numbers are
// not enforced, since raw records may have moved the expected number on).
#include "fuzz_input.h"
#include "gre/gre_tunnel.h"

#include <cstdlib>

using namespace tunnelsim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::FuzzInput in(data, size);
  const uint8_t options = in.U8();
  gre::GreConfig receive;
  gre::GreConfig send;
  if (options & 1) {
    receive.inputKey = 0x01020304;
    send.outputKey = 0x01020304;
  }
  if (options & 2) receive.inputSequence = gre::GreSequenceMode::DropOutOfOrder;
  if (options & 4) receive.inputChecksum = true;
  send.outputSequence = options & 8;
  send.outputChecksum = options & 16;
  send.initialSequence = (options & 32) ? 0xfffffff0u : 0;
  gre::GreTunnel receiver(receive);
  gre::GreTunnel sender(send);

  uint64_t calls = 0;
  for (int record = 0; record < 64 && !in.empty(); ++record) {
    const uint8_t kind = in.U8();
    const crypto::ByteView bytes = in.Field();
    std::optional<crypto::Bytes> packet;
    bool pristine = false;
    if (kind & 1) {
      packet = sender.Encapsulate(bytes);
      if (!packet) continue;
      pristine = !(kind & 2);
      if (!pristine)
        (*packet)[(kind >> 2) % packet->size()] ^= static_cast<uint8_t>(1 + (kind >> 5));
    } else {
      packet = bytes.ToBytes();
    }
    auto result = receiver.Decapsulate(*packet);
    ++calls;
    if (result) {
      const crypto::Bytes &inner = result->innerPacket;
      if (inner.empty()) abort();
      const unsigned version = inner[0] >> 4;
      if (result->header.protocolType == gre::kGreProtocolIpv4 && version != 4) abort();
      if (result->header.protocolType == gre::kGreProtocolIpv6 && version != 6) abort();
    }
    const bool senderMatches = (options & 4 ? send.outputChecksum : true);
    if (pristine && senderMatches && receive.inputSequence == gre::GreSequenceMode::Accept) {
      if (!result || result->innerPacket.size() > bytes.size() ||
          !std::equal(result->innerPacket.begin(), result->innerPacket.end(), bytes.begin()))
        abort();
    }
    if (receiver.counters().decapsulated + receiver.counters().TotalDrops() != calls) abort();
  }
  return 0;
}
