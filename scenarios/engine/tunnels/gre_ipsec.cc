// tunnel.type = "gre", "ipsec" and "gre-over-ipsec": a GreIpsecGateway pair (GreIpsecHelper) in
// mode Gre, IpsecTunnel or GreOverIpsec. The home gateway is the IKE initiator. The three
// types share this file because they are one adapter with one attribute set; only the mode and
// which option tables apply differ.
#include "../tunnel.h"
#include "gateway_features.h"

#include "ns3/gre_ipsec/gre_ipsec_helper.h"
#include "ns3/string.h"
#include "ns3/uinteger.h"
#include "json/esp_counters.h"
#include "json/ike_counters.h"

#include <sstream>

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;

constexpr uint32_t kOuterIpv4HeaderBytes = 20; // OuterTx traces the payload without it

std::string Prefix(ns3::Ipv4Address network, ns3::Ipv4Mask mask) {
  std::ostringstream text;
  network.Print(text);
  text << "/" << mask.GetPrefixLength();
  return text.str();
}

// Event names of the gateway's IkeEvent trace mapped onto the timeline's kinds.
const char *TimelineKind(const std::string &ikeEvent) {
  if (ikeEvent == "established") return "ike_sa_established";
  if (ikeEvent == "child-sa-created") return "child_sa_created";
  if (ikeEvent == "child-sa-rekeyed") return "child_sa_rekey";
  if (ikeEvent == "child-sa-deleted") return "child_sa_deleted";
  if (ikeEvent == "ike-sa-deleted") return "ike_sa_deleted";
  if (ikeEvent == "ike-sa-rekeyed") return "ike_sa_rekey";
  return "handshake_failed"; // authentication-failed, no-proposal-chosen, timeout
}

// What one gateway did, tallied from its traces while the simulation runs.
struct SideTally {
  uint64_t innerTx = 0, innerRx = 0;
  uint64_t innerTxBytes = 0, outerTxBytes = 0;
  uint64_t established = 0, childSasCreated = 0;
  std::map<std::string, uint64_t> drops; // from the Drop trace, by reason
};

class GreIpsecTunnel : public Tunnel {
public:
  explicit GreIpsecTunnel(ns3::GreIpsecGateway::Mode mode) : mode_(mode) {}

  void Install(const TunnelContext &context) override {
    ns3::GreIpsecHelper helper;
    helper.SetSpec(context.spec); // mode, GRE and IPsec options, interface MTU
    gatewaySpec_ = context.spec.gateway;
    InstallHostTcpShims(gatewaySpec_);
    helper.SetAttribute("RandomStream", ns3::UintegerValue(context.seed));
    helper.SetCpuSpec(context.spec.cpu, context.seed);
    if (context.keyLog && context.spec.Ipsec()) {
      helper.EnableKeyExport((context.outDir / "esp_sa").string(),
                             (context.outDir / "ikev2_decryption_table").string());
    }

    ns3::GreIpsecSites sites;
    sites.siteA = {Prefix(context.home.lanNetwork, context.home.lanMask)};
    sites.siteB = {Prefix(context.work.lanNetwork, context.work.lanMask)};
    const ns3::GreIpsecTunnel pair =
        helper.Install(context.home.node, context.home.wanAddress, context.work.node,
                       context.work.wanAddress, sites);
    home_ = pair.a;
    work_ = pair.b;
    Connect(home_, "home");
    Connect(work_, "work");
    if (context.pcap) {
      const std::string name = mode_ == ns3::GreIpsecGateway::IPSEC_TUNNEL ? "ipsec" : "gre1";
      helper.EnablePcap((context.outDir / "pcap" / (name + "-home.pcap")).string(),
                        home_->GetTunnelDevice(), false, true);
      helper.EnablePcap((context.outDir / "pcap" / (name + "-work.pcap")).string(),
                        work_->GetTunnelDevice(), false, true);
    }
  }

  TunnelCounters Counters() const override {
    TunnelCounters counters;
    const SideTally &home = tally_.at("home");
    const SideTally &work = tally_.at("work");
    // One IKE SA per pair: both ends report it established; count it once, like WireGuard's
    // initiator-side handshake count. A rekey is every Child SA after the first: replaced
    // (make-before-break) or deleted and created again (break-before-make).
    counters.handshakes = std::max(home.established, work.established);
    const uint64_t created = std::max(home.childSasCreated, work.childSasCreated);
    counters.rekeys = created > 0 ? created - 1 : 0;
    for (const SideTally *side : {&home, &work}) {
      counters.replayDrops += DropsOf(*side, "replay") + DropsOf(*side, "outside-window");
      counters.authFailures += DropsOf(*side, "icv-failure");
      counters.packetsEncapsulated += side->innerTx;
      counters.packetsDecapsulated += side->innerRx;
      counters.overheadBytes +=
          side->outerTxBytes > side->innerTxBytes ? side->outerTxBytes - side->innerTxBytes : 0;
    }
    counters.extra = {{"home", SideJson(*home_, home)},
                      {"work", SideJson(*work_, work)},
                      {"outer_bytes_sent", home.outerTxBytes + work.outerTxBytes}};
    AddGatewayCounters(gatewaySpec_, home_->GetGatewayCounters(), work_->GetGatewayCounters(),
                       counters.extra);
    return counters;
  }

