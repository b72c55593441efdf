#include "scenario_checks.h"

#include "impairment_settings.h"
#include "schema.h"
#include "units.h"

#include "tunnel/spec.h"

#include <set>

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;

class Checker {
public:
  explicit Checker(const OriginLookup &originOf) : originOf_(originOf) {}

  void Fail(const std::string &path, const std::string &message) {
    const KeyOrigin origin = originOf_(path);
    errors_.push_back({origin.origin, origin.line, path, message});
  }
  std::vector<ScenarioError> Take() { return std::move(errors_); }
  size_t Count() const { return errors_.size(); }

private:
  const OriginLookup &originOf_;
  std::vector<ScenarioError> errors_;
};

int64_t DurationOf(const json &table, const std::string &key) {
  return *ParseDurationNs(table.at(key).get<std::string>());
}

// netem's own dependencies between options, stated as "key needs other".
void CheckImpairmentTable(const json &table, const std::string &path, Checker &checker) {
  const size_t errorsBefore = checker.Count();
  static const std::vector<std::pair<std::string, std::string>> needs = {
      {"jitter", "delay"},
      {"distribution", "jitter"},
      {"delay_correlation", "jitter"},
      {"reorder", "delay"},
      {"reorder_correlation", "reorder"},
      {"gap", "reorder"},
      {"loss_correlation", "loss"},
      {"duplicate_correlation", "duplicate"},
      {"corrupt_correlation", "corrupt"},
      {"corrupt_region", "corrupt"},
      {"keep_order", "jitter"},
      {"ack_delay_jitter", "ack_delay"},
      {"ack_thin_drop", "ack_thin_every"},
      {"ack_thin_every", "ack_thin_drop"},
  };
  for (const auto &[key, required] : needs) {
    if (table.contains(key) && !table.contains(required)) {
      checker.Fail(path + "." + key, "needs " + path + "." + required + " to be set");
    }
  }

  static const std::set<std::string> netemKeys = {"delay",
                                                  "jitter",
                                                  "distribution",
                                                  "delay_correlation",
                                                  "reorder",
                                                  "reorder_correlation",
                                                  "gap",
                                                  "loss_model",
                                                  "loss",
                                                  "loss_correlation",
                                                  "state_p13",
                                                  "state_p31",
                                                  "state_p32",
                                                  "state_p23",
                                                  "state_p14",
                                                  "gemodel_p",
                                                  "gemodel_r",
                                                  "gemodel_1_h",
                                                  "gemodel_1_k",
                                                  "duplicate",
                                                  "duplicate_correlation",
                                                  "corrupt",
                                                  "corrupt_correlation",
                                                  "rate",
                                                  "limit",
                                                  "keep_order",
                                                  "corrupt_region"};
  if (table.contains("netem")) {
    for (const auto &[key, value] : table.items()) {
      if (netemKeys.count(key)) {
        checker.Fail(path + "." + key, "cannot be combined with " + path +
                                           ".netem (put it in the netem string instead)");
      }
    }
  }

  const std::string model = table.value("loss_model", "random");
  const std::vector<std::pair<std::string, std::string>> modelKeys = {
      {"loss", "random"},         {"loss_correlation", "random"}, {"state_p13", "state"},
      {"state_p31", "state"},     {"state_p32", "state"},         {"state_p23", "state"},
      {"state_p14", "state"},     {"gemodel_p", "gemodel"},       {"gemodel_r", "gemodel"},
      {"gemodel_1_h", "gemodel"}, {"gemodel_1_k", "gemodel"}};
  for (const auto &[key, owner] : modelKeys) {
    if (table.contains(key) && owner != model) {
      checker.Fail(path + "." + key, "belongs to loss_model \"" + owner + "\" but " + path +
                                         ".loss_model is \"" + model + "\"");
    }
  }
  if (model == "state" && !table.contains("state_p13")) {
    checker.Fail(path + ".loss_model", "\"state\" needs " + path + ".state_p13");
  }
  if (model == "gemodel" && !table.contains("gemodel_p")) {
    checker.Fail(path + ".loss_model", "\"gemodel\" needs " + path + ".gemodel_p");
  }
  if (table.contains("loss_model") && model == "random" && !table.contains("loss")) {
    checker.Fail(path + ".loss_model", "\"random\" needs " + path + ".loss");
  }

  // What the impairment model itself rejects (a netem string it cannot parse, settings it
  // cannot honour), in its own words.
  if (checker.Count() > errorsBefore) return;
  const std::string problem = ImpairmentProblem(table);
  if (!problem.empty()) {
    checker.Fail(path + (table.contains("netem") ? ".netem" : ""), problem);
  }
}

