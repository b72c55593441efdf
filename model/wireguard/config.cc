#include "config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace tunnelsim::wireguard {

ConfigError::ConfigError(std::string file, size_t line, std::string key, const std::string &message)
    : std::runtime_error(file + ":" + std::to_string(line) + ": " + key + ": " + message),
      file_(std::move(file)), line_(line), key_(std::move(key)) {}

std::optional<std::array<uint8_t, 32>> ParseKey(const std::string &base64) {
  if (base64.size() != 44 || base64[43] != '=') return std::nullopt;
  try {
    crypto::Bytes bytes = crypto::FromBase64(base64);
    if (bytes.size() != 32) return std::nullopt;
    std::array<uint8_t, 32> key{};
    std::copy(bytes.begin(), bytes.end(), key.begin());
    crypto::SecureWipe(bytes.data(), bytes.size());
    return key;
  } catch (const std::invalid_argument &) {
    return std::nullopt;
  }
}

namespace {

std::string Trim(const std::string &s) {
  size_t begin = 0, end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin])))
    ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1])))
    --end;
  return s.substr(begin, end - begin);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> SplitList(const std::string &value) {
  std::vector<std::string> items;
  std::stringstream stream(value);
  std::string item;
  while (std::getline(stream, item, ','))
    items.push_back(Trim(item));
  return items;
}

