#include "json/ike_counters.h"

namespace tunnelsim::ipsec {

nlohmann::json IkeCountersJson(const IkeCounters &c) {
  return {{"messages_sent", c.messagesSent},
          {"retransmissions", c.retransmissions},
          {"messages_received", c.messagesReceived},
          {"responses_resent", c.responsesResent},
          {"drop_malformed", c.dropMalformed},
          {"drop_integrity", c.dropIntegrity},
          {"drop_unexpected", c.dropUnexpected},
          {"auth_failures", c.authFailures},
          {"child_sas_created", c.childSasCreated},
          {"child_sas_rekeyed", c.childSasRekeyed},
          {"child_sas_deleted", c.childSasDeleted},
          {"rekey_collisions", c.rekeyCollisions},
          {"liveness_checks_sent", c.livenessChecksSent},
          {"ike_sas_rekeyed", c.ikeSasRekeyed},
          {"ike_sa_rekeys_started", c.ikeSaRekeysStarted}};
}

} // namespace tunnelsim::ipsec