void CheckFlows(const json &resolved, Checker &checker) {
  const int64_t duration = DurationOf(resolved, "duration");
  for (const auto &[kind, flows] : resolved.at("traffic").items()) {
    for (size_t i = 0; i < flows.size(); ++i) {
      const json &flow = flows[i];
      const std::string path = "traffic." + kind + "[" + std::to_string(i) + "]";
      const int64_t start = DurationOf(flow, "start");
      if (start >= duration) {
        checker.Fail(path + ".start", "must be before the end of the run (duration = " +
                                          resolved.at("duration").get<std::string>() + ")");
      }
      if (flow.contains("stop") && DurationOf(flow, "stop") <= start) {
        checker.Fail(path + ".stop", "must be after " + path + ".start");
      }
      if (flow.contains("interval") && DurationOf(flow, "interval") <= 0) {
        checker.Fail(path + ".interval", "must be more than 0");
      }
    }
  }
}

void CheckTunnel(const json &tunnel, Checker &checker) {
  using tunnelsim::tunnel::GatewaySpec;
  if (tunnel.contains("clamp_mss")) {
    const std::string clamp = tunnel.at("clamp_mss").get<std::string>();
    if (!GatewaySpec().ParseClampMss(clamp)) {
      checker.Fail("tunnel.clamp_mss", "expected \"off\", \"pmtu\" or an MSS from " +
                                           std::to_string(GatewaySpec::kClampMssRange.min) +
                                           " to " +
                                           std::to_string(GatewaySpec::kClampMssRange.max) +
                                           " as a quoted number, got \"" + clamp + "\"");
    }
  }
  if (tunnel.contains("wireguard")) {
    const json &wg = tunnel.at("wireguard");
    auto positive = [&](const std::string &key) {
      if (wg.contains(key) && DurationOf(wg, key) <= 0) {
        checker.Fail("tunnel.wireguard." + key, "must be more than 0s");
      }
    };
    for (const char *key : {"rekey_after_time", "reject_after_time", "rekey_attempt_time",
                            "rekey_timeout", "keepalive_timeout"}) {
      positive(key);
    }
    if (wg.contains("rekey_after_time") && wg.contains("reject_after_time") &&
        DurationOf(wg, "reject_after_time") <= DurationOf(wg, "rekey_after_time")) {
      checker.Fail("tunnel.wireguard.reject_after_time", "must be longer than rekey_after_time");
    }
  }
  if (tunnel.contains("ipsec")) {
    const json &ipsec = tunnel.at("ipsec");
    if (ipsec.contains("child_lifetime") && ipsec.contains("rekey_margin") &&
        DurationOf(ipsec, "rekey_margin") >= DurationOf(ipsec, "child_lifetime")) {
      checker.Fail("tunnel.ipsec.rekey_margin", "must be shorter than child_lifetime");
    }
    if (ipsec.contains("ike_lifetime") && ipsec.contains("rekey_margin") &&
        DurationOf(ipsec, "rekey_margin") >= DurationOf(ipsec, "ike_lifetime")) {
      checker.Fail("tunnel.ipsec.rekey_margin", "must be shorter than ike_lifetime");
    }
    if (ipsec.contains("retransmit_timeout") && DurationOf(ipsec, "retransmit_timeout") <= 0) {
      checker.Fail("tunnel.ipsec.retransmit_timeout", "must be more than 0s");
    }
  }
}

} // namespace

std::vector<ScenarioError> CheckCombinations(const json &resolved, const OriginLookup &originOf) {
  Checker checker(originOf);
  if (DurationOf(resolved, "duration") <= 0) checker.Fail("duration", "must be more than 0s");
  if (DurationOf(resolved.at("output"), "interval") <= 0) {
    checker.Fail("output.interval", "must be more than 0s");
  }
  CheckFlows(resolved, checker);
  const json &topology = resolved.at("topology");
  if (topology.contains("roam_at") &&
      (DurationOf(topology, "roam_at") <= 0 ||
       DurationOf(topology, "roam_at") >= DurationOf(resolved, "duration"))) {
    checker.Fail("topology.roam_at", "must be after 0s and before the end of the run");
  }
  CheckTunnel(resolved.at("tunnel"), checker);
  // ns-3's own TCP ignores ICMP fragmentation-needed: with DF on every segment it would stall.
  if (resolved.at("tunnel").value("pmtu_discovery", false) && resolved.contains("tcp") &&
      resolved.at("tcp").value("stack", "") == "ns3") {
    checker.Fail("tunnel.pmtu_discovery",
                 "needs tcp.stack = \"linux\" (ns-3's own TCP does not act on ICMP "
                 "fragmentation-needed and would stall)");
  }
  if (resolved.contains("impairment")) {
    for (const auto &[link, directions] : resolved.at("impairment").items()) {
      for (const auto &[direction, table] : directions.items()) {
        CheckImpairmentTable(table, "impairment." + link + "." + direction, checker);
      }
    }
  }
  return checker.Take();
}

} // namespace tunnelsim::scenario
