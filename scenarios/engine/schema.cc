#include "schema.h"

#include "tunnel_spec_json.h"
#include "units.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <sstream>

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;

constexpr double kMaxInteger = 9.0e18;

class SchemaBuilder {
public:
  explicit SchemaBuilder(std::vector<KeySpec> &keys) : keys_(keys) {}

  void Prefix(std::string prefix, Presence presence, std::vector<std::string> tunnels = {}) {
    prefix_ = std::move(prefix);
    presence_ = presence;
    tunnels_ = std::move(tunnels);
  }

  void String(const std::string &name, json def, std::string doc) {
    Add(name, ValueKind::kString, std::move(def), std::move(doc));
  }
  void Enum(const std::string &name, std::vector<std::string> allowed, json def, std::string doc) {
    Add(name, ValueKind::kEnum, std::move(def), std::move(doc)).allowed = std::move(allowed);
  }
  void Integer(const std::string &name, double min, double max, json def, std::string doc) {
    KeySpec &spec = Add(name, ValueKind::kInteger, std::move(def), std::move(doc));
    spec.min = min;
    spec.max = max;
  }
  void Number(const std::string &name, double min, double max, json def, std::string doc) {
    KeySpec &spec = Add(name, ValueKind::kNumber, std::move(def), std::move(doc));
    spec.min = min;
    spec.max = max;
  }
  void Percent(const std::string &name, json def, std::string doc) {
    KeySpec &spec = Add(name, ValueKind::kPercent, std::move(def), std::move(doc));
    spec.min = 0;
    spec.max = 100;
  }
  void Boolean(const std::string &name, json def, std::string doc) {
    Add(name, ValueKind::kBoolean, std::move(def), std::move(doc));
  }
  void Duration(const std::string &name, json def, std::string doc) {
    Add(name, ValueKind::kDuration, std::move(def), std::move(doc));
  }
  void DataRate(const std::string &name, json def, std::string doc) {
    Add(name, ValueKind::kDataRate, std::move(def), std::move(doc));
  }

private:
  KeySpec &Add(const std::string &name, ValueKind kind, json def, std::string doc) {
    KeySpec spec;
    spec.path = prefix_.empty() ? name : prefix_ + "." + name;
    spec.kind = kind;
    spec.defaultValue = std::move(def);
    spec.doc = std::move(doc);
    spec.presence = presence_;
    spec.tunnelTypes = tunnels_;
    keys_.push_back(std::move(spec));
    return keys_.back();
  }

  std::vector<KeySpec> &keys_;
  std::string prefix_;
  Presence presence_ = Presence::kAlways;
  std::vector<std::string> tunnels_;
};

void AddTopLevel(SchemaBuilder &b) {
  b.Prefix("", Presence::kAlways);
  b.String("name", nullptr,
           "Scenario name used in results; defaults to the file name without .toml.");
  b.Duration("duration", "20s", "Simulated time from the start of the run to its end.");
  b.Integer("seed", 1, 4294967295.0, 1,
            "Run number of ns-3's random streams and seed of every tunnel/impairment generator.");
}

void AddTopology(SchemaBuilder &b) {
  b.Prefix("topology", Presence::kAlways);
  b.DataRate("lan_rate", "1Gbps", "Rate of both LANs (host to gateway), each direction.");
  b.Duration("lan_delay", "100us", "One-way propagation delay of each LAN.");
  b.DataRate("access_up_rate", "20Mbps", "Access link rate from the home gateway towards work.");
  b.DataRate("access_down_rate", "100Mbps", "Access link rate towards the home gateway.");
  b.Duration("access_delay", "5ms", "One-way propagation delay of the access link.");
  b.DataRate("wan_rate", "1Gbps", "WAN link rate (WAN router to work gateway), each direction.");
  b.Duration("wan_delay", "15ms", "One-way propagation delay of the WAN link.");
  b.Integer("queue_packets", 1, 1000000, 1000,
            "Drop-tail queue length of every link device, packets.");
  b.Integer("mtu", 576, 9000, 1500, "IP MTU of every link.");
  b.Duration("roam_at", nullptr,
             "When the home gateway's access-link address changes (roaming); absent: never.");
}

