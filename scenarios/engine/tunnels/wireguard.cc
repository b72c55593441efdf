// tunnel.type = "wireguard": one WireGuard interface on each gateway (WireGuardHelper), each
// the other's peer with the far LAN as allowed IPs, so the gateways route the LANs through it.
#include "../tunnel.h"
#include "gateway_features.h"

#include "ns3/inet-socket-address.h"
#include "ns3/string.h"
#include "ns3/uinteger.h"
#include "ns3/wireguard_helper.h"
#include "json/wireguard_counters.h"

#include <sstream>

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;
namespace wg = tunnelsim::wireguard;

constexpr uint32_t kOuterHeaderBytes = 20 + 8; // IPv4 + UDP around every WireGuard message

std::string Prefix(ns3::Ipv4Address network, ns3::Ipv4Mask mask) {
  std::ostringstream text;
  network.Print(text);
  text << "/" << mask.GetPrefixLength();
  return text.str();
}

class WireGuardTunnel : public Tunnel {
public:
  void Install(const TunnelContext &context) override {
    const tunnelsim::tunnel::WireGuardSpec &spec = *context.spec.WireGuard();
    ns3::WireGuardHelper helper;
    helper.SetSpec(spec);
    helper.SetAttribute("RandomStream", ns3::UintegerValue(context.seed));
    helper.SetCpuSpec(context.spec.cpu, context.seed);

    if (context.keyLog) {
      helper.SetAttribute("KeyLogFile",
                          ns3::StringValue((context.outDir / "wireguard-home.keylog").string()));
    }
    home_ = helper.Install(context.home.node);
    if (context.keyLog) {
      helper.SetAttribute("KeyLogFile",
                          ns3::StringValue((context.outDir / "wireguard-work.keylog").string()));
    }
    work_ = helper.Install(context.work.node);
    gatewaySpec_ = context.spec.gateway;
    InstallHostTcpShims(gatewaySpec_);
    home_->SetGatewaySpec(gatewaySpec_);
    work_->SetGatewaySpec(gatewaySpec_);
    ns3::WireGuardHelper::AssignAddress(home_, "10.99.0.1/30");
    ns3::WireGuardHelper::AssignAddress(work_, "10.99.0.2/30");

    ns3::WireGuardPeerOptions peerOptions;
    peerOptions.persistentKeepalive = ns3::NanoSeconds(spec.persistentKeepalive.count());
    ns3::WireGuardHelper::AddPeer(
        home_, work_, {"10.99.0.2/32", Prefix(context.work.lanNetwork, context.work.lanMask)},
        ns3::InetSocketAddress(context.work.wanAddress, spec.listenPort), peerOptions);
    ns3::WireGuardHelper::AddPeer(
        work_, home_, {"10.99.0.1/32", Prefix(context.home.lanNetwork, context.home.lanMask)},
        ns3::InetSocketAddress(context.home.wanAddress, spec.listenPort), peerOptions);
    for (const auto &app : {home_, work_}) {
      app->TraceConnectWithoutContext("OuterTx",
                                      ns3::MakeCallback(&WireGuardTunnel::OnOuterTx, this));
    }
    ConnectEvents(home_, "home");
    ConnectEvents(work_, "work");
    if (context.pcap) {
      helper.EnablePcap((context.outDir / "pcap" / "wireguard-home.pcap").string(),
                        home_->GetTunnelDevice(), false, true);
      helper.EnablePcap((context.outDir / "pcap" / "wireguard-work.pcap").string(),
                        work_->GetTunnelDevice(), false, true);
    }
  }

  TunnelCounters Counters() const override {
    const wg::DeviceCounters &home = home_->GetCounters();
    const wg::DeviceCounters &work = work_->GetCounters();
    TunnelCounters counters;
    // A handshake completes when its initiator accepts the response.
    counters.handshakes = home.handshakeResponsesReceived + work.handshakeResponsesReceived;
    // Both ends replace their session on a rekey; count it once.
    counters.rekeys = std::max(home.rekeys, work.rekeys);
    counters.replayDrops = home.Drops(wg::DropReason::Replay) + work.Drops(wg::DropReason::Replay);
    counters.authFailures =
        home.Drops(wg::DropReason::DecryptFailed) + work.Drops(wg::DropReason::DecryptFailed);
    counters.packetsEncapsulated = home.dataPacketsSent + work.dataPacketsSent;
    counters.packetsDecapsulated = home.dataPacketsReceived + work.dataPacketsReceived;
    const uint64_t inner = home.dataBytesSent + work.dataBytesSent;
    counters.overheadBytes = outerBytes_ > inner ? outerBytes_ - inner : 0;
    counters.extra = {{"home", wg::CountersJson(home)},
                      {"work", wg::CountersJson(work)},
                      {"outer_bytes_sent", outerBytes_}};
    AddGatewayCounters(gatewaySpec_, home_->GetGatewayCounters(), work_->GetGatewayCounters(),
                       counters.extra);
    return counters;
  }

  const std::vector<TunnelEvent> &Events() const override { return events_.Events(); }

private:
  void ConnectEvents(ns3::Ptr<ns3::WireGuardApplication> app, const std::string &side) {
    app->TraceConnect("HandshakeInitiated", side,
                      ns3::MakeCallback(&WireGuardTunnel::OnInitiated, this));
    app->TraceConnect("HandshakeResponseSent", side,
                      ns3::MakeCallback(&WireGuardTunnel::OnResponseSent, this));
    app->TraceConnect("HandshakeCompleted", side,
                      ns3::MakeCallback(&WireGuardTunnel::OnCompleted, this));
    app->TraceConnect("Rekey", side, ns3::MakeCallback(&WireGuardTunnel::OnRekey, this));
    app->TraceConnect("HandshakeGaveUp", side, ns3::MakeCallback(&WireGuardTunnel::OnGaveUp, this));
  }
  void OnInitiated(std::string side, const std::string &) {
    events_.Record("handshake_initiation", side);
  }
  void OnResponseSent(std::string side, const std::string &) {
    events_.Record("handshake_response", side);
  }
  void OnCompleted(std::string side, const std::string &) {
    events_.Record("handshake_complete", side);
  }
  void OnRekey(std::string side, const std::string &) { events_.Record("rekey", side); }
  void OnGaveUp(std::string side, const std::string &) { events_.Record("handshake_failed", side); }

  void OnOuterTx(ns3::Ptr<const ns3::Packet> datagram) {
    outerBytes_ += datagram->GetSize() + kOuterHeaderBytes;
  }

  ns3::Ptr<ns3::WireGuardApplication> home_, work_;
  tunnelsim::tunnel::GatewaySpec gatewaySpec_;
  uint64_t outerBytes_ = 0;
  TunnelEventLog events_;
};

} // namespace

std::unique_ptr<Tunnel> MakeWireGuardTunnel() { return std::make_unique<WireGuardTunnel>(); }

} // namespace tunnelsim::scenario