std::optional<uint64_t> ParseUnsigned(const std::string &text, uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  for (size_t i = hex ? 2 : 0; i < text.size(); ++i) {
    char c = text[i];
    uint64_t digit;
    if (std::isdigit(static_cast<unsigned char>(c)))
      digit = static_cast<uint64_t>(c - '0');
    else if (hex && std::isxdigit(static_cast<unsigned char>(c)))
      digit = static_cast<uint64_t>(std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
    else
      return std::nullopt;
    uint64_t base = hex ? 16 : 10;
    if (value > (max - digit) / base) return std::nullopt;
    value = value * base + digit;
  }
  return value;
}

class Parser {
public:
  explicit Parser(std::string fileName) : file_(std::move(fileName)) {}

  DeviceConfig Parse(const std::string &text) {
    std::stringstream stream(text);
    std::string raw;
    while (std::getline(stream, raw)) {
      ++line_;
      std::string content = raw.substr(0, raw.find('#'));
      content = Trim(content);
      if (content.empty()) continue;
      if (content.front() == '[') {
        StartSection(content);
        continue;
      }
      size_t eq = content.find('=');
      if (eq == std::string::npos) Fail(content, "expected 'Key = Value'");
      std::string key = Trim(content.substr(0, eq));
      std::string value = Trim(content.substr(eq + 1));
      if (key.empty()) Fail("(empty)", "missing key before '='");
      if (section_ == Section::None) Fail(key, "key outside of an [Interface] or [Peer] section");
      if (section_ == Section::Interface)
        InterfaceKey(key, value);
      else
        PeerKey(key, value);
    }
    FinishPeer();
    if (!sawInterface_)
      throw ConfigError(file_, line_, "[Interface]", "missing [Interface] section");
    if (!sawPrivateKey_)
      throw ConfigError(file_, interfaceLine_, "PrivateKey", "[Interface] has no PrivateKey");
    return std::move(config_);
  }

private:
  enum class Section { None, Interface, Peer };

  [[noreturn]] void Fail(const std::string &key, const std::string &message) const {
    throw ConfigError(file_, line_, key, message);
  }

  void StartSection(const std::string &content) {
    if (content.back() != ']') Fail(content, "unterminated section header");
    std::string name = Lower(Trim(content.substr(1, content.size() - 2)));
    FinishPeer();
    if (name == "interface") {
      if (sawInterface_) Fail("[Interface]", "duplicate [Interface] section");
      sawInterface_ = true;
      interfaceLine_ = line_;
      section_ = Section::Interface;
    } else if (name == "peer") {
      section_ = Section::Peer;
      peer_ = PeerConfig{};
      peerLine_ = line_;
      sawPublicKey_ = false;
    } else {
      Fail(content, "unknown section (expected [Interface] or [Peer])");
    }
  }

  void FinishPeer() {
    if (section_ != Section::Peer) return;
    if (!sawPublicKey_) throw ConfigError(file_, peerLine_, "PublicKey", "[Peer] has no PublicKey");
    for (const PeerConfig &other : config_.peers)
      if (other.publicKey == peer_.publicKey)
        throw ConfigError(file_, peerLine_, "PublicKey", "duplicate peer public key");
    config_.peers.push_back(std::move(peer_));
    peer_ = PeerConfig{};
    section_ = Section::None;
  }

  void InterfaceKey(const std::string &key, const std::string &value) {
    const std::string k = Lower(key);
    if (k == "privatekey") {
      auto parsed = ParseKey(value);
      if (!parsed) Fail(key, "not a base64-encoded 32-byte key");
      config_.privateKey = crypto::X25519PrivateKey(*parsed);
      sawPrivateKey_ = true;
    } else if (k == "listenport") {
      auto port = ParseUnsigned(value, 65535);
      if (!port) Fail(key, "'" + value + "' is not a port number (0-65535)");
      config_.listenPort = static_cast<uint16_t>(*port);
    } else if (k == "mtu") {
      auto mtu = ParseUnsigned(value, 65535);
      if (!mtu || *mtu < 576) Fail(key, "'" + value + "' is not an MTU (576-65535)");
      config_.mtu = static_cast<size_t>(*mtu);
    } else if (k == "fwmark") {
      if (Lower(value) == "off") {
        config_.fwMark = 0;
        return;
      }
      auto mark = ParseUnsigned(value, UINT32_MAX);
      if (!mark) Fail(key, "'" + value + "' is not a 32-bit mark or 'off'");
      config_.fwMark = static_cast<uint32_t>(*mark);
    } else if (k == "address") {
      for (const std::string &item : SplitList(value)) {
        auto prefix = ParseInterfaceAddress(item);
        if (!prefix) Fail(key, "'" + item + "' is not an IP address or prefix");
        config_.addresses.push_back(*prefix);
      }
    } else if (k == "dns") {
      for (const std::string &item : SplitList(value))
        if (!item.empty()) config_.dns.push_back(item);
    } else if (k == "table" || k == "preup" || k == "postup" || k == "predown" || k == "postdown" ||
               k == "saveconfig") {
      config_.ignoredKeys.push_back(key);
    } else {
      Fail(key, "unknown key in [Interface]");
    }
  }

  // wg-quick Address keeps host bits ("10.0.0.1/24"); IpPrefix masks them, so parse the
  // address part separately and keep it whole.
  static std::optional<IpPrefix> ParseInterfaceAddress(const std::string &item) {
    size_t slash = item.find('/');
    auto address = IpAddress::Parse(item.substr(0, slash));
    if (!address) return std::nullopt;
    unsigned length = address->bits();
    if (slash != std::string::npos) {
      auto parsed = ParseUnsigned(item.substr(slash + 1), address->bits());
      if (!parsed || item.find("0x", slash) != std::string::npos) return std::nullopt;
      length = static_cast<unsigned>(*parsed);
    }
    IpPrefix prefix;
    prefix.address = *address;
    prefix.length = length;
    return prefix;
  }

  void PeerKey(const std::string &key, const std::string &value) {
    const std::string k = Lower(key);
    if (k == "publickey") {
      auto parsed = ParseKey(value);
      if (!parsed) Fail(key, "not a base64-encoded 32-byte key");
      peer_.publicKey = *parsed;
      sawPublicKey_ = true;
    } else if (k == "presharedkey") {
      auto parsed = ParseKey(value);
      if (!parsed) Fail(key, "not a base64-encoded 32-byte key");
      peer_.presharedKey = PresharedKey(*parsed);
    } else if (k == "allowedips") {
      for (const std::string &item : SplitList(value)) {
        if (item.empty()) continue;
        auto prefix = IpPrefix::Parse(item);
        if (!prefix) Fail(key, "'" + item + "' is not an IP prefix");
        peer_.allowedIps.push_back(*prefix);
      }
    } else if (k == "endpoint") {
      auto endpoint = Endpoint::Parse(value);
      if (!endpoint)
        Fail(key, "'" + value + "' is not IP:port or [IPv6]:port (hostnames are not resolved)");
      peer_.endpoint = *endpoint;
    } else if (k == "persistentkeepalive") {
      if (Lower(value) == "off") {
        peer_.persistentKeepalive = Duration(0);
        return;
      }
      auto seconds = ParseUnsigned(value, 65535);
      if (!seconds || value.find_first_not_of("0123456789") != std::string::npos)
        Fail(key, "'" + value + "' is not a number of seconds (0-65535) or 'off'");
      peer_.persistentKeepalive = Seconds(static_cast<double>(*seconds));
    } else {
      Fail(key, "unknown key in [Peer]");
    }
  }

  std::string file_;
  size_t line_ = 0;
  Section section_ = Section::None;
  DeviceConfig config_;
  PeerConfig peer_;
  bool sawInterface_ = false;
  bool sawPrivateKey_ = false;
  bool sawPublicKey_ = false;
  size_t interfaceLine_ = 0;
  size_t peerLine_ = 0;
};

} // namespace

DeviceConfig ParseWgQuickConfig(const std::string &text, const std::string &fileName) {
  return Parser(fileName).Parse(text);
}

DeviceConfig LoadWgQuickConfig(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, "(file)", "cannot be opened");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseWgQuickConfig(buffer.str(), path);
}

} // namespace tunnelsim::wireguard
