// tunnel.type = "gre", "ipsec" and "gre-over-ipsec": a GreIpsecGateway pair (GreIpsecHelper) in
// mode Gre, IpsecTunnel or GreOverIpsec. The home gateway is the IKE initiator. The three
// types share this file because they are one adapter with one attribute set; only the mode and
// which option tables apply differ.
#include "../tunnel.h"
#include "../units.h"

#include "ns3/boolean.h"
#include "ns3/double.h"
#include "ns3/enum.h"
#include "ns3/gre-ipsec/gre-ipsec-helper.h"
#include "ns3/integer.h"
#include "ns3/string.h"
#include "ns3/uinteger.h"

#include <sstream>

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;

constexpr uint32_t kOuterIpv4HeaderBytes = 20; // OuterTx traces the payload without it

ns3::Time TimeKey(const json &table, const char *key) {
  return ns3::NanoSeconds(*ParseDurationNs(table.at(key).get<std::string>()));
}

std::string Prefix(ns3::Ipv4Address network, ns3::Ipv4Mask mask) {
  std::ostringstream text;
  network.Print(text);
  text << "/" << mask.GetPrefixLength();
  return text.str();
}

ns3::GreIpsecGateway::Cipher CipherOf(const std::string &name) {
  return name == "chacha20-poly1305" ? ns3::GreIpsecGateway::CHACHA20_POLY1305
                                     : ns3::GreIpsecGateway::AES_256_GCM_16;
}