// Every default and range below comes from model/tunnel/spec.h (the one home of them);
// only the key names and their documentation are written here.
void AddTunnel(SchemaBuilder &b) {
  using namespace tunnelsim::tunnel;
  const auto names = [](const auto &array) {
    return std::vector<std::string>(array.begin(), array.end());
  };
  b.Prefix("tunnel", Presence::kAlways);
  b.Enum("type", TunnelTypes(), std::string(kTunnelTypeNames[0]),
         "Tunnel between the two gateways; `none` routes the LANs over the plain path.");

  const std::vector<std::string> allTunnels(kTunnelTypeNames.begin() + 1, kTunnelTypeNames.end());
  const CpuSpec cpu;
  b.Prefix("tunnel.cpu", Presence::kIfTunnel, allTunnels);
  b.Boolean("enabled", cpu.enabled,
            "Model the CPU time of per-packet cryptography at each gateway.");
  b.Duration("fixed_cost", DurationText(cpu.fixedCost),
             "CPU time per packet, independent of its size.");
  b.Number("per_byte_ns", CpuSpec::kPerByteNsRange.min, CpuSpec::kPerByteNsRange.max, cpu.perByteNs,
           "CPU time per byte of packet, nanoseconds.");
  b.Integer("workers", CpuSpec::kWorkersRange.min, CpuSpec::kWorkersRange.max, cpu.workers,
            "Identical crypto workers (cores) per gateway.");
  b.Boolean("reserialise", cpu.reserialise,
            "Restore per-flow order after parallel workers (as Linux WireGuard's serial queues).");

  const GatewaySpec gateway;
  b.Prefix("tunnel", Presence::kIfTunnel, allTunnels);
  b.String("clamp_mss", "off",
           "TCP MSS clamping at both gateways, as iptables -j TCPMSS: \"off\", \"pmtu\" "
           "(the tunnel MTU less 40) or an MSS as a quoted number from 88 to 65535.");
  b.Boolean("pmtu_discovery", gateway.pmtuDiscovery,
            "Path MTU discovery: hosts' TCP sets DF, a gateway answers a DF packet too big for "
            "the tunnel with ICMP fragmentation-needed and drops it; TCP lowers its MSS.");

  const WireGuardSpec wg;
  b.Prefix("tunnel.wireguard", Presence::kIfTunnel, {"wireguard"});
  b.Integer("listen_port", WireGuardSpec::kListenPortRange.min, WireGuardSpec::kListenPortRange.max,
            wg.listenPort, "UDP port of both WireGuard endpoints.");
  b.Integer("mtu", kMtuRange.min, kMtuRange.max, wg.mtu, "MTU of the WireGuard interface.");
  b.Duration("persistent_keepalive", DurationText(wg.persistentKeepalive),
             "Persistent keepalive interval; 0s turns it off.");
  b.Duration("rekey_after_time", DurationText(wg.rekeyAfterTime),
             "Timer override: REKEY_AFTER_TIME.");
  b.Duration("reject_after_time", DurationText(wg.rejectAfterTime),
             "Timer override: REJECT_AFTER_TIME.");
  b.Duration("rekey_attempt_time", DurationText(wg.rekeyAttemptTime),
             "Timer override: REKEY_ATTEMPT_TIME.");
  b.Duration("rekey_timeout", DurationText(wg.rekeyTimeout), "Timer override: REKEY_TIMEOUT.");
  b.Duration("keepalive_timeout", DurationText(wg.keepaliveTimeout),
             "Timer override: KEEPALIVE_TIMEOUT.");
  b.Integer("rekey_after_messages", WireGuardSpec::kRekeyAfterMessagesRange.min,
            WireGuardSpec::kRekeyAfterMessagesRange.max,
            // As a double, as the scenario language has always shown it (1.152921504606847e+18,
            // exactly 2^60 once read back), so resolved scenarios stay byte-identical.
            static_cast<double>(wg.rekeyAfterMessages), "Override of REKEY_AFTER_MESSAGES (2^60).");
  b.Integer("under_load_handshakes_per_second",
            WireGuardSpec::kUnderLoadHandshakesPerSecondRange.min,
            WireGuardSpec::kUnderLoadHandshakesPerSecondRange.max, wg.underLoadHandshakesPerSecond,
            "Handshake messages per second above which a responder is under load (sends cookies).");

  const GreSpec gre;
  b.Prefix("tunnel.gre", Presence::kIfTunnel, {"gre", "gre-over-ipsec"});
  b.Integer("key", GreSpec::kKeyRange.min, GreSpec::kKeyRange.max,
            gre.key ? json(*gre.key) : json(nullptr), "GRE key (RFC 2890); absent: no key field.");
  b.Boolean("checksum", gre.checksum, "Add and check the GRE checksum.");
  b.Boolean("sequence", gre.sequence,
            "Add GRE sequence numbers (RFC 2890) and drop out-of-order packets.");
  b.Integer("mtu", kMtuRange.min, kMtuRange.max, gre.mtu, "MTU of the GRE interface.");

  const IpsecSpec ipsec;
  b.Prefix("tunnel.ipsec", Presence::kIfTunnel, {"ipsec", "gre-over-ipsec"});
  b.Integer("replay_window", IpsecSpec::kReplayWindowRange.min, IpsecSpec::kReplayWindowRange.max,
            ipsec.replayWindow,
            "ESP anti-replay window in packets (RFC 4303); 0 turns replay protection off.");
  b.Boolean("esn", ipsec.esn, "Extended (64-bit) sequence numbers.");
  b.Enum("encryption", names(kAeadNames),
         std::string(kAeadNames[static_cast<size_t>(ipsec.encryption)]), "ESP AEAD algorithm.");
  b.Enum("ike_encryption", names(kAeadNames),
         std::string(kAeadNames[static_cast<size_t>(ipsec.ikeEncryption)]),
         "IKEv2 SA encryption algorithm.");
  b.Enum("ike_prf", {std::string(IpsecSpec::kIkePrf)}, std::string(IpsecSpec::kIkePrf),
         "IKEv2 pseudo-random function.");
  b.Enum("dh_group", {std::string(IpsecSpec::kDhGroup)}, std::string(IpsecSpec::kDhGroup),
         "IKEv2 Diffie-Hellman group.");
  b.Duration("child_lifetime", DurationText(ipsec.childLifetime),
             "Child SA hard lifetime; rekeyed rekey_margin before.");
  b.Integer("child_lifetime_bytes", IpsecSpec::kChildLifetimeBytesRange.min,
            IpsecSpec::kChildLifetimeBytesRange.max, ipsec.childLifetimeBytes,
            "Child SA byte lifetime; 0 means no byte limit.");
  b.Duration("ike_lifetime", DurationText(ipsec.ikeLifetime),
             "IKE SA lifetime; rekeyed rekey_margin before (less up to 10 %).");
  b.Duration("rekey_margin", DurationText(ipsec.rekeyMargin),
             "How long before a lifetime expires the SA is rekeyed.");
  b.Enum("rekey_mode", names(kRekeyModeNames),
         std::string(kRekeyModeNames[static_cast<size_t>(ipsec.rekeyMode)]),
         "Child SA rekeying: the old SA stays usable until the new one is installed, or is "
         "deleted first.");
  b.Duration("retransmit_timeout", DurationText(ipsec.retransmitTimeout),
             "Timer override: first IKE retransmission timeout.");
  b.Integer("retransmit_tries", IpsecSpec::kRetransmitTriesRange.min,
            IpsecSpec::kRetransmitTriesRange.max, ipsec.retransmitTries,
            "IKE retransmissions before giving up.");
  b.Duration("dpd_delay", DurationText(ipsec.dpdDelay),
             "Dead peer detection interval; 0s turns it off.");
  b.Integer("mtu", kMtuRange.min, kMtuRange.max, ipsec.mtu, "MTU of the IPsec tunnel interface.");

  const StrongSwanSpec strongswan;
  b.Prefix("tunnel.strongswan", Presence::kIfTunnel, {"strongswan"});
  b.Enum("encryption", names(kAeadNames),
         std::string(kAeadNames[static_cast<size_t>(strongswan.encryption)]),
         "IKEv2 and ESP AEAD of the two charon gateways (emulate only; kernel-libipsec's replay "
         "window is fixed at 128 packets, no ESN).");
  b.Integer("mtu", kMtuRange.min, kMtuRange.max, strongswan.mtu,
            "MTU of charon's ipsec0 interface (emulate only).");
}

