#include "ipsec/ike_config_from_spec.h"

namespace tunnelsim::ipsec {

EspCipher EspCipherOf(tunnel::Aead aead) {
  return aead == tunnel::Aead::kChacha20Poly1305 ? EspCipher::ChaCha20Poly1305
                                                 : EspCipher::Aes256Gcm16;
}

IkeRekeyMode IkeRekeyModeOf(tunnel::RekeyMode mode) {
  return mode == tunnel::RekeyMode::kBreakBeforeMake ? IkeRekeyMode::BreakBeforeMake
                                                     : IkeRekeyMode::MakeBeforeBreak;
}

void ApplyIpsecSpec(const tunnel::IpsecSpec &spec, IkeConfig &config) {
  config.replayWindow = spec.replayWindow;
  config.esn = spec.esn;
  config.espCipher = EspCipherOf(spec.encryption);
  config.ikeCipher = EspCipherOf(spec.ikeEncryption);
  // The Child SA lives childLifetime and is rekeyed rekeyMargin before that.
  config.lifetime.hardTime = spec.childLifetime;
  config.lifetime.softTime = spec.childLifetime - spec.rekeyMargin;
  // strongSwan's rand_time (10 % of the rekey time by default), so both ends do not start a
  // rekey at the same instant (a collision: RFC 7296 2.8.1).
  config.lifetime.jitter = 0.1;
  if (spec.childLifetimeBytes > 0) {
    // strongSwan's convention: rekey at 90 % of the byte limit.
    config.lifetime.hardBytes = spec.childLifetimeBytes;
    config.lifetime.softBytes = spec.childLifetimeBytes - spec.childLifetimeBytes / 10;
  }
  // The IKE SA the same way, in strongSwan's swanctl terms: rekey_time = ike_lifetime -
  // rekey_margin, rand_time 10 % of rekey_time (the rekey starts up to that much earlier, so
  // the two ends, established a one-way delay apart, do not both start one at once: RFC 7296
  // 2.8.2), and over_time = rekey_margin. That hard limit is not modelled: the core has no IKE
  // SA expiry (a refused rekey is retried, an unanswered one fails the SA). The scenario checks
  // keep rekey_margin below ike_lifetime.
  config.ikeRekeyTime = spec.ikeLifetime - spec.rekeyMargin;
  config.ikeRekeyJitter = 0.1;
  // strongSwan's dpd_delay: a liveness check after this long without an IKE message or ESP
  // packet from the peer (the hosts report ESP packets to the core); 0 turns it off.
  config.dpdDelay = spec.dpdDelay;
  config.rekeyMode = IkeRekeyModeOf(spec.rekeyMode);
  config.retransmit.initialTimeout = spec.retransmitTimeout;
  config.retransmit.maxRetransmits = spec.retransmitTries;
}

} // namespace tunnelsim::ipsec
