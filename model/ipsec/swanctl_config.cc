#include "ipsec/swanctl_config.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace tunnelsim::ipsec {

SwanctlError::SwanctlError(const std::string &file, int line, const std::string &key,
                           const std::string &reason)
    : std::runtime_error(file + ":" + std::to_string(line) + ": " +
                         (key.empty() ? std::string() : "'" + key + "': ") + reason),
      file_(file), line_(line), key_(key) {}

namespace {

// --- Syntax: strongSwan's settings format as a tree of sections and key = value pairs. ---

struct SettingsNode {
  std::string name;
  int line = 0;
  bool section = false;
  std::string value;
  std::vector<SettingsNode> children;
};

class SettingsLexer {
public:
  SettingsLexer(const std::string &text, const std::string &file) : text_(text), file_(file) {}

  // Parses the whole text into the children of a root section.
  SettingsNode ParseRoot() {
    SettingsNode root;
    root.section = true;
    ParseBody(root, "", /*topLevel=*/true);
    return root;
  }

private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  static bool IsNameChar(char c) {
    return !std::isspace(static_cast<unsigned char>(c)) && c != '{' && c != '}' && c != '=' &&
           c != '#' && c != '"' && c != ':';
  }

  // Skips blanks, newlines and comments.
  void SkipSpace() {
    while (!AtEnd()) {
      char c = Peek();
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == '#') {
        while (!AtEnd() && Peek() != '\n')
          ++pos_;
      } else {
        return;
      }
    }
  }
  void SkipBlanks() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\r'))
      ++pos_;
  }

  [[noreturn]] void Fail(const std::string &key, const std::string &reason) const {
    throw SwanctlError(file_, line_, key, reason);
  }

  void ParseBody(SettingsNode &parent, const std::string &path, bool topLevel) {
    std::set<std::string> seen;
    for (;;) {
      SkipSpace();
      if (AtEnd()) {
        if (!topLevel) Fail(path, "section is not closed ('}' missing)");
        return;
      }
      if (Peek() == '}') {
        if (topLevel) Fail("", "'}' without an open section");
        ++pos_;
        return;
      }
      size_t start = pos_;
      while (!AtEnd() && IsNameChar(Peek()))
        ++pos_;
      std::string name = text_.substr(start, pos_ - start);
      std::string key = path.empty() ? name : path + "." + name;
      if (name.empty()) Fail(path, std::string("unexpected '") + Peek() + "'");
      int nameLine = line_;
      if (name == "include" && topLevel) Fail(name, "include statements are unsupported");
      SkipBlanks();
      if (AtEnd()) Fail(key, "expected '=' or '{' after the name");
      SettingsNode node;
      node.name = name;
      node.line = nameLine;
      if (Peek() == '{') {
        ++pos_;
        node.section = true;
        ParseBody(node, key, /*topLevel=*/false);
      } else if (Peek() == '=') {
        ++pos_;
        node.value = ParseValue(key);
      } else if (Peek() == ':') {
        Fail(key, "section references (':') are unsupported");
      } else {
        Fail(key, "expected '=' or '{' after the name");
      }
      if (!seen.insert(name).second) {
        line_ = nameLine;
        Fail(key, "defined twice in the same section");
      }
      parent.children.push_back(std::move(node));
    }
  }

  // A value runs to the end of the line (or a '#' comment or a '}'), trimmed; a double-quoted
  // value may contain anything, with \" \\ \n \t escapes.
  std::string ParseValue(const std::string &key) {
    SkipBlanks();
    std::string value;
    if (!AtEnd() && Peek() == '"') {
      ++pos_;
      int startLine = line_;
      for (;;) {
        if (AtEnd()) {
          line_ = startLine;
          Fail(key, "unterminated quoted value");
        }
        char c = text_[pos_++];
        if (c == '"') break;
        if (c == '\n') ++line_;
        if (c == '\\' && !AtEnd()) {
          char e = text_[pos_++];
          value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          value += c;
        }
      }
      SkipBlanks();
      if (!AtEnd() && Peek() != '\n' && Peek() != '#' && Peek() != '}') {
        Fail(key, "unexpected text after the quoted value");
      }
      return value;
    }
    while (!AtEnd() && Peek() != '\n' && Peek() != '#' && Peek() != '}')
      value += text_[pos_++];
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
      value.pop_back();
    }
    return value;
  }

  const std::string &text_;
  const std::string &file_;
  size_t pos_ = 0;
  int line_ = 1;
};

// --- Semantics: the subset the cores implement. ---

