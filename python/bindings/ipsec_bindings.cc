// tunnelsim.ipsec: the RFC 4303 anti-replay window and one ESP SA (encrypt/decrypt one packet).
#include "bindings.h"

#include "ipsec/esp_sa.h"
#include "ipsec/replay_window.h"
#include "tunnel/spec.h"

#include <pybind11/stl.h>

#include <array>
#include <limits>
#include <string>

namespace py = pybind11;

namespace tunnelsim::python {
namespace {

using ipsec::EspCipher;
using ipsec::ReplayCheck;
using ipsec::ReplayWindow;

const char *CheckName(ReplayCheck check) {
  switch (check) {
  case ReplayCheck::Ok:
    return "ok";
  case ReplayCheck::Replay:
    return "replay";
  case ReplayCheck::OutsideWindow:
    return "outside-window";
  }
  return "?";
}

// The receiver's window as RFC 4303 3.4.3 runs it when the ICV always verifies: check, then
// update. With ESN the argument is what the wire carries (the low 32 bits) and the full
// number is inferred as Appendix A2 says.
class PyReplayWindow {
public:
  PyReplayWindow(uint32_t size, bool esn) : window_(size), esn_(esn) {}

  std::string Status(uint64_t sequence) const { return CheckName(window_.Check(Full(sequence))); }

  bool Check(uint64_t sequence) {
    const uint64_t full = Full(sequence);
    if (window_.Check(full) != ReplayCheck::Ok) return false;
    window_.Update(full);
    return true;
  }

  uint64_t InferEsn(uint64_t low) const {
    if (low > std::numeric_limits<uint32_t>::max())
      throw py::value_error("the wire carries 32-bit sequence numbers");
    return window_.InferEsn(static_cast<uint32_t>(low));
  }

  uint32_t size() const { return window_.windowSize(); }
  uint64_t highest() const { return window_.highest(); }
  bool esn() const { return esn_; }

private:
  uint64_t Full(uint64_t sequence) const {
    if (sequence > std::numeric_limits<uint32_t>::max()) {
      throw py::value_error(esn_ ? "with ESN, pass the 32-bit sequence number from the wire"
                                 : "without ESN, sequence numbers are 32-bit");
    }
    return esn_ ? window_.InferEsn(static_cast<uint32_t>(sequence)) : sequence;
  }

  ReplayWindow window_;
  bool esn_;
};

EspCipher ParseCipher(const std::string &name) {
  if (name == "chacha20-poly1305" || name == "chacha20poly1305") return EspCipher::ChaCha20Poly1305;
  if (name == "aes-256-gcm" || name == "aes256gcm16") return EspCipher::Aes256Gcm16;
  throw py::value_error("unknown ESP algorithm '" + name +
                        "' (use 'chacha20-poly1305' or 'aes-256-gcm')");
}

std::array<uint8_t, ipsec::kEspIvSize> ParseIv(const py::bytes &value) {
  const crypto::Bytes raw = ToBytes(value);
  if (raw.size() != ipsec::kEspIvSize) throw py::value_error("the ESP IV is 8 bytes");
  std::array<uint8_t, ipsec::kEspIvSize> iv{};
  std::copy(raw.begin(), raw.end(), iv.begin());
  return iv;
}

crypto::Bytes ParseKeymat(const py::bytes &value) {
  crypto::Bytes raw = ToBytes(value);
  if (raw.size() != ipsec::kEspKeymatSize)
    throw py::value_error("ESP keying material is 36 bytes: a 32-byte key, then a 4-byte salt");
  return raw;
}

class PyEspSa {
public:
  PyEspSa(uint32_t spi, const py::bytes &key, const std::string &algorithm, bool esn,
          uint32_t replayWindow, const std::string &mode, uint64_t initialSequence)
      : cipher_(ParseCipher(algorithm)), keymat_(ParseKeymat(key)), esn_(esn),
        sa_(Config(spi, cipher_, keymat_, esn, replayWindow, mode, initialSequence)) {}

  py::bytes Encrypt(const py::bytes &payload, uint64_t sequence, const py::bytes &iv,
                    uint8_t nextHeader) const {
    if (!esn_ && sequence > std::numeric_limits<uint32_t>::max())
      throw py::value_error("without ESN, sequence numbers are 32-bit");
    return ToPyBytes(ipsec::EspEncrypt(cipher_, keymat_, sa_.spi(), sequence, esn_, ParseIv(iv),
                                       ToBytes(payload), nextHeader));
  }

  // (status, payload, next header, full sequence number) of the SA's own next packet.
  py::tuple Seal(const py::bytes &payload, uint8_t nextHeader) {
    ipsec::EspSealResult sealed = sa_.Seal(ToBytes(payload), nextHeader);
    return py::make_tuple(ipsec::EspStatusName(sealed.status), ToPyBytes(sealed.packet),
                          sealed.sequence);
  }

  py::tuple Open(const py::bytes &packet) {
    ipsec::EspOpenResult opened = sa_.Open(ToBytes(packet));
    return py::make_tuple(ipsec::EspStatusName(opened.status), ToPyBytes(opened.payload),
                          opened.nextHeader, opened.sequence);
  }

