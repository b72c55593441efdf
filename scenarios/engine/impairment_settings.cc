#include "impairment_settings.h"

#include "schema.h"
#include "units.h"

#include <filesystem>
#include <stdexcept>

#if TUNNELSIM_HAVE_IMPAIRMENT
#include "impairment/delay_distribution.h"
#include "impairment/netem_parser.h"
#endif

namespace tunnelsim::scenario {

#if TUNNELSIM_HAVE_IMPAIRMENT
namespace {

using nlohmann::json;

Duration DurationKey(const json &table, const char *key) {
  return Duration(*ParseDurationNs(table.at(key).get<std::string>()));
}

double Fraction(const json &table, const char *key) { return table.value(key, 0.0) / 100.0; }

bool SetsAny(const json &table, std::initializer_list<const char *> keys) {
  for (const char *key : keys) {
    if (table.contains(key)) return true;
  }
  return false;
}

void NetemFromKeys(const json &table, impairment::NetemSettings &netem) {
  if (table.contains("delay")) netem.latency = DurationKey(table, "delay");
  if (table.contains("jitter")) netem.jitter = DurationKey(table, "jitter");
  netem.delayCorrelation = Fraction(table, "delay_correlation");
  if (table.contains("distribution")) {
    netem.distribution =
        *impairment::DelayDistributionFromString(table.at("distribution").get<std::string>());
  }
  netem.keepOrder = table.value("keep_order", false);
  netem.reorder = Fraction(table, "reorder");
  netem.reorderCorrelation = Fraction(table, "reorder_correlation");
  netem.gap = table.value("gap", 0u);
  netem.duplicate = Fraction(table, "duplicate");
  netem.duplicateCorrelation = Fraction(table, "duplicate_correlation");
  netem.corrupt = Fraction(table, "corrupt");
  netem.corruptCorrelation = Fraction(table, "corrupt_correlation");
  if (table.contains("rate")) {
    netem.rateBytesPerSecond = *ParseDataRateBps(table.at("rate").get<std::string>()) / 8;
  }
  if (table.contains("limit")) netem.limit = table.at("limit").get<uint32_t>();

  using Model = impairment::LossSettings::Model;
  impairment::LossSettings &loss = netem.loss;
  const std::string model = table.value("loss_model", table.contains("loss") ? "random" : "");
  if (model == "random") {
    loss.model = Model::kRandom;
    loss.probability = Fraction(table, "loss");
    loss.correlation = Fraction(table, "loss_correlation");
  } else if (model == "state") {
    // tc's defaults for the transitions not given.
    loss.model = Model::kState;
    loss.p13 = Fraction(table, "state_p13");
    loss.p31 = table.contains("state_p31") ? Fraction(table, "state_p31") : 1.0 - loss.p13;
    loss.p32 = Fraction(table, "state_p32");
    loss.p23 = table.contains("state_p23") ? Fraction(table, "state_p23") : 1.0;
    loss.p14 = Fraction(table, "state_p14");
  } else if (model == "gemodel") {
    loss.model = Model::kGilbertElliott;
    loss.p = Fraction(table, "gemodel_p");
    loss.r = table.contains("gemodel_r") ? Fraction(table, "gemodel_r") : 1.0 - loss.p;
    loss.badLoss = table.contains("gemodel_1_h") ? Fraction(table, "gemodel_1_h") : 1.0;
    loss.goodLoss = Fraction(table, "gemodel_1_k");
  }
}

void AckFromKeys(const json &table, impairment::AckImpairmentSettings &ack) {
  if (table.contains("ack_delay")) ack.delay = DurationKey(table, "ack_delay");
  if (table.contains("ack_delay_jitter")) ack.delayJitter = DurationKey(table, "ack_delay_jitter");
  ack.keepOrder = table.value("ack_keep_order", true);
  ack.thinDrop = table.value("ack_thin_drop", 0u);
  ack.thinEvery = table.value("ack_thin_every", 0u);
  if (table.contains("ack_compress_interval")) {
    ack.compressInterval = DurationKey(table, "ack_compress_interval");
  }
  using Mode = impairment::AckClassifierSettings::Mode;
  const std::string classifier = table.value("ack_classifier", "auto");
  ack.classifier.mode = classifier == "tcp-flags" ? Mode::kTcpFlags
                        : classifier == "size"    ? Mode::kSize
                                                  : Mode::kAuto;
  ack.classifier.maxAckSize = table.value("ack_max_size", ack.classifier.maxAckSize);
}

// Trace replay replaces the netem and ACK stages, so a table with `trace` may only carry the
// trace's own options (checked here, so `validate` refuses what the queue disc would).
void TraceFromKeys(const json &table, LinkImpairmentSettings &settings) {
  for (const auto &[key, value] : table.items()) {
    if (key.rfind("trace", 0) != 0) {
      throw std::invalid_argument("trace replays the recorded order and loss in place of the "
                                  "netem and ACK stages; remove '" +
                                  key + "' or the trace");
    }
  }
  try {
    settings.trace = impairment::LoadTraceFile(table.at("trace").get<std::string>());
  } catch (const impairment::TraceFileError &error) {
    throw std::invalid_argument(std::string("trace: ") + error.what());
  }
  settings.traceSettings.loop = table.value("trace_loop", true);
  if (table.contains("trace_max_hold")) {
    settings.traceSettings.maxHold = DurationKey(table, "trace_max_hold");
  }
  settings.hasTrace = true;
}

} // namespace

LinkImpairmentSettings ImpairmentSettingsFrom(const json &table, uint64_t seed) {
  LinkImpairmentSettings settings;
  if (table.contains("trace")) {
    TraceFromKeys(table, settings);
    return settings;
  }
  if (table.contains("netem")) {
    try {
      settings.netem = impairment::ParseNetemArguments(table.at("netem").get<std::string>());
    } catch (const impairment::NetemParseError &error) {
      throw std::invalid_argument(std::string("netem string: ") + error.what());
    }
    settings.hasNetem = true;
  } else {
    settings.hasNetem = SetsAny(
        table, {"delay", "reorder", "loss", "loss_model", "duplicate", "corrupt", "rate", "limit"});
    NetemFromKeys(table, settings.netem);
  }
  if (table.contains("corrupt_region")) {
    settings.netem.corruptRegion = table.at("corrupt_region") == "whole-packet"
                                       ? impairment::CorruptRegion::kWholePacket
                                       : impairment::CorruptRegion::kAfterHeaders;
  }
  // A pasted netem string may carry tc's "seed"; otherwise the scenario's seed decides.
  const bool netemHasSeed =
      table.contains("netem") &&
      (" " + table.at("netem").get<std::string>() + " ").find(" seed ") != std::string::npos;
  if (!netemHasSeed) settings.netem.seed = seed;
  if (const std::string problem = settings.netem.Validate(); !problem.empty()) {
    throw std::invalid_argument(problem);
  }

  settings.hasAck = SetsAny(table, {"ack_delay", "ack_thin_drop", "ack_compress_interval"});
  AckFromKeys(table, settings.ack);
  settings.ack.seed = seed ^ 0x9e3779b97f4a7c15ULL;
  if (const std::string problem = settings.ack.Validate(); !problem.empty()) {
    throw std::invalid_argument("ACK impairment: " + problem);
  }
  return settings;
}

std::string ImpairmentProblem(const nlohmann::json &table) {
  try {
    ImpairmentSettingsFrom(table, 1);
  } catch (const std::exception &error) {
    return error.what();
  }
  return "";
}

#else

std::string ImpairmentProblem(const nlohmann::json &table) {
  if (table.contains("netem")) {
    return "netem strings need the impairment library, which this build does not have";
  }
  if (table.contains("trace")) {
    return "trace replay needs the impairment library, which this build does not have";
  }
  return "";
}

#endif

void ResolveTracePaths(nlohmann::json &scenario, const std::string &scenarioFile) {
  if (!scenario.contains("impairment") || !scenario.at("impairment").is_object()) return;
  const std::filesystem::path base = std::filesystem::path(scenarioFile).parent_path();
  for (auto &[link, directions] : scenario.at("impairment").items()) {
    if (!directions.is_object()) continue;
    for (auto &[direction, table] : directions.items()) {
      if (!table.is_object() || !table.contains("trace") || !table.at("trace").is_string()) {
        continue;
      }
      const std::filesystem::path trace = table.at("trace").get<std::string>();
      if (trace.is_relative() && !base.empty()) {
        table["trace"] = std::filesystem::absolute(base / trace).lexically_normal().string();
      }
    }
  }
}

uint64_t ImpairmentSeed(uint64_t scenarioSeed, const std::string &link,
                        const std::string &direction) {
  uint64_t stream = 0;
  for (const std::string &l : ImpairmentLinks()) {
    for (const std::string &d : ImpairmentDirections()) {
      ++stream;
      if (l == link && d == direction) return scenarioSeed * 1000003 + stream;
    }
  }
  throw std::invalid_argument("no impairment link direction " + link + "." + direction);
}

} // namespace tunnelsim::scenario