// Keys swanctl.conf(5) defines that these cores do not implement: named "unsupported" rather
// than "unknown" in errors, so a strongSwan user knows the file is fine but the feature absent.
const std::set<std::string> kUnsupportedConnectionKeys = {
    "local_port",    "remote_port", "pull",         "dscp",         "encap_mode",  "mobike",
    "fragmentation", "childless",   "send_certreq", "send_cert",    "ocsp",        "ppk_id",
    "ppk_required",  "keyingtries", "unique",       "reauth_time",  "over_time",   "rand_time",
    "pools",         "if_id_in",    "if_id_out",    "mediation",    "mediated_by", "mediation_peer",
    "aggressive",    "vips",        "dpd_timeout",  "close_action", "mark_in",     "mark_out"};
const std::set<std::string> kUnsupportedEndpointKeys = {
    "round", "certs",  "pubkeys", "groups",   "cert_policy", "cacerts",
    "ca_id", "eap_id", "aaa_id",  "xauth_id", "revocation",  "cert"};
const std::set<std::string> kUnsupportedChildKeys = {
    "ah_proposals",  "sha256_96",    "rekey_bytes",      "life_bytes",         "rand_bytes",
    "rekey_packets", "life_packets", "rand_packets",     "rand_time",          "updown",
    "hostaccess",    "policies",     "policies_fwd_out", "dpd_action_restart", "ipcomp",
    "inactivity",    "reqid",        "priority",         "interface",          "mark_in",
    "mark_in_sa",    "mark_out",     "set_mark_in",      "set_mark_out",       "if_id_in",
    "if_id_out",     "label",        "label_mode",       "tfc_padding",        "hw_offload",
    "copy_df",       "copy_ecn",     "copy_dscp",        "close_action",       "local",
    "remote"};

class Interpreter {
public:
  explicit Interpreter(const std::string &file) : file_(file) {}

  SwanctlConfig Run(const SettingsNode &root) {
    SwanctlConfig config;
    for (const SettingsNode &n : root.children) {
      if (n.name == "connections" && n.section) {
        for (const SettingsNode &c : n.children) {
          config.connections.push_back(Connection(c, "connections." + c.name));
        }
      } else if (n.name == "secrets" && n.section) {
        for (const SettingsNode &s : n.children) {
          config.secrets.push_back(Secret(s, "secrets." + s.name));
        }
      } else if (n.name == "authorities" || n.name == "pools") {
        Fail(n, n.name, "unsupported section (no certificates, no virtual IP pools)");
      } else {
        Fail(n, n.name, "unknown key");
      }
    }
    return config;
  }

private:
  [[noreturn]] void Fail(const SettingsNode &n, const std::string &key,
                         const std::string &reason) const {
    throw SwanctlError(file_, n.line, key, reason);
  }
  void RequireSection(const SettingsNode &n, const std::string &key) const {
    if (!n.section) Fail(n, key, "must be a section ({ ... })");
  }
  void RequireValue(const SettingsNode &n, const std::string &key) const {
    if (n.section) Fail(n, key, "must be a value (key = value), not a section");
  }
  void UnknownOrUnsupported(const SettingsNode &n, const std::string &key,
                            const std::set<std::string> &unsupported) const {
    Fail(n, key, unsupported.count(n.name) ? "unsupported key" : "unknown key");
  }