void AddImpairments(SchemaBuilder &b) {
  for (const std::string &link : ImpairmentLinks()) {
    for (const std::string &direction : ImpairmentDirections()) {
      b.Prefix("impairment." + link + "." + direction, Presence::kInTable);
      b.String("netem", nullptr,
               "tc netem arguments, e.g. \"delay 10ms 2ms 25% reorder 5% 50% loss 1%\"; "
               "excludes the netem keys below.");
      b.Duration("delay", nullptr, "Added one-way delay (netem delay).");
      b.Duration("jitter", nullptr, "Delay variation; needs delay.");
      b.Enum("distribution", {"uniform", "normal", "pareto", "paretonormal"}, nullptr,
             "Jitter distribution; needs jitter.");
      b.Percent("delay_correlation", nullptr, "Correlation of successive delays, percent.");
      b.Percent("reorder", nullptr,
                "Packets sent immediately (ahead of delayed ones), percent; needs delay.");
      b.Percent("reorder_correlation", nullptr, "Correlation of reorder decisions, percent.");
      b.Integer("gap", 1, 1000000, nullptr,
                "Reorder every gap-th packet (netem gap); needs reorder.");
      b.Enum("loss_model", {"random", "state", "gemodel"}, nullptr,
             "Loss model: random (uses loss), state (4-state Markov), gemodel (Gilbert-Elliott).");
      b.Percent("loss", nullptr, "Random loss probability, percent.");
      b.Percent("loss_correlation", nullptr, "Correlation of random loss decisions, percent.");
      b.Percent("state_p13", nullptr, "4-state model: good to burst-loss transition, percent.");
      b.Percent("state_p31", nullptr, "4-state model: burst-loss to good, percent.");
      b.Percent("state_p32", nullptr, "4-state model: burst-loss to burst-good, percent.");
      b.Percent("state_p23", nullptr, "4-state model: burst-good to burst-loss, percent.");
      b.Percent("state_p14", nullptr, "4-state model: good to isolated loss, percent.");
      b.Percent("gemodel_p", nullptr, "Gilbert-Elliott: good to bad transition, percent.");
      b.Percent("gemodel_r", nullptr, "Gilbert-Elliott: bad to good transition, percent.");
      b.Percent("gemodel_1_h", nullptr,
                "Gilbert-Elliott: loss probability in the bad state, percent.");
      b.Percent("gemodel_1_k", nullptr,
                "Gilbert-Elliott: loss probability in the good state, percent.");
      b.Percent("duplicate", nullptr, "Duplicated packets, percent.");
      b.Percent("duplicate_correlation", nullptr, "Correlation of duplicate decisions, percent.");
      b.Percent("corrupt", nullptr, "Packets with one flipped bit, percent.");
      b.Percent("corrupt_correlation", nullptr, "Correlation of corrupt decisions, percent.");
      b.DataRate("rate", nullptr, "Rate limit applied by the impairment (netem rate).");
      b.Integer("limit", 1, 10000000, nullptr, "Packets the impairment may hold (netem limit).");
      b.Boolean(
          "keep_order", nullptr,
          "Extension: jitter never reorders (each packet leaves no earlier than the previous).");
      b.Enum("corrupt_region", {"whole-packet", "after-headers"}, nullptr,
             "Where corrupt flips a bit: anywhere (netem) or after the IP/TCP/UDP headers "
             "(default), so a tunnel's authentication sees it.");
      b.Duration("ack_delay", nullptr,
                 "Extra delay for ACK-like packets only (data packets are not delayed).");
      b.Duration("ack_delay_jitter", nullptr, "Uniform extra ACK delay in [0, jitter).");
      b.Integer("ack_thin_drop", 0, 1000000, nullptr,
                "ACK thinning: of every ack_thin_every ACKs drop the first ack_thin_drop.");
      b.Integer("ack_thin_every", 0, 1000000, nullptr, "ACK thinning period; see ack_thin_drop.");
      b.Duration("ack_compress_interval", nullptr,
                 "ACK compression: hold ACKs and release them together every interval.");
      b.Boolean("ack_keep_order", nullptr, "Delayed ACKs leave in arrival order (default true).");
      b.Enum("ack_classifier", {"auto", "tcp-flags", "size"}, nullptr,
             "How ACKs are recognised: TCP flags when clear, size when encrypted (auto, default).");
      b.Integer("ack_max_size", 40, 65535, nullptr,
                "Largest packet (bytes) the size classifier calls an ACK (default 128).");
      b.String("trace", nullptr,
               "Replay this tunnelsim-trace 1 file (written by `tunnelsim diagnose --scenario`): "
               "per-packet pass/drop/hold/delay in place of the netem and ACK keys; a relative "
               "path is relative to the scenario file's directory.");
      b.Boolean("trace_loop", nullptr, "Restart the trace when its lines run out (default true).");
      b.Duration("trace_max_hold", nullptr,
                 "Longest a trace holds a packet waiting for later ones (default 100ms).");
    }
  }
}

