// Turns one `[impairment.<link>.<direction>]` table (netem keys or a pasted netem string, plus
// the ACK-delay keys) into the impairment model's settings. Needs no simulator, so `validate`
// can reject what the impairment model would reject.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#if TUNNELSIM_HAVE_IMPAIRMENT
#include "impairment/ack_impairment.h"
#include "impairment/netem_settings.h"
#include "impairment/trace_file.h"
#include "impairment/trace_replay.h"
#endif

namespace tunnelsim::scenario {

#if TUNNELSIM_HAVE_IMPAIRMENT
struct LinkImpairmentSettings {
  bool hasNetem = false; // some netem option (or a netem string) is set
  impairment::NetemSettings netem;
  bool hasAck = false; // some ack_* option is set
  impairment::AckImpairmentSettings ack;
  bool hasTrace = false; // `trace` is set: replay that file instead of the netem and ACK stages
  impairment::TraceFile trace;
  impairment::TraceReplaySettings traceSettings;
};

// Throws std::invalid_argument with the impairment model's own message when the table
// cannot be honoured. `seed` seeds both generators (distinct per link and direction).
LinkImpairmentSettings ImpairmentSettingsFrom(const nlohmann::json &table, uint64_t seed);
#endif

// The seed of the impairment on `link`.`direction` for a scenario seeded `scenarioSeed`: a
// stream number per link and direction in the schema's fixed order, so each always gets the
// same seed. The ns-3 engine and the emulation relay both take it from here.
uint64_t ImpairmentSeed(uint64_t scenarioSeed, const std::string &link,
                        const std::string &direction);

// Makes every relative `impairment.<link>.<direction>.trace` path in `scenario` absolute
// against the directory of `scenarioFile`, so the file is found from any working directory and
// results.json records where it was.
void ResolveTracePaths(nlohmann::json &scenario, const std::string &scenarioFile);

// Empty when the table is acceptable, otherwise what is wrong.
std::string ImpairmentProblem(const nlohmann::json &table);

} // namespace tunnelsim::scenario