// Event names of the gateway's IkeEvent trace mapped onto the timeline's kinds.
const char *TimelineKind(const std::string &ikeEvent) {
  if (ikeEvent == "established") return "ike_sa_established";
  if (ikeEvent == "child-sa-created") return "child_sa_created";
  if (ikeEvent == "child-sa-rekeyed") return "child_sa_rekey";
  if (ikeEvent == "child-sa-deleted") return "child_sa_deleted";
  if (ikeEvent == "ike-sa-deleted") return "ike_sa_deleted";
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
    const bool ipsec = mode_ != ns3::GreIpsecGateway::GRE;
    const bool gre = mode_ != ns3::GreIpsecGateway::IPSEC_TUNNEL;
    const json &cpu = context.options.at("cpu");

    ns3::GreIpsecHelper helper;
    helper.SetAttribute("Mode", ns3::EnumValue(mode_));
    helper.SetAttribute("RandomStream", ns3::UintegerValue(context.seed));
    if (gre) {
      const json &options = context.options.at("gre");
      if (options.contains("key"))
        helper.SetAttribute("GreKey", ns3::IntegerValue(options.at("key").get<int64_t>()));
      // `sequence` is oseq and iseq together (ip link ... seq): numbered and checked.
      const bool sequence = options.at("sequence").get<bool>();
      helper.SetAttribute("GreSequence", ns3::BooleanValue(sequence));
      helper.SetAttribute("GreInSequence", ns3::BooleanValue(sequence));
      helper.SetAttribute("GreChecksum", ns3::BooleanValue(options.at("checksum").get<bool>()));
    }
    if (ipsec) {
      const json &options = context.options.at("ipsec");
      helper.SetAttribute("ReplayWindow",
                          ns3::UintegerValue(options.at("replay_window").get<uint32_t>()));
      helper.SetAttribute("Esn", ns3::BooleanValue(options.at("esn").get<bool>()));
      helper.SetAttribute("EspCipher",
                          ns3::EnumValue(CipherOf(options.at("encryption").get<std::string>())));
      helper.SetAttribute(
          "IkeCipher", ns3::EnumValue(CipherOf(options.at("ike_encryption").get<std::string>())));
      const ns3::Time hard = TimeKey(options, "child_lifetime");
      helper.SetAttribute("HardLifetime", ns3::TimeValue(hard));
      helper.SetAttribute("SoftLifetime", ns3::TimeValue(hard - TimeKey(options, "rekey_margin")));
      // strongSwan's rand_time (10 % of the rekey time by default), so both ends do not start
      // a rekey at the same instant (a collision: RFC 7296 2.8.1).
      helper.SetAttribute("LifetimeJitter", ns3::DoubleValue(0.1));
      if (const uint64_t bytes = options.at("child_lifetime_bytes").get<uint64_t>(); bytes > 0) {
        // strongSwan's convention: rekey at 90 % of the byte limit.
        helper.SetAttribute("HardLifetimeBytes", ns3::UintegerValue(bytes));
        helper.SetAttribute("SoftLifetimeBytes", ns3::UintegerValue(bytes - bytes / 10));
      }
      helper.SetAttribute("RekeyMode",
                          ns3::EnumValue(options.at("rekey_mode") == "break-before-make"
                                             ? ns3::GreIpsecGateway::BREAK_BEFORE_MAKE
                                             : ns3::GreIpsecGateway::MAKE_BEFORE_BREAK));
      helper.SetAttribute("IkeRetransmitTimeout",
                          ns3::TimeValue(TimeKey(options, "retransmit_timeout")));
      helper.SetAttribute("IkeMaxRetransmits",
                          ns3::UintegerValue(options.at("retransmit_tries").get<uint32_t>()));
    }
    // The interface MTU: the GRE table's for plain GRE, the IPsec table's when ESP is involved.
    const json &mtuTable = context.options.at(ipsec ? "ipsec" : "gre");
    helper.SetAttribute("Mtu", ns3::UintegerValue(mtuTable.at("mtu").get<uint32_t>()));
    if (cpu.at("enabled").get<bool>()) {
      helper.SetCpuModelAttribute("FixedCost", ns3::TimeValue(TimeKey(cpu, "fixed_cost")));
      helper.SetCpuModelAttribute("PerByteCost",
                                  ns3::DoubleValue(cpu.at("per_byte_ns").get<double>()));
      helper.SetCpuModelAttribute("Workers", ns3::UintegerValue(cpu.at("workers").get<uint32_t>()));
      helper.SetCpuModelAttribute("Reserialise",
                                  ns3::BooleanValue(cpu.at("reserialise").get<bool>()));
      helper.SetCpuModelAttribute("Seed", ns3::UintegerValue(context.seed));
    }
    if (context.keyLog && ipsec) {
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

  static json EspJson(const tunnelsim::ipsec::EspCounters &c) {
    return {{"packets", c.packets},
            {"bytes", c.bytes},
            {"drop_replay", c.dropReplay},
            {"drop_outside_window", c.dropOutsideWindow},
            {"drop_icv", c.dropIcv},
            {"drop_no_sa", c.dropNoSa},
            {"drop_malformed", c.dropMalformed},
            {"drop_sequence_overflow", c.dropSequenceOverflow},
            {"drop_hard_lifetime", c.dropHardLifetime}};
  }

  json SideJson(const ns3::GreIpsecGateway &gateway, const SideTally &tally) const {
    json side = {{"inner_packets_sent", tally.innerTx},
                 {"inner_packets_received", tally.innerRx},
                 {"drops", tally.drops}};
    if (gateway.UsesIpsec()) {
      side["esp_inbound"] = EspJson(gateway.GetEspInboundCounters());
      side["esp_outbound"] = EspJson(gateway.GetEspOutboundCounters());
      if (const tunnelsim::ipsec::IkeSa *ike = gateway.GetIkeSa()) {
        const tunnelsim::ipsec::IkeCounters &c = ike->counters();
        side["ike"] = {
            {"messages_sent", c.messagesSent},         {"retransmissions", c.retransmissions},
            {"messages_received", c.messagesReceived}, {"auth_failures", c.authFailures},
            {"child_sas_created", c.childSasCreated},  {"child_sas_rekeyed", c.childSasRekeyed},
            {"child_sas_deleted", c.childSasDeleted},  {"rekey_collisions", c.rekeyCollisions}};
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
