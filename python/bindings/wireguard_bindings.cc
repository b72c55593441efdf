// tunnelsim.wireguard: the anti-replay counter, the cryptokey routing table and key generation.
#include "bindings.h"

#include "common/ip_address.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "wireguard/allowedips.h"
#include "wireguard/constants.h"
#include "wireguard/replay.h"

#include <pybind11/stl.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

namespace py = pybind11;

namespace tunnelsim::python {

crypto::Bytes ToBytes(const py::bytes &value) {
  const std::string text = value;
  return crypto::Bytes(text.begin(), text.end());
}

py::bytes ToPyBytes(crypto::ByteView value) {
  return py::bytes(reinterpret_cast<const char *>(value.data()), value.size());
}

namespace {

using wireguard::AllowedIps;
using wireguard::ReplayFilter;

// A peer as the trie sees it: any Python object, kept alive by the table. Peers are matched
// by Python equality, so inserting with an equal object (e.g. the same public key string)
// reuses the same owner.
struct PeerHandle {
  py::object peer;
};

class PyAllowedIps {
public:
  void Insert(const std::string &prefix, py::object peer) {
    table_.Insert(ParsePrefix(prefix), Handle(peer, true));
  }

  py::object Lookup(const std::string &address) const {
    const auto parsed = IpAddress::Parse(address);
    if (!parsed) throw py::value_error("not an IP address: '" + address + "'");
    PeerHandle *owner = table_.Lookup(*parsed);
    return owner ? owner->peer : py::none();
  }

  bool Remove(const std::string &prefix) {
    const bool removed = table_.Remove(ParsePrefix(prefix));
    ForgetUnused();
    return removed;
  }

  void RemovePeer(py::object peer) {
    if (PeerHandle *handle = Handle(peer, false)) table_.RemoveOwner(handle);
    ForgetUnused();
  }

  std::vector<std::string> PrefixesOf(py::object peer) const {
    std::vector<std::string> out;
    const PeerHandle *handle = Find(peer);
    if (!handle) return out;
    for (const IpPrefix &prefix : table_.PrefixesOf(handle))
      out.push_back(prefix.ToString());
    return out;
  }

  size_t size() const { return table_.size(); }

private:
  static IpPrefix ParsePrefix(const std::string &text) {
    const auto parsed = IpPrefix::Parse(text);
    if (!parsed) throw py::value_error("not an IP prefix: '" + text + "'");
    return *parsed;
  }

  const PeerHandle *Find(const py::object &peer) const {
    for (const auto &handle : handles_)
      if (handle->peer.equal(peer)) return handle.get();
    return nullptr;
  }

  PeerHandle *Handle(const py::object &peer, bool create) {
    if (peer.is_none()) throw py::value_error("peer must not be None");
    if (const PeerHandle *found = Find(peer)) return const_cast<PeerHandle *>(found);
    if (!create) return nullptr;
    handles_.push_back(std::make_unique<PeerHandle>(PeerHandle{peer}));
    return handles_.back().get();
  }

  // Drops handles that own no prefix any more, so removed peers are not kept alive.
  void ForgetUnused() {
    handles_.erase(std::remove_if(handles_.begin(), handles_.end(),
                                  [&](const std::unique_ptr<PeerHandle> &handle) {
                                    return table_.PrefixesOf(handle.get()).empty();
                                  }),
                   handles_.end());
  }

  AllowedIps<PeerHandle> table_;
  std::vector<std::unique_ptr<PeerHandle>> handles_;
};

crypto::X25519PrivateKey PrivateKeyFromBase64(const std::string &text) {
  crypto::Bytes raw;
  try {
    raw = crypto::FromBase64(text);
  } catch (const std::invalid_argument &) {
    throw py::value_error("key is not valid base64");
  }
  if (raw.size() != crypto::kX25519KeySize) throw py::value_error("key must be 32 bytes");
  crypto::X25519PrivateKey key;
  std::copy(raw.begin(), raw.end(), key.data());
  crypto::SecureWipe(raw.data(), raw.size());
  return key;
}

std::string GeneratePrivateKey(std::optional<uint64_t> seed) {
  crypto::SystemRandom system;
  std::optional<crypto::DeterministicRandom> seeded;
  if (seed) seeded.emplace(*seed);
  crypto::RandomSource &rng = seeded ? static_cast<crypto::RandomSource &>(*seeded) : system;
  const crypto::X25519KeyPair pair = crypto::GenerateX25519KeyPair(rng);
  return crypto::ToBase64(pair.privateKey.view());
}

std::string PublicKey(const std::string &privateKey) {
  // `wg pubkey` clamps before multiplying, so an unclamped private key gives the same result.
  crypto::X25519PrivateKey key = PrivateKeyFromBase64(privateKey);
  crypto::ClampX25519(key);
  return crypto::ToBase64(crypto::X25519PublicFromPrivate(key));
}

} // namespace

void BindWireguard(py::module_ m) {
  const uint64_t rejectAfter = wireguard::Constants{}.rejectAfterMessages;
  py::class_<ReplayFilter>(m, "ReplayCounter",
                           "The transport-data anti-replay counter of Linux's WireGuard "
                           "(8128 counters behind the greatest one are tracked; window_size, "
                           "a multiple of 64, changes that for what-if experiments).")
      .def(py::init<uint64_t, uint64_t>(), py::arg("reject_after_messages") = rejectAfter,
           py::arg("window_size") = ReplayFilter::kWindowSize)
      .def_property_readonly("window_size", &ReplayFilter::windowSize)
      .def("validate", &ReplayFilter::ValidateAndRecord, py::arg("counter"),
           "Accepts `counter` once: False for a replay, a counter too far behind the greatest "
           "one, or one at/after REJECT_AFTER_MESSAGES.")
      .def("reset", &ReplayFilter::Reset)
      .def_property_readonly("next", &ReplayFilter::next,
                             "One past the greatest accepted counter (0 before any).")
      .attr("WINDOW_SIZE") = py::int_(ReplayFilter::kWindowSize);
  m.attr("REJECT_AFTER_MESSAGES") = py::int_(rejectAfter);

  py::class_<PyAllowedIps>(m, "AllowedIPs",
                           "Cryptokey routing: longest-prefix match from an address to a peer.")
      .def(py::init<>())
      .def("insert", &PyAllowedIps::Insert, py::arg("prefix"), py::arg("peer"))
      .def("lookup", &PyAllowedIps::Lookup, py::arg("address"))
      .def("remove", &PyAllowedIps::Remove, py::arg("prefix"))
      .def("remove_peer", &PyAllowedIps::RemovePeer, py::arg("peer"))
      .def("prefixes", &PyAllowedIps::PrefixesOf, py::arg("peer"))
      .def("__len__", &PyAllowedIps::size);

  m.def("generate_private_key", &GeneratePrivateKey, py::arg("seed") = py::none(),
        "A clamped Curve25519 private key in base64, like `wg genkey` (seeded for tests).");
  m.def("public_key", &PublicKey, py::arg("private_key"),
        "The base64 public key of a base64 private key, like `wg pubkey`.");
}

} // namespace tunnelsim::python