void AddTcp(SchemaBuilder &b) {
  b.Prefix("tcp", Presence::kAlways);
  b.Enum("stack", {"linux", "ns3", "kernel"}, "linux",
         "linux: the Linux-like TcpSocketBase (RACK-TLP, D-SACK, undo, quick-ACK; "
         "docs/tcp-fidelity.md); ns3: stock ns-3 TcpSocketBase; kernel: real Linux TCP between "
         "two network namespaces through the emulate relay (`tunnelsim run` hands the scenario "
         "to `tunnelsim emulate`; needs root).");
  b.Enum("loss_detection", {"rack", "dupthresh"}, "rack",
         "Linux stack: RACK-TLP time-based loss detection, or the duplicate-ACK threshold.");
  b.Boolean("tlp", true, "Linux stack: tail loss probes (with loss_detection = \"rack\").");
  b.Boolean("dsack", true, "Linux stack: send and use D-SACKs.");
  b.Boolean("undo", true, "Linux stack: undo cwnd reductions that D-SACKs prove spurious.");
  b.Integer("quick_ack_segments", 0, 100000, 16,
            "Linux stack: segments ACKed at once at start and after out-of-order data.");
  b.Duration("max_ack_delay", "200ms",
             "Linux stack: the peer's worst-case delayed ACK added to a one-segment TLP timeout.");
  b.Enum("congestion", {"newreno", "cubic", "cubic-linux", "bbr"}, nullptr,
         "TCP congestion control. cubic: ns-3's TcpCubic (the kernel's own CUBIC with stack "
         "kernel); cubic-linux: a model of Linux 6.1's CUBIC (HyStart, Reno-friendly region). "
         "Default by stack: cubic-linux with linux, the closer match to real Linux on the "
         "study's path (docs/tcp-fidelity.md); cubic with ns3, so the stock baseline stays "
         "stock; cubic with kernel.");
  b.Boolean("sack", true, "Selective acknowledgements.");
  b.Boolean("timestamps", true, "TCP timestamps option.");
  b.Integer("delayed_ack_count", 1, 64, 2,
            "Segments received before an ACK is sent (1: ACK every segment).");
  b.Duration("delayed_ack_timeout", nullptr,
             "Delayed-ACK timer (default 40ms with stack linux, Linux's TCP_ATO_MIN; 200ms with "
             "ns3).");
  b.Integer("send_buffer", 1024, 1073741824, 4194304,
            "Fixed socket send buffer, bytes: stack ns3 and kernel, or linux with "
            "autotune_buffers = false (as after SO_SNDBUF).");
  b.Integer("receive_buffer", 1024, 1073741824, 4194304,
            "Fixed socket receive buffer, bytes: stack ns3 and kernel, or linux with "
            "autotune_buffers = false (as after SO_RCVBUF).");
  b.Boolean("autotune_buffers", true,
            "Linux stack: grow the receive window from 64 KiB and the send buffer from 20 "
            "segments as Linux does (tcp_moderate_rcvbuf, send-buffer expansion), up to "
            "receive_buffer_max and send_buffer_max.");
  b.Integer("receive_buffer_max", 65536, 1073741824, nullptr,
            "Linux stack: largest autotuned receive window, payload bytes (Linux tcp_rmem[2]). "
            "Absent: Linux 6.1's (6 MiB of buffer memory, a 3 MiB window), raised to twice "
            "the path's bandwidth-delay product when that is larger.");
  b.Integer("send_buffer_max", 65536, 1073741824, nullptr,
            "Linux stack: largest autotuned send buffer, payload bytes (Linux tcp_wmem[2]). "
            "Absent: Linux 6.1's 4 MiB, raised to twice the path's bandwidth-delay product "
            "when that is larger.");
  b.Boolean("linux_ts_recent", true,
            "Linux stack: echo the timestamp of any acceptable segment that starts at or before "
            "the last ACK sent (RFC 7323 section 4.3, Linux); false: ns-3's rule (in-order "
            "segments with the newest timestamp only), whose echo freezes under reordering.");
  b.Boolean("cwnd_limited_growth", true,
            "Linux stack: grow cwnd only while the congestion window limits the sender (Linux "
            "tcp_is_cwnd_limited); false: on every ACK, as ns-3 does.");
  b.Integer("segment_size", 100, 9000, 1448, "TCP maximum segment size, bytes.");
  b.Integer("initial_cwnd", 1, 1000, 10, "Initial congestion window, segments.");
  b.Duration("min_rto", "200ms", "Minimum retransmission timeout.");
}