  py::dict Counters() const {
    const ipsec::EspCounters &c = sa_.counters();
    py::dict d;
    d["packets"] = c.packets;
    d["bytes"] = c.bytes;
    d["drop_replay"] = c.dropReplay;
    d["drop_outside_window"] = c.dropOutsideWindow;
    d["drop_icv"] = c.dropIcv;
    d["drop_malformed"] = c.dropMalformed;
    d["drop_sequence_overflow"] = c.dropSequenceOverflow;
    d["dummy"] = c.dummy;
    return d;
  }

  uint32_t spi() const { return sa_.spi(); }
  std::string algorithm() const {
    return cipher_ == EspCipher::ChaCha20Poly1305 ? "chacha20-poly1305" : "aes-256-gcm";
  }
  bool esn() const { return esn_; }
  uint64_t lastSequence() const { return sa_.lastSequence(); }
  uint64_t highestReceived() const { return sa_.replayWindow().highest(); }

private:
  static ipsec::EspSaConfig Config(uint32_t spi, EspCipher cipher, const crypto::Bytes &keymat,
                                   bool esn, uint32_t replayWindow, const std::string &mode,
                                   uint64_t initialSequence) {
    ipsec::EspSaConfig c;
    c.spi = spi;
    c.cipher = cipher;
    c.keymat = keymat;
    c.esn = esn;
    c.replayWindow = replayWindow;
    if (mode == "tunnel") {
      c.mode = ipsec::EspMode::Tunnel;
    } else if (mode == "transport") {
      c.mode = ipsec::EspMode::Transport;
    } else {
      throw py::value_error("mode is 'tunnel' or 'transport', not '" + mode + "'");
    }
    c.initialSequence = initialSequence;
    return c;
  }

  EspCipher cipher_;
  crypto::Bytes keymat_;
  bool esn_;
  ipsec::EspSa sa_;
};

} // namespace

void BindIpsec(py::module_ m) {
  // The defaults a scenario's tunnel.ipsec table has (model/tunnel/spec.h), so a Python user
  // building an SA by hand gets what `tunnelsim run` would use.
  const tunnel::IpsecSpec ipsecDefaults;
  py::class_<PyReplayWindow>(m, "ReplayWindow",
                             "RFC 4303 3.4.3 anti-replay window (Appendix A2 ESN inference).")
      .def(py::init<uint32_t, bool>(), py::arg("size") = ipsecDefaults.replayWindow,
           py::arg("esn") = ipsecDefaults.esn)
      .def("check", &PyReplayWindow::Check, py::arg("seq"),
           "True and the window updated when `seq` is new and not too old, else False.")
      .def("status", &PyReplayWindow::Status, py::arg("seq"),
           "'ok', 'replay' or 'outside-window' for `seq`, without updating the window.")
      .def("infer_esn", &PyReplayWindow::InferEsn, py::arg("low"))
      .def_property_readonly("size", &PyReplayWindow::size)
      .def_property_readonly("highest", &PyReplayWindow::highest)
      .def_property_readonly("esn", &PyReplayWindow::esn)
      .attr("MAX_SIZE") = py::int_(ReplayWindow::kMaxWindowSize);

  py::class_<PyEspSa>(m, "_EspSa")
      .def(py::init<uint32_t, const py::bytes &, const std::string &, bool, uint32_t,
                    const std::string &, uint64_t>(),
           py::arg("spi"), py::arg("key"),
           py::arg("algorithm") =
               std::string(tunnel::kAeadNames[static_cast<size_t>(ipsecDefaults.encryption)]),
           py::arg("esn") = ipsecDefaults.esn,
           py::arg("replay_window") = ipsecDefaults.replayWindow, py::arg("mode") = "tunnel",
           py::arg("initial_sequence") = 0)
      .def("encrypt", &PyEspSa::Encrypt, py::arg("payload"), py::arg("seq"), py::arg("iv"),
           py::arg("next_header") = ipsec::kEspNextHeaderIpv4)
      .def("_seal", &PyEspSa::Seal, py::arg("payload"), py::arg("next_header"))
      .def("_open", &PyEspSa::Open, py::arg("packet"))
      .def_property_readonly("counters", &PyEspSa::Counters)
      .def_property_readonly("spi", &PyEspSa::spi)
      .def_property_readonly("algorithm", &PyEspSa::algorithm)
      .def_property_readonly("esn", &PyEspSa::esn)
      .def_property_readonly("last_sequence", &PyEspSa::lastSequence)
      .def_property_readonly("highest_received", &PyEspSa::highestReceived);

  m.def("algorithm_available",
        [](const std::string &name) { return ipsec::EspCipherAvailable(ParseCipher(name)); });
  m.attr("NEXT_HEADER_IPV4") = ipsec::kEspNextHeaderIpv4;
  m.attr("NEXT_HEADER_IPV6") = ipsec::kEspNextHeaderIpv6;
  m.attr("NEXT_HEADER_GRE") = ipsec::kEspNextHeaderGre;
}

} // namespace tunnelsim::python
