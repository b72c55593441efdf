#include "impairments.h"

#include "impairment_settings.h"
#include "schema.h"

#include "json/impairment_counters.h"
#include "ns3/impairment/impairment_helper.h"

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;

class QueueDiscImpairments : public InstalledImpairments {
public:
  void Add(std::string name, ns3::Ptr<ImpairmentQueueDisc> disc) {
    discs_.emplace_back(std::move(name), disc);
  }

  json Counters() const override {
    json counters = json::object();
    for (const auto &[name, disc] : discs_) {
      json entry = json::object();
      if (auto netem = disc->NetemCounters()) entry["netem"] = impairment::CountersJson(*netem);
      if (auto ack = disc->AckCounters()) entry["ack"] = impairment::CountersJson(*ack);
      if (const auto *trace = disc->TraceReplay()) {
        entry["trace"] = {{"trace_drops", trace->Drops()}, {"trace_held", trace->HeldTotal()}};
      }
      counters[name] = entry;
    }
    return counters;
  }

private:
  std::vector<std::pair<std::string, ns3::Ptr<ImpairmentQueueDisc>>> discs_;
};

} // namespace

std::unique_ptr<InstalledImpairments> InstallImpairments(const json &resolved,
                                                         const Topology &topology) {
  auto installed = std::make_unique<QueueDiscImpairments>();
  if (!resolved.contains("impairment")) return installed;
  const uint64_t seed = resolved.at("seed").get<uint64_t>();
  const json &impairments = resolved.at("impairment");
  for (const std::string &link : ImpairmentLinks()) {
    for (const std::string &direction : ImpairmentDirections()) {
      if (!impairments.contains(link) || !impairments.at(link).contains(direction)) continue;
      const std::string name = link + "." + direction;
      LinkImpairmentSettings settings;
      try {
        settings = ImpairmentSettingsFrom(impairments.at(link).at(direction),
                                          ImpairmentSeed(seed, link, direction));
      } catch (const std::invalid_argument &error) {
        throw std::invalid_argument("impairment." + name + ": " + error.what());
      }
      const ns3::NetDeviceContainer &devices = topology.links.at(link);
      ns3::Ptr<ns3::NetDevice> device = devices.Get(direction == "up" ? 0 : 1);
      if (settings.hasTrace) {
        auto disc = ImpairmentHelper::Install(device, ImpairmentConfig{});
        disc->SetTraceReplay(settings.trace, settings.traceSettings);
        installed->Add(name, disc);
        continue;
      }
      if (!settings.hasNetem && !settings.hasAck) continue;
      ImpairmentConfig config;
      if (settings.hasNetem) config.netem = settings.netem;
      if (settings.hasAck) config.ack = settings.ack;
      installed->Add(name, ImpairmentHelper::Install(device, config));
    }
  }
  return installed;
}

} // namespace tunnelsim::scenario
