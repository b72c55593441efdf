// Two configured WireGuard devices (Device::OnDatagram, OnTunnelPacket, OnTimer) driven by a
// script the fuzzer writes: deliver, mutate (optionally with a recomputed MAC1, so mutations
// get past the cheap check into the Noise handshake), drop, duplicate or inject datagrams of
// all four message types and garbage, send tunnel packets, advance virtual time, answer
// handshakes with cookie replies. See wireguard_world.h for the script format.
//
// Checked besides memory safety: a device never delivers a packet its peer did not send, and
// never delivers one sent packet twice (replayed or mutated transport messages must be
// refused); no operation throws.
#include "wireguard_world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384) return -1;
  tunnelsim::fuzz::FuzzInput in(data, size);
  tunnelsim::fuzz::WireguardWorld world(in.U8());
  for (int step = 0; step < 256 && world.Step(in); ++step) {
  }
  return 0;
}