void AddTraffic(SchemaBuilder &b) {
  const std::vector<std::string> directions = {"download", "upload"};
  const std::string directionDoc =
      "download: work host sends to home host; upload: home host sends to work host.";
  b.Prefix("traffic.bulk[]", Presence::kInTable);
  b.Enum("direction", directions, "download", directionDoc);
  b.Duration("start", "0.5s", "When the flow starts.");
  b.Duration("stop", nullptr, "When the sender stops; absent: at the end of the run.");
  b.Integer("bytes", 0, kMaxInteger, 0, "Bytes to send; 0 means unlimited.");
  b.Integer("count", 1, 1000, 1,
            "Number of identical concurrent flows this table stands for (each its own TCP "
            "connection, port and entry in results.json's flows).");

  b.Prefix("traffic.ping[]", Presence::kInTable);
  b.Enum("direction", directions, "upload",
         "upload: home host pings work host; download: the reverse.");
  b.Duration("start", "0.5s", "When the first echo request is sent.");
  b.Duration("stop", nullptr, "When pinging stops; absent: at the end of the run.");
  b.Duration("interval", "100ms", "Interval between echo requests.");
  b.Integer("size", 0, 65000, 56, "ICMP payload bytes.");

  b.Prefix("traffic.udp[]", Presence::kInTable);
  b.Enum("direction", directions, "download", directionDoc);
  b.Duration("start", "0.5s", "When the flow starts.");
  b.Duration("stop", nullptr, "When the sender stops; absent: at the end of the run.");
  b.DataRate("rate", "1Mbps", "Constant bit rate of UDP payload.");
  b.Integer("packet_size", 12, 65000, 1200, "UDP payload bytes per packet.");
  b.Enum("target", {"host", "gateway"}, "host",
         "host: the far host (measured by a sink); gateway: the far gateway's WAN address "
         "(unmeasured, e.g. a flood at its tunnel port).");
  b.Integer("port", 1, 65535, nullptr, "Destination UDP port; absent: 6000 + the flow's index.");
}

