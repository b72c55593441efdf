#include "tunnel_helper_base.h"

#include "tunnel_net_device.h"

#include "ns3/log.h"

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("TunnelHelperBase");

TunnelHelperBase::TunnelHelperBase(TypeId gatewayType, std::string name) : m_name(std::move(name)) {
  m_gatewayFactory.SetTypeId(gatewayType);
  m_deviceFactory.SetTypeId(TunnelNetDevice::GetTypeId());
  m_cpuFactory.SetTypeId(CryptoCpuModel::GetTypeId());
}

void TunnelHelperBase::SetAttribute(const std::string &name, const AttributeValue &value) {
  m_gatewayFactory.Set(name, value);
}

void TunnelHelperBase::SetDeviceAttribute(const std::string &name, const AttributeValue &value) {
  m_deviceFactory.Set(name, value);
}

void TunnelHelperBase::SetCpuModelAttribute(const std::string &name, const AttributeValue &value) {
  m_cpuFactory.Set(name, value);
  m_cpuEnabled = true;
}

void TunnelHelperBase::SetCpuSpec(const tunnelsim::tunnel::CpuSpec &cpu, uint64_t seed) {
  if (!cpu.enabled) return;
  SetCpuModelFromSpec(m_cpuFactory, cpu, seed);
  m_cpuEnabled = true;
}

Ptr<CryptoCpuModel> TunnelHelperBase::NewCpuModel() const {
  return m_cpuEnabled ? m_cpuFactory.Create<CryptoCpuModel>() : nullptr;
}

void TunnelHelperBase::EnablePcapInternal(std::string prefix, Ptr<NetDevice> nd, bool,
                                          bool explicitFilename) {
  Ptr<TunnelNetDevice> device = DynamicCast<TunnelNetDevice>(nd);
  if (!device) {
    NS_LOG_INFO(m_name << "::EnablePcap: device " << nd->GetIfIndex()
                       << " is not a TunnelNetDevice");
    return;
  }
  PcapHelper pcapHelper;
  const std::string filename =
      explicitFilename ? prefix : pcapHelper.GetFilenameFromDevice(prefix, device);
  Ptr<PcapFileWrapper> file = pcapHelper.CreateFile(filename, std::ios::out, PcapHelper::DLT_RAW);
  pcapHelper.HookDefaultSink<TunnelNetDevice>(device, "Sniffer", file);
}

} // namespace ns3