  // Comma- (and blank-) separated list items.
  static std::vector<std::string> Items(const std::string &value) {
    std::vector<std::string> items;
    std::string item;
    for (char c : value + ",") {
      if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
        if (!item.empty()) items.push_back(item);
        item.clear();
      } else {
        item += c;
      }
    }
    return items;
  }

  std::vector<IpAddress> Addresses(const SettingsNode &n, const std::string &key) const {
    std::vector<IpAddress> result;
    for (const std::string &item : Items(n.value)) {
      if (item == "%any" || item == "%any4" || item == "%any6") {
        Fail(n, key, "'" + item + "' is unsupported: give a literal IPv4/IPv6 address");
      }
      auto a = IpAddress::Parse(item);
      if (!a) Fail(n, key, "'" + item + "' is not an IPv4/IPv6 address (host names unsupported)");
      result.push_back(*a);
    }
    if (result.empty()) Fail(n, key, "empty address list");
    return result;
  }

  std::vector<IpPrefix> Selectors(const SettingsNode &n, const std::string &key) const {
    std::vector<IpPrefix> result;
    for (const std::string &item : Items(n.value)) {
      if (item.find('[') != std::string::npos || item.find('-') != std::string::npos ||
          item.find('%') != std::string::npos) {
        Fail(n, key,
             "'" + item + "': protocol/port selectors, ranges and %dynamic are unsupported");
      }
      auto p = IpPrefix::Parse(item);
      if (!p) Fail(n, key, "'" + item + "' is not a subnet (ADDRESS/LENGTH)");
      result.push_back(*p);
    }
    if (result.empty()) Fail(n, key, "empty traffic selector list");
    return result;
  }

  Duration Time(const SettingsNode &n, const std::string &key) const {
    const std::string &v = n.value;
    size_t digits = 0;
    while (digits < v.size() && std::isdigit(static_cast<unsigned char>(v[digits])))
      ++digits;
    std::string unit = v.substr(digits);
    if (digits == 0 || digits > 9 || (unit.size() > 1)) {
      Fail(n, key, "'" + v + "' is not a time (a number with an optional s, m, h or d)");
    }
    double seconds = std::stod(v.substr(0, digits));
    if (unit == "m")
      seconds *= 60;
    else if (unit == "h")
      seconds *= 3600;
    else if (unit == "d")
      seconds *= 86400;
    else if (!unit.empty() && unit != "s") {
      Fail(n, key, "'" + v + "' is not a time (a number with an optional s, m, h or d)");
    }
    return Seconds(seconds);
  }

  uint32_t Number(const SettingsNode &n, const std::string &key, uint32_t max) const {
    const std::string &v = n.value;
    if (v.empty() || v.size() > 10 || !std::all_of(v.begin(), v.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      Fail(n, key, "'" + v + "' is not a non-negative integer");
    }
    uint64_t number = std::stoull(v);
    if (number > max) Fail(n, key, v + " is larger than the supported " + std::to_string(max));
    return static_cast<uint32_t>(number);
  }

  bool Bool(const SettingsNode &n, const std::string &key) const {
    if (n.value == "yes" || n.value == "true" || n.value == "1") return true;
    if (n.value == "no" || n.value == "false" || n.value == "0") return false;
    Fail(n, key, "'" + n.value + "' is not yes or no");
  }

  // "aes256gcm16-prfsha256-x25519", "chacha20poly1305-x25519-esn", "default".
  std::vector<SwanctlProposal> Proposals(const SettingsNode &n, const std::string &key,
                                         bool ike) const {
    std::vector<SwanctlProposal> result;
    for (const std::string &item : Items(n.value)) {
      if (item == "default") {
        SwanctlProposal p;
        p.x25519 = ike;
        result.push_back(p);
        continue;
      }
      SwanctlProposal p;
      int ciphers = 0, prfs = 0, groups = 0, esns = 0, noesns = 0;
      size_t start = 0;
      while (start <= item.size()) {
        size_t dash = item.find('-', start);
        std::string token =
            item.substr(start, dash == std::string::npos ? std::string::npos : dash - start);
        start = dash == std::string::npos ? item.size() + 1 : dash + 1;
        if (token == "aes256gcm16" || token == "aes256gcm128" || token == "aes256gcm") {
          p.cipher = EspCipher::Aes256Gcm16;
          ++ciphers;
        } else if (token == "chacha20poly1305") {
          p.cipher = EspCipher::ChaCha20Poly1305;
          ++ciphers;
        } else if (token == "prfsha256" && ike) {
          ++prfs;
        } else if (token == "x25519" || token == "curve25519") {
          ++groups;
        } else if (token == "esn" && !ike) {
          ++esns;
        } else if (token == "noesn" && !ike) {
          ++noesns;
        } else {
          Fail(n, key,
               "proposal '" + item + "': algorithm '" + token +
                   "' is unsupported (supported: aes256gcm16, chacha20poly1305" +
                   (ike ? ", prfsha256, x25519)" : ", x25519, esn, noesn)"));
        }
      }
      if (ciphers != 1) {
        Fail(n, key,
             "proposal '" + item +
                 "' must name exactly one AEAD (aes256gcm16 or chacha20poly1305)");
      }
      if (ike && (prfs != 1 || groups != 1)) {
        Fail(n, key, "proposal '" + item + "' must name prfsha256 and x25519 once each");
      }
      if (!ike && (groups > 1 || esns + noesns > 1)) {
        Fail(n, key, "proposal '" + item + "': one key exchange and one of esn/noesn at most");
      }
      p.x25519 = groups == 1;
      p.esn = esns == 1;
      result.push_back(p);
    }
    if (result.empty()) Fail(n, key, "empty proposal list");
    return result;
  }

  SwanctlEndpoint Endpoint(const SettingsNode &e, const std::string &path) const {
    RequireSection(e, path);
    SwanctlEndpoint endpoint;
    for (const SettingsNode &n : e.children) {
      std::string key = path + "." + n.name;
      if (n.name == "auth") {
        RequireValue(n, key);
        if (n.value != "psk") Fail(n, key, "'" + n.value + "' is unsupported (only psk)");
      } else if (n.name == "id") {
        RequireValue(n, key);
        if (n.value.empty() || n.value == "%any") {
          Fail(n, key, "give a concrete identity (%any is unsupported)");
        }
        endpoint.id = n.value;
      } else {
        UnknownOrUnsupported(n, key, kUnsupportedEndpointKeys);
      }
    }
    return endpoint;
  }

  SwanctlChild Child(const SettingsNode &c, const std::string &path) const {
    RequireSection(c, path);
    SwanctlChild child;
    child.name = c.name;
    child.line = c.line;
    const SettingsNode *lifeTimeNode = nullptr;
    for (const SettingsNode &n : c.children) {
      std::string key = path + "." + n.name;
      RequireValue(n, key);
      if (n.name == "local_ts") {
        child.localTs = Selectors(n, key);
      } else if (n.name == "remote_ts") {
        child.remoteTs = Selectors(n, key);
      } else if (n.name == "esp_proposals") {
        child.espProposals = Proposals(n, key, /*ike=*/false);
      } else if (n.name == "mode") {
        if (n.value == "tunnel")
          child.mode = EspMode::Tunnel;
        else if (n.value == "transport")
          child.mode = EspMode::Transport;
        else
          Fail(n, key, "'" + n.value + "' is unsupported (tunnel or transport)");
      } else if (n.name == "replay_window") {
        child.replayWindow = Number(n, key, 1u << 20);
      } else if (n.name == "rekey_time") {
        child.rekeyTime = Time(n, key);
      } else if (n.name == "life_time") {
        child.lifeTime = Time(n, key);
        lifeTimeNode = &n;
      } else if (n.name == "start_action") {
        if (n.value == "none")
          child.startAction = SwanctlStartAction::None;
        else if (n.value == "start")
          child.startAction = SwanctlStartAction::Start;
        else if (n.value == "trap")
          child.startAction = SwanctlStartAction::Trap;
        else
          Fail(n, key, "'" + n.value + "' is not none, trap or start");
      } else if (n.name == "dpd_action") {
        if (n.value == "clear" || n.value == "none")
          child.dpdAction = SwanctlDpdAction::Clear;
        else if (n.value == "trap")
          child.dpdAction = SwanctlDpdAction::Trap;
        else if (n.value == "restart")
          child.dpdAction = SwanctlDpdAction::Restart;
        else
          Fail(n, key, "'" + n.value + "' is not clear, trap or restart");
      } else {
        UnknownOrUnsupported(n, key, kUnsupportedChildKeys);
      }
    }
    if (child.espProposals.empty())
      child.espProposals.push_back(
          SwanctlProposal{EspCipher::Aes256Gcm16, /*x25519=*/false, /*esn=*/false});
    if (lifeTimeNode && child.lifeTime <= child.rekeyTime) {
      Fail(*lifeTimeNode, path + ".life_time", "must be longer than rekey_time");
    }
    return child;
  }

  SwanctlConnection Connection(const SettingsNode &c, const std::string &path) const {
    RequireSection(c, path);
    SwanctlConnection conn;
    conn.name = c.name;
    conn.line = c.line;
    bool sawLocal = false, sawRemote = false;
    for (const SettingsNode &n : c.children) {
      std::string key = path + "." + n.name;
      if (n.name == "local" || n.name == "remote") {
        (n.name == "local" ? conn.local : conn.remote) = Endpoint(n, key);
        (n.name == "local" ? sawLocal : sawRemote) = true;
        continue;
      }
      if (n.name.rfind("local-", 0) == 0 || n.name.rfind("remote-", 0) == 0) {
        Fail(n, key, "unsupported key (one authentication round: 'local' and 'remote')");
      }
      if (n.name == "children") {
        RequireSection(n, key);
        for (const SettingsNode &child : n.children) {
          conn.children.push_back(Child(child, key + "." + child.name));
        }
        continue;
      }
      RequireValue(n, key);
      if (n.name == "local_addrs") {
        conn.localAddrs = Addresses(n, key);
      } else if (n.name == "remote_addrs") {
        conn.remoteAddrs = Addresses(n, key);
      } else if (n.name == "version") {
        if (n.value != "2" && n.value != "0")
          Fail(n, key, "'" + n.value + "' is unsupported (IKEv2 only)");
      } else if (n.name == "proposals") {
        conn.proposals = Proposals(n, key, /*ike=*/true);
      } else if (n.name == "dpd_delay") {
        conn.dpdDelay = Time(n, key);
      } else if (n.name == "encap") {
        conn.encap = Bool(n, key);
      } else if (n.name == "rekey_time") {
        conn.rekeyTime = Time(n, key);
      } else {
        UnknownOrUnsupported(n, key, kUnsupportedConnectionKeys);
      }
    }
    if (conn.localAddrs.empty()) Fail(c, path + ".local_addrs", "required (a literal address)");
    if (conn.remoteAddrs.empty()) Fail(c, path + ".remote_addrs", "required (a literal address)");
    if (!sawLocal || !sawRemote) {
      Fail(c, path + (sawLocal ? ".remote" : ".local"), "required (auth = psk)");
    }
    if (conn.children.empty()) Fail(c, path + ".children", "at least one child is required");
    if (conn.proposals.empty()) conn.proposals.push_back(SwanctlProposal{});
    return conn;
  }

  SwanctlSecret Secret(const SettingsNode &s, const std::string &path) const {
    if (s.name != "ike" && s.name.rfind("ike-", 0) != 0 && s.name.rfind("ike_", 0) != 0) {
      Fail(s, path, "unsupported secret type (only ike secrets, i.e. pre-shared keys)");
    }
    RequireSection(s, path);
    SwanctlSecret secret;
    secret.name = s.name;
    bool sawSecret = false;
    for (const SettingsNode &n : s.children) {
      std::string key = path + "." + n.name;
      RequireValue(n, key);
      if (n.name == "id" || n.name.rfind("id-", 0) == 0 || n.name.rfind("id_", 0) == 0) {
        secret.ids.push_back(n.value);
      } else if (n.name == "secret") {
        secret.secret = SecretValue(n, key);
        sawSecret = true;
      } else {
        Fail(n, key, "unknown key");
      }
    }
    if (!sawSecret) Fail(s, path + ".secret", "required");
    return secret;
  }

  // "0x<hex>" is binary; anything else is the string's bytes. Error messages never quote it.
  crypto::Bytes SecretValue(const SettingsNode &n, const std::string &key) const {
    const std::string &v = n.value;
    if (v.empty()) Fail(n, key, "empty secret");
    if (v.rfind("0s", 0) == 0) Fail(n, key, "base64 secrets (0s...) are unsupported; use 0x hex");
    if (v.rfind("0x", 0) != 0) return crypto::Bytes(v.begin(), v.end());
    std::string hex = v.substr(2);
    if (hex.empty() || hex.size() % 2 != 0 || !std::all_of(hex.begin(), hex.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c));
        })) {
      Fail(n, key, "0x secret is not an even number of hex digits");
    }
    crypto::Bytes bytes;
    for (size_t i = 0; i < hex.size(); i += 2) {
      bytes.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return bytes;
  }

  const std::string &file_;
};

} // namespace

