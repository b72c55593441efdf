#include "emulate/relay.h"

#include "json/impairment_counters.h"

#include <algorithm>
#include <stdexcept>

namespace tunnelsim::emulate {

const char *HopName(HopIndex index) {
  static const char *const kNames[kHopCount] = {"home_lan.up", "access.up",     "wan.up",
                                                "work_lan.up", "work_lan.down", "wan.down",
                                                "access.down", "home_lan.down"};
  return kNames[index];
}

Relay::Relay(const RelaySettings &settings, Time start) : settings_(settings), lastNow_(start) {
  for (size_t i = 0; i < kHopCount; ++i)
    hops_[i] = std::make_unique<LinkHop>(settings.hops[i]);
  GatewayPair gateways = MakeGateways(settings.tunnel, start);
  home_ = std::move(gateways.home);
  work_ = std::move(gateways.work);
  const tunnel::TunnelSpec &spec = settings.tunnel.spec;
  if (spec.Ipsec() || spec.StrongSwan()) {
    // The study's windows, kernel-libipsec's 128, and the scenario's own.
    std::vector<uint32_t> windows = {32, 64, 128, 256, 1024};
    const uint32_t own = spec.Ipsec() ? spec.Ipsec()->replayWindow : 0;
    if (own != 0 && std::find(windows.begin(), windows.end(), own) == windows.end()) {
      windows.push_back(own);
    }
    espAnalysis_ = std::make_unique<EspReplayAnalysis>(windows);
  }
}

void Relay::FromHost(Side from, Bytes packet, Time now) {
  if (now < lastNow_) throw std::logic_error("Relay: time went backwards");
  RunUntil(now);
  if (from == Side::kHome) {
    ++counters_.fromHome;
    hops_[kHomeLanUp]->Submit(std::move(packet), now);
  } else {
    ++counters_.fromWork;
    hops_[kWorkLanDown]->Submit(std::move(packet), now);
  }
}

Time Relay::NextDeadline() const {
  Time next = std::min(home_->NextTimer(), work_->NextTimer());
  for (const auto &hop : hops_)
    next = std::min(next, hop->NextEvent());
  return next;
}

void Relay::Advance(Time now, std::vector<Delivery> &out) {
  if (now >= lastNow_) RunUntil(now);
  for (auto &delivery : ready_)
    out.push_back(std::move(delivery));
  ready_.clear();
}

void Relay::RunUntil(Time now) {
  lastNow_ = std::max(lastNow_, now);
  for (;;) {
    const Time t = NextDeadline();
    if (t > now) return;
    ++counters_.events;
    for (size_t i = 0; i < kHopCount; ++i) {
      if (hops_[i]->NextEvent() > t) continue;
      scratch_.clear();
      hops_[i]->Advance(t, scratch_);
      std::vector<Released> arrived = std::move(scratch_);
      for (auto &packet : arrived)
        Route(static_cast<HopIndex>(i), std::move(packet.packet), t);
    }
    for (Side side : {Side::kHome, Side::kWork}) {
      Gateway &gateway = side == Side::kHome ? *home_ : *work_;
      if (gateway.NextTimer() > t) continue;
      GatewayOutput output;
      gateway.OnTimer(t, output);
      Carry(side, output, t);
    }
  }
}

// Where a packet goes when it reaches the far end of hop `from`.
void Relay::Route(HopIndex from, Bytes packet, Time at) {
  GatewayOutput output;
  switch (from) {
  case kHomeLanUp:
    home_->FromLan(std::move(packet), at, output);
    Carry(Side::kHome, output, at);
    return;
  case kAccessUp:
    hops_[kWanUp]->Submit(std::move(packet), at);
    return;
  case kWanUp:
    if (espAnalysis_) espAnalysis_->Observe("work", packet.data(), packet.size());
    work_->FromWan(std::move(packet), at, output);
    Carry(Side::kWork, output, at);
    return;
  case kWorkLanUp:
    ++counters_.toWork;
    ready_.push_back(Delivery{Side::kWork, at, std::move(packet)});
    return;
  case kWorkLanDown:
    work_->FromLan(std::move(packet), at, output);
    Carry(Side::kWork, output, at);
    return;
  case kWanDown:
    hops_[kAccessDown]->Submit(std::move(packet), at);
    return;
  case kAccessDown:
    if (espAnalysis_) espAnalysis_->Observe("home", packet.data(), packet.size());
    home_->FromWan(std::move(packet), at, output);
    Carry(Side::kHome, output, at);
    return;
  case kHomeLanDown:
    ++counters_.toHome;
    ready_.push_back(Delivery{Side::kHome, at, std::move(packet)});
    return;
  case kHopCount:
    return;
  }
}

void Relay::Carry(Side gateway, GatewayOutput &output, Time at) {
  const bool home = gateway == Side::kHome;
  for (auto &packet : output.toWan)
    hops_[home ? kAccessUp : kWanDown]->Submit(std::move(packet), at);
  for (auto &packet : output.toLan)
    hops_[home ? kHomeLanDown : kWorkLanUp]->Submit(std::move(packet), at);
}

namespace {

nlohmann::json SideJson(const GatewayCounters &c) {
  nlohmann::json side = c.extra;
  side["inner_packets_sent"] = c.packetsEncapsulated;
  side["inner_packets_received"] = c.packetsDecapsulated;
  side["too_big_drops"] = c.tooBig;
  side["other_drops"] = c.drops;
  return side;
}

} // namespace

nlohmann::json Relay::ImpairmentsJson() const {
  nlohmann::json out = nlohmann::json::object();
  for (size_t i = 0; i < kHopCount; ++i) {
    const LinkHopSettings &s = settings_.hops[i];
    if (!s.netem && !s.ack) continue;
    nlohmann::json entry = nlohmann::json::object();
    const ImpairmentStage *stage = hops_[i]->Stage();
    if (s.netem) entry["netem"] = impairment::CountersJson(stage->Netem()->Counters());
    if (s.ack) entry["ack"] = impairment::CountersJson(stage->Ack()->Counters());
    out[HopName(static_cast<HopIndex>(i))] = entry;
  }
  return out;
}

nlohmann::json Relay::TunnelCountersJson() const {
  const GatewayCounters home = home_->Counters();
  const GatewayCounters work = work_->Counters();
  const uint64_t inner = home.innerBytesSent + work.innerBytesSent;
  const uint64_t outer = home.outerBytesSent + work.outerBytesSent;
  nlohmann::json json = {
      {"handshakes", home.handshakes + work.handshakes},
      {"rekeys", std::max(home.rekeys, work.rekeys)},
      {"replay_drops", home.replayDrops + work.replayDrops},
      {"auth_failures", home.authFailures + work.authFailures},
      {"overhead_bytes", outer > inner ? outer - inner : 0},
      {"packets_encapsulated", home.packetsEncapsulated + work.packetsEncapsulated},
      {"packets_decapsulated", home.packetsDecapsulated + work.packetsDecapsulated}};
  if (settings_.tunnel.spec.IsTunnel()) {
    json["extra"] = {
        {"home", SideJson(home)}, {"work", SideJson(work)}, {"outer_bytes_sent", outer}};
  }
  return json;
}

nlohmann::json Relay::HopsJson() const {
  nlohmann::json out = nlohmann::json::object();
  for (size_t i = 0; i < kHopCount; ++i) {
    const LinkHopCounters &c = hops_[i]->Counters();
    out[HopName(static_cast<HopIndex>(i))] = {{"packets", c.packets},
                                              {"bytes", c.bytes},
                                              {"queue_drops", c.queueDrops},
                                              {"max_queued", c.maxQueued}};
  }
  return out;
}

} // namespace tunnelsim::emulate
