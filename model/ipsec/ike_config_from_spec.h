// The part of an IKE SA's configuration that the scenario's tunnel.ipsec table decides, written
// once for every host that runs the IKEv2 core: the ns-3 GreIpsecGateway (which reads it back
// into the attributes that mirror it) and the emulate relay's gateways (model/emulate/). What a
// host knows itself (role, identities, PSK, addresses, traffic selectors, ESP mode) it sets
// apart.
#pragma once

#include "ipsec/esp_sa.h"
#include "ipsec/ike_sa.h"
#include "tunnel/spec.h"

namespace tunnelsim::ipsec {

EspCipher EspCipherOf(tunnel::Aead aead);
IkeRekeyMode IkeRekeyModeOf(tunnel::RekeyMode mode);

// Sets the ciphers, ESN, replay window, Child SA lifetimes and IKE SA rekeying (with
// strongSwan's conventions), dead peer detection, rekey mode and IKE retransmission of `config`
// from `spec`. Byte lifetimes are left as they are when the spec sets no byte limit.
void ApplyIpsecSpec(const tunnel::IpsecSpec &spec, IkeConfig &config);

} // namespace tunnelsim::ipsec