void AddOutput(SchemaBuilder &b) {
  b.Prefix("output", Presence::kAlways);
  b.Duration("interval", "100ms", "Sampling interval of timeseries.csv.");
  b.Boolean("pcap", false, "Write pcap files of both gateways' devices.");
  b.Boolean("key_log", false,
            "Write the tunnel's session keys (for Wireshark) where it supports it.");
}

std::vector<KeySpec> BuildSchema() {
  std::vector<KeySpec> keys;
  SchemaBuilder builder(keys);
  AddTopLevel(builder);
  AddTopology(builder);
  AddTunnel(builder);
  AddImpairments(builder);
  AddTcp(builder);
  AddTraffic(builder);
  AddOutput(builder);
  return keys;
}

std::string FormatLimit(double value) {
  std::ostringstream out;
  if (value >= 1e15) {
    out << "2^63";
  } else {
    out.precision(15);
    out << value;
  }
  return out.str();
}

std::string Quoted(const std::vector<std::string> &values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += "\"" + values[i] + "\"";
  }
  return out;
}

} // namespace

const std::vector<std::string> &TunnelTypes() {
  static const std::vector<std::string> types(tunnel::kTunnelTypeNames.begin(),
                                              tunnel::kTunnelTypeNames.end());
  return types;
}