Duration SwanctlChild::EffectiveLifeTime() const {
  return lifeTime.count() != 0 ? lifeTime : rekeyTime + rekeyTime / 10;
}

const SwanctlConnection *SwanctlConfig::FindConnection(const std::string &name) const {
  for (const SwanctlConnection &c : connections) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::optional<crypto::Bytes> SwanctlConfig::FindPsk(const std::string &localId,
                                                    const std::string &remoteId) const {
  const SwanctlSecret *best = nullptr;
  int bestScore = -1;
  for (const SwanctlSecret &s : secrets) {
    int score = 0;
    if (!s.ids.empty()) {
      bool local = std::find(s.ids.begin(), s.ids.end(), localId) != s.ids.end();
      bool remote = std::find(s.ids.begin(), s.ids.end(), remoteId) != s.ids.end();
      if (!local && !remote) continue;
      score = (local ? 1 : 0) + (remote ? 2 : 0);
    }
    if (score > bestScore) {
      best = &s;
      bestScore = score;
    }
  }
  if (!best) return std::nullopt;
  return best->secret;
}

SwanctlConfig ParseSwanctlConfig(const std::string &text, const std::string &fileName) {
  SettingsNode root = SettingsLexer(text, fileName).ParseRoot();
  return Interpreter(fileName).Run(root);
}

std::optional<IkeIdPayload> IkeIdFromSwanctl(const std::string &id) {
  if (id.empty()) return std::nullopt;
  if (auto address = IpAddress::Parse(id)) return IkeIdPayload::Address(*address);
  if (id[0] == '@') return IkeIdPayload::Fqdn(id.substr(1));
  if (id.find('@') != std::string::npos) {
    return IkeIdPayload{kIdRfc822Addr, crypto::Bytes(id.begin(), id.end())};
  }
  return IkeIdPayload::Fqdn(id);
}

} // namespace tunnelsim::ipsec
