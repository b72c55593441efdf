// Writes a pcap of a real exchange (IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL and
// ESP traffic) and lets tshark decode it with the exported keys: the ISAKMP dissector must
// decrypt every SK payload without a malformed-packet warning, and the ESP dissector must
// decrypt the ESP packets to the inner packets.
#include <boost/test/unit_test.hpp>

#include "ike_harness.h"
#include "ipsec/key_export.h"

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace tunnelsim;
using namespace tunnelsim::ipsec;
using namespace tunnelsim::ipsec::test;
using crypto::Bytes;

namespace {

void Put32Le(std::ofstream &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.put(char(v >> (8 * i)));
}

// LINKTYPE_RAW records: IPv4 header + (UDP header +) payload.
class PcapWriter {
public:
  explicit PcapWriter(const std::string &path) : out_(path, std::ios::binary) {
    Put32Le(out_, 0xa1b2c3d4);
    out_.put(2).put(0).put(4).put(0);
    Put32Le(out_, 0);
    Put32Le(out_, 0);
    Put32Le(out_, 65535);
    Put32Le(out_, 101);
  }
  void Write(double t, const IpAddress &src, const IpAddress &dst, uint8_t proto,
             const Bytes &payload) {
    Bytes l4;
    if (proto == 17) {
      const size_t n = 8 + payload.size();
      l4 = {0x01, 0xF4, 0x01, 0xF4, uint8_t(n >> 8), uint8_t(n), 0, 0};
    }
    l4.insert(l4.end(), payload.begin(), payload.end());
    Bytes ip(20);
    const size_t total = 20 + l4.size();
    ip[0] = 0x45;
    ip[2] = uint8_t(total >> 8);
    ip[3] = uint8_t(total);
    ip[8] = 64;
    ip[9] = proto;
    std::copy(src.data(), src.data() + 4, ip.begin() + 12);
    std::copy(dst.data(), dst.data() + 4, ip.begin() + 16);
    uint32_t sum = 0;
    for (size_t i = 0; i < 20; i += 2)
      sum += uint32_t(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
      sum = (sum & 0xFFFF) + (sum >> 16);
    ip[10] = uint8_t(~sum >> 8);
    ip[11] = uint8_t(~sum);
    ip.insert(ip.end(), l4.begin(), l4.end());
    Put32Le(out_, uint32_t(t));
    Put32Le(out_, uint32_t((t - uint32_t(t)) * 1e6));
    Put32Le(out_, uint32_t(ip.size()));
    Put32Le(out_, uint32_t(ip.size()));
    out_.write(reinterpret_cast<const char *>(ip.data()), std::streamsize(ip.size()));
  }

private:
  std::ofstream out_;
};

std::string Run(const std::string &command) {
  std::string output;
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe) return output;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0)
    output.append(buf, n);
  pclose(pipe);
  return output;
}

std::string ShellQuote(const std::string &s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

} // namespace

BOOST_AUTO_TEST_CASE(tshark_decrypts_ike_and_esp_with_exported_keys) {
  if (!EspCipherAvailable(EspCipher::Aes256Gcm16)) {
    BOOST_TEST_MESSAGE("AES-256-GCM unavailable on this CPU: Wireshark decryption test skipped");
    return;
  }
  if (Run("command -v tshark").empty()) {
    BOOST_TEST_MESSAGE("tshark not installed: Wireshark decryption test skipped");
    return;
  }
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  TwoPeers net(a, b, 61);
  const std::string pcap = "/tmp/tunnelsim_ipsec_wireshark_test.pcap";
  PcapWriter writer(pcap);
  net.tamper = [&](int to, Bytes &d) {
    const IkeConfig &from = to == 1 ? a : b;
    writer.Write(ToSeconds(net.now()), from.localAddress, from.remoteAddress, 17, d);
    return true;
  };
  net.Start();
  net.RunUntil(Seconds(1));
  net.Apply(0, net.a().ike->RekeyChildSa(net.now()));
  net.RunUntil(Seconds(2));
  const uint8_t src[] = {10, 1, 0, 5}, dst[] = {10, 2, 0, 7};
  Bytes inner = Ipv4Packet(64, 253, 0x77, src, dst); // protocol 253: experimental, opaque
  EspProtectResult esp = net.a().sad.ProtectTunnel(inner);
  BOOST_REQUIRE(esp.status == EspStatus::Ok);
  writer.Write(ToSeconds(net.now()), a.localAddress, a.remoteAddress, 50, esp.packet);
  net.Apply(0, net.a().ike->DeleteChildSa(net.now()));
  net.RunUntil(Seconds(3));
  writer = PcapWriter("/dev/null"); // flush and close the capture

  std::string options = "-o esp.enable_encryption_decode:TRUE";
  for (const IkeSaInstall &install : net.a().installs)
    if (auto line = WiresharkEspSaLine(install.config))
      options += " -o " + ShellQuote("uat:esp_sa:" + *line);
  auto ikeLine = WiresharkIkev2Line(net.a().ike->spiI(), net.a().ike->spiR(), *net.a().ike->keys(),
                                    a.ikeCipher);
  BOOST_REQUIRE(ikeLine);
  options += " -o " + ShellQuote("uat:ikev2_decryption_table:" + *ikeLine);
  const std::string fields = Run(
      "tshark -n -r " + pcap + " " + options +
      " -T fields -e frame.number -e isakmp.exchangetype -e isakmp.id.type -e isakmp.notify.msgtype"
      " -e isakmp.delete.spi -e esp.spi -e ip.dst -e _ws.expert.message 2>&1");
  BOOST_TEST_MESSAGE(fields);
  std::string line;
  // No expert info at all: no malformed packet, no bad length, no failed decryption.
  BOOST_TEST(fields.find("alformed") == std::string::npos);
  std::istringstream check(fields);
  while (std::getline(check, line)) {
    if (line.empty() || !std::isdigit(static_cast<unsigned char>(line[0]))) continue;
    BOOST_TEST(line.back() == '\t', "expert info in: " << line);
  }
  std::istringstream lines(fields);
  size_t frames = 0;
  while (std::getline(lines, line))
    frames += !line.empty() && std::isdigit(static_cast<unsigned char>(line[0]));
  BOOST_TEST(frames == 9u); // 4 + 2 (rekey) + 1 ESP + 2 (delete)
  // Decrypted IKE_AUTH shows the IDs (type 2 = FQDN), the rekey its REKEY_SA notify (16393)
  // and the INFORMATIONAL its Delete payload; the ESP packet decrypts to the inner 10.2.0.7.
  BOOST_TEST(fields.find("\t2\t") != std::string::npos);
  BOOST_TEST(fields.find("16393") != std::string::npos);
  BOOST_TEST(fields.find("10.2.0.7") != std::string::npos);
}
