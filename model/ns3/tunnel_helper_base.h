// What both tunnel helpers (WireGuardHelper, GreIpsecHelper) share: the factories of the gateway
// application, its TunnelNetDevice and its optional CryptoCpuModel, the calls that set their
// attributes, and pcap on the tunnel device (bare IP packets: LINKTYPE_RAW, as `tcpdump -i wg0`
// or `-i gre1` writes).
#pragma once

#include "crypto_cpu_model.h"

#include "tunnel/spec.h"

#include "ns3/object-factory.h"
#include "ns3/trace-helper.h"

#include <string>

namespace ns3 {

class TunnelHelperBase : public PcapHelperForDevice {
public:
  // Attributes of every gateway application / TunnelNetDevice installed from now on.
  void SetAttribute(const std::string &name, const AttributeValue &value);
  void SetDeviceAttribute(const std::string &name, const AttributeValue &value);
  // Gives every gateway installed from now on its own CryptoCpuModel with this attribute set
  // (FixedCost, PerByteCost, Workers, Reserialise, RandomServiceTime, Seed).
  void SetCpuModelAttribute(const std::string &name, const AttributeValue &value);
  // A crypto CPU model per gateway from the spec's tunnel.cpu table (none when disabled), its
  // random stream seeded with `seed`.
  void SetCpuSpec(const tunnelsim::tunnel::CpuSpec &cpu, uint64_t seed);

protected:
  // `gatewayType`: the application the helper installs; `name` prefixes its log messages.
  TunnelHelperBase(TypeId gatewayType, std::string name);

  // The CPU model for the next gateway, or null when none was asked for.
  Ptr<CryptoCpuModel> NewCpuModel() const;

  ObjectFactory m_gatewayFactory;
  ObjectFactory m_deviceFactory;

private:
  void EnablePcapInternal(std::string prefix, Ptr<NetDevice> nd, bool promiscuous,
                          bool explicitFilename) override;

  std::string m_name;
  ObjectFactory m_cpuFactory;
  bool m_cpuEnabled = false;
};

} // namespace ns3
