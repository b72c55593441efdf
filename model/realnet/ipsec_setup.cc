#include "ipsec_setup.h"

#include <algorithm>

namespace tunnelsim::realnet {

using namespace tunnelsim::ipsec;

std::optional<IpsecSetup> BuildIpsecSetup(const SwanctlConfig &config,
                                          const std::string &connection, std::string &error) {
  const SwanctlConnection *conn = nullptr;
  if (connection.empty()) {
    if (config.connections.size() != 1) {
      error = "the file has " + std::to_string(config.connections.size()) +
              " connections: choose one with --connection";
      return std::nullopt;
    }
    conn = &config.connections[0];
  } else {
    conn = config.FindConnection(connection);
    if (!conn) {
      error = "no connection '" + connection + "' in the file";
      return std::nullopt;
    }
  }
  const std::string where = "connection " + conn->name + ": ";
  if (conn->children.size() != 1) {
    error = where + "exactly one child is supported (the file has " +
            std::to_string(conn->children.size()) + ")";
    return std::nullopt;
  }
  if (conn->localAddrs.size() != 1 || conn->remoteAddrs.size() != 1) {
    error = where + "one local_addrs and one remote_addrs address are supported";
    return std::nullopt;
  }
  const SwanctlChild &child = conn->children[0];
  if (child.localTs.size() > 1 || child.remoteTs.size() > 1) {
    error = where + "child " + child.name + ": one local_ts and one remote_ts subnet are supported";
    return std::nullopt;
  }
  if (child.startAction == SwanctlStartAction::Trap) {
    error = where + "child " + child.name + ": start_action = trap is unsupported (none or start)";
    return std::nullopt;
  }

  IpsecSetup setup;
  setup.connection = conn->name;
  setup.child = child.name;
  IkeConfig &ike = setup.ike;
  ike.localAddress = conn->localAddrs[0];
  ike.remoteAddress = conn->remoteAddrs[0];
  if (ike.localAddress.family() != ike.remoteAddress.family()) {
    error = where + "local_addrs and remote_addrs are of different address families";
    return std::nullopt;
  }
  // strongSwan's defaults: the identity is the address; the selectors are the host addresses.
  const std::string localId = conn->local.id.empty() ? ike.localAddress.ToString() : conn->local.id;
  const std::string remoteId =
      conn->remote.id.empty() ? ike.remoteAddress.ToString() : conn->remote.id;
  ike.localId = *IkeIdFromSwanctl(localId);
  ike.remoteId = *IkeIdFromSwanctl(remoteId);
  auto psk = config.FindPsk(localId, remoteId);
  if (!psk) {
    error = where + "no ike secret matches the identities " + localId + " and " + remoteId;
    return std::nullopt;
  }
  ike.psk = *psk;
  ike.localTrafficSelector = child.localTs.empty()
                                 ? IpPrefix{ike.localAddress, ike.localAddress.bits()}
                                 : child.localTs[0];
  ike.remoteTrafficSelector = child.remoteTs.empty()
                                  ? IpPrefix{ike.remoteAddress, ike.remoteAddress.bits()}
                                  : child.remoteTs[0];
  setup.routes = {ike.remoteTrafficSelector};

  const SwanctlProposal &ikeProposal = conn->proposals[0];
  const SwanctlProposal &espProposal = child.espProposals[0];
  ike.ikeCipher = ikeProposal.cipher;
  ike.espCipher = espProposal.cipher;
  ike.pfs = espProposal.x25519;
  ike.esn = espProposal.esn;
  if (conn->proposals.size() > 1 || child.espProposals.size() > 1) {
    setup.notes.push_back("only the first proposal of each list is offered and accepted");
  }
  ike.childMode = child.mode;
  ike.replayWindow = child.replayWindow;
  // strongSwan rekeys at rekey_time minus a random part of up to rand_time, which defaults to
  // life_time - rekey_time; the Child SA is deleted at life_time.
  ike.lifetime.softTime = child.rekeyTime;
  ike.lifetime.hardTime = child.EffectiveLifeTime();
  const double spread = ToSeconds(child.EffectiveLifeTime() - child.rekeyTime);
  ike.lifetime.jitter =
      child.rekeyTime.count() > 0 ? std::clamp(spread / ToSeconds(child.rekeyTime), 0.0, 1.0) : 0;
  ike.forceEncapsulation = conn->encap;
  // The IKE SA's rekey_time, started up to strongSwan's default rand_time (10 %) earlier.
  ike.ikeRekeyTime = conn->rekeyTime;
  ike.ikeRekeyJitter = 0.1;
  // As charon (delete_rekeyed_delay): a peer's data path may still use a rekeyed SA briefly.
  ike.rekeyedInboundLinger = Seconds(5);
  ike.initiator = child.startAction == SwanctlStartAction::Start;
  setup.initiate = ike.initiator;
  setup.dpdDelay = conn->dpdDelay;
  ike.dpdDelay = conn->dpdDelay;
  setup.dpdAction = child.dpdAction;
  return setup;
}

} // namespace tunnelsim::realnet
