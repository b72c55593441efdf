// The IKEv2 responder state machine (IkeSa::OnMessage, OnTimer, lifetime and operator
// events) with a real initiator beside it: the script can let the two talk (so the fuzzer
// reaches IKE_AUTH, CREATE_CHILD_SA rekeys and INFORMATIONAL deletes), mutate the initiator's
// datagrams, inject raw datagrams, or inject SK payloads of its own choosing sealed with the
// initiator's real key (the responder then parses and acts on fuzzer-written payload chains
// behind the integrity check). See ike_world.h for the script format.
//
// Checked besides memory safety: no operation throws, and every Child SA the state machine
// asks to install is one the ESP SAD accepts.
#include "ike_world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384) return -1;
  tunnelsim::fuzz::FuzzInput in(data, size);
  tunnelsim::fuzz::IkeWorld world(in.U8());
  for (int step = 0; step < 128 && world.Step(in); ++step) {
  }
  return 0;
}
