// tunnel.type = "none": the LANs talk over the plain path, routed by global routing. The
// reference every tunnel is compared with.
#include "../tunnel.h"

namespace tunnelsim::scenario {
namespace {

class NoneTunnel : public Tunnel {
public:
  void Install(const TunnelContext &) override {}
  TunnelCounters Counters() const override { return {}; }
};

} // namespace

std::unique_ptr<Tunnel> MakeNoneTunnel() { return std::make_unique<NoneTunnel>(); }

} // namespace tunnelsim::scenario