const std::vector<std::string> &ImpairmentLinks() {
  static const std::vector<std::string> links = {"home_lan", "access", "wan", "work_lan"};
  return links;
}

const std::vector<std::string> &ImpairmentDirections() {
  static const std::vector<std::string> directions = {"up", "down"};
  return directions;
}

const std::vector<KeySpec> &Schema() {
  static const std::vector<KeySpec> schema = BuildSchema();
  return schema;
}

std::string PatternOf(std::string_view concretePath) {
  std::string pattern;
  for (size_t i = 0; i < concretePath.size(); ++i) {
    if (concretePath[i] == '[') {
      pattern += "[]";
      while (i < concretePath.size() && concretePath[i] != ']')
        ++i;
    } else {
      pattern += concretePath[i];
    }
  }
  return pattern;
}

const KeySpec *FindKeySpec(std::string_view concretePath) {
  const std::string pattern = PatternOf(concretePath);
  for (const KeySpec &spec : Schema()) {
    if (spec.path == pattern) return &spec;
  }
  return nullptr;
}

bool IsKnownTable(std::string_view concretePath) {
  const std::string prefix = PatternOf(concretePath) + ".";
  return std::any_of(Schema().begin(), Schema().end(), [&](const KeySpec &spec) {
    return spec.path.compare(0, prefix.size(), prefix) == 0;
  });
}

bool IsArrayOfTables(std::string_view concretePath) {
  const std::string prefix = PatternOf(concretePath) + "[].";
  return std::any_of(Schema().begin(), Schema().end(), [&](const KeySpec &spec) {
    return spec.path.compare(0, prefix.size(), prefix) == 0;
  });
}

std::vector<std::string> ChildrenOf(std::string_view concretePath) {
  const std::string pattern = PatternOf(concretePath);
  const std::string prefix = pattern.empty() ? "" : pattern + ".";
  std::vector<std::string> children;
  std::set<std::string> seen;
  for (const KeySpec &spec : Schema()) {
    if (spec.path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = spec.path.substr(prefix.size());
    rest = rest.substr(0, std::min(rest.find('.'), rest.find('[')));
    if (seen.insert(rest).second) children.push_back(rest);
  }
  return children;
}

std::string KindName(ValueKind kind) {
  switch (kind) {
  case ValueKind::kString:
    return "string";
  case ValueKind::kEnum:
    return "one of";
  case ValueKind::kInteger:
    return "integer";
  case ValueKind::kNumber:
    return "number";
  case ValueKind::kPercent:
    return "percent";
  case ValueKind::kBoolean:
    return "boolean";
  case ValueKind::kDuration:
    return "duration";
  case ValueKind::kDataRate:
    return "data rate";
  }
  return "?";
}

std::string DescribeAllowed(const KeySpec &spec) {
  switch (spec.kind) {
  case ValueKind::kString:
    return "a string";
  case ValueKind::kEnum:
    return "one of " + Quoted(spec.allowed);
  case ValueKind::kInteger:
    return "an integer from " + FormatLimit(spec.min) + " to " + FormatLimit(spec.max);
  case ValueKind::kNumber:
    return "a number from " + FormatLimit(spec.min) + " to " + FormatLimit(spec.max);
  case ValueKind::kPercent:
    return "a percentage from 0 to 100 (a number, without %)";
  case ValueKind::kBoolean:
    return "true or false";
  case ValueKind::kDuration:
    return "a duration string such as \"15ms\" (units ns, us, ms, s, min)";
  case ValueKind::kDataRate:
    return "a data rate string such as \"100Mbps\" (units bps, kbps, Mbps, Gbps, kbit, mbit, gbit)";
  }
  return "?";
}

} // namespace tunnelsim::scenario