  const std::vector<TunnelEvent> &Events() const override { return events_.Events(); }

private:
  void Connect(ns3::Ptr<ns3::GreIpsecGateway> gateway, const std::string &side) {
    tally_[side];
    gateway->TraceConnect("InnerTx", side, ns3::MakeCallback(&GreIpsecTunnel::OnInnerTx, this));
    gateway->TraceConnect("InnerRx", side, ns3::MakeCallback(&GreIpsecTunnel::OnInnerRx, this));
    gateway->TraceConnect("OuterTx", side, ns3::MakeCallback(&GreIpsecTunnel::OnOuterTx, this));
    gateway->TraceConnect("Drop", side, ns3::MakeCallback(&GreIpsecTunnel::OnDrop, this));
    gateway->TraceConnect("IkeEvent", side, ns3::MakeCallback(&GreIpsecTunnel::OnIkeEvent, this));
    gateway->TraceConnect("SaInstalled", side,
                          ns3::MakeCallback(&GreIpsecTunnel::OnSaInstalled, this));
  }

  void OnInnerTx(std::string side, ns3::Ptr<const ns3::Packet> packet) {
    SideTally &tally = tally_[side];
    ++tally.innerTx;
    tally.innerTxBytes += packet->GetSize();
  }
  void OnInnerRx(std::string side, ns3::Ptr<const ns3::Packet>) { ++tally_[side].innerRx; }
  void OnOuterTx(std::string side, ns3::Ptr<const ns3::Packet> payload) {
    tally_[side].outerTxBytes += payload->GetSize() + kOuterIpv4HeaderBytes;
  }
  void OnDrop(std::string side, const std::string &reason, ns3::Ptr<const ns3::Packet>) {
    ++tally_[side].drops[reason];
  }
  void OnIkeEvent(std::string side, const std::string &event, uint32_t, const std::string &) {
    if (event == "established") ++tally_[side].established;
    if (event == "child-sa-created") ++tally_[side].childSasCreated;
    events_.Record(TimelineKind(event), side);
  }
  void OnSaInstalled(std::string side, uint32_t, bool inbound) {
    events_.Record(inbound ? "sa_installed_inbound" : "sa_installed_outbound", side);
  }

  static uint64_t DropsOf(const SideTally &tally, const std::string &reason) {
    const auto found = tally.drops.find(reason);
    return found == tally.drops.end() ? 0 : found->second;
  }

  json SideJson(const ns3::GreIpsecGateway &gateway, const SideTally &tally) const {
    json side = {{"inner_packets_sent", tally.innerTx},
                 {"inner_packets_received", tally.innerRx},
                 {"drops", tally.drops}};
    if (gateway.UsesIpsec()) {
      side["esp_inbound"] = tunnelsim::ipsec::EspCountersJson(gateway.GetEspInboundCounters());
      side["esp_outbound"] = tunnelsim::ipsec::EspCountersJson(gateway.GetEspOutboundCounters());
      if (const tunnelsim::ipsec::IkeSa *ike = gateway.GetIkeSa()) {
        side["ike"] = tunnelsim::ipsec::IkeCountersJson(ike->counters());
      }
    }
    if (gateway.GetMode() != ns3::GreIpsecGateway::IPSEC_TUNNEL) {
      const tunnelsim::gre::GreCounters &g = gateway.GetGreCounters();
      side["gre"] = {{"encapsulated", g.encapsulated},
                     {"decapsulated", g.decapsulated},
                     {"drop_out_of_sequence", g.dropOutOfSequence},
                     {"drop_key_mismatch", g.dropKeyMismatch},
                     {"drop_bad_checksum", g.dropBadChecksum},
                     {"total_drops", g.TotalDrops()}};
    }
    return side;
  }

  ns3::GreIpsecGateway::Mode mode_;
  ns3::Ptr<ns3::GreIpsecGateway> home_, work_;
  tunnelsim::tunnel::GatewaySpec gatewaySpec_;
  std::map<std::string, SideTally> tally_;
  TunnelEventLog events_;
};

} // namespace

std::unique_ptr<Tunnel> MakeGreTunnel() {
  return std::make_unique<GreIpsecTunnel>(ns3::GreIpsecGateway::GRE);
}
std::unique_ptr<Tunnel> MakeIpsecTunnel() {
  return std::make_unique<GreIpsecTunnel>(ns3::GreIpsecGateway::IPSEC_TUNNEL);
}
std::unique_ptr<Tunnel> MakeGreOverIpsecTunnel() {
  return std::make_unique<GreIpsecTunnel>(ns3::GreIpsecGateway::GRE_OVER_IPSEC);
}

} // namespace tunnelsim::scenario
