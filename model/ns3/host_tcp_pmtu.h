// The host half of MSS clamping and path MTU discovery, for ns-3 nodes whose TCP does not do
// it: Linux puts an MSS option (the route's MTU less 40, its advmss) in every SYN and SYN-ACK,
// and with PMTU discovery on (net.ipv4.ip_no_pmtu_disc = 0, the default) sets DF on every TCP
// segment. ns-3 3.37's TcpSocketBase does neither, so this sits between a node's TCP and its
// IPv4 layer (the TcpL4Protocol's down target) and does both. Reading the option and the ICMP
// answer is the socket's part (LinuxTcpSocket, model/ns3/tcp/linux_tcp_pmtu.cc).
#pragma once

#include "ns3/node.h"
#include "ns3/ptr.h"

namespace ns3 {

struct HostTcpPmtuOptions {
  bool advertiseMss = false;    // add an MSS option (outgoing MTU - 40) to SYNs that lack one
  bool setDontFragment = false; // send every TCP segment with DF set
};

// Inserts the shim under the node's TCP; a node without TCP or with both options off is left
// alone. Install before the first segment is sent.
void InstallHostTcpPmtu(Ptr<Node> node, const HostTcpPmtuOptions &options);

} // namespace ns3
