// tunnelsim.impairment: the netem-equivalent core, so Python can check analytic models of
// its reordering against the very decisions the simulator makes.
#include "bindings.h"

#include "impairment/impairment_core.h"
#include "impairment/netem_parser.h"

#include <pybind11/stl.h>

#include <string>
#include <tuple>
#include <vector>

namespace py = pybind11;

namespace tunnelsim::python {
namespace {

using impairment::ImpairmentCore;

// (packet number, copy is a duplicate, deliver-at ns or None when dropped, tie order, reordered)
using CopyRow = std::tuple<uint64_t, bool, std::optional<int64_t>, int64_t, bool>;

class PyNetemCore {
public:
  explicit PyNetemCore(const std::string &arguments)
      : core_(Parse(arguments)), arguments_(arguments) {}

  std::vector<CopyRow> Process(size_t size, int64_t nowNs) {
    std::vector<CopyRow> rows;
    Append(core_.Process(impairment::PacketRef{nullptr, size}, Time(nowNs)), rows);
    return rows;
  }

  // `count` packets of `size` bytes arriving every `intervalNs` from t = 0: the common case of
  // a constant-rate stream, done in one call.
  std::vector<CopyRow> ProcessStream(uint64_t count, int64_t intervalNs, size_t size) {
    if (intervalNs < 0) throw py::value_error("interval must not be negative");
    std::vector<CopyRow> rows;
    rows.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      const Time now(static_cast<int64_t>(i) * intervalNs);
      Append(core_.Process(impairment::PacketRef{nullptr, size}, now), rows);
    }
    return rows;
  }

  py::dict Counters() const {
    const impairment::ImpairmentCounters &c = core_.Counters();
    py::dict d;
    d["packets"] = c.packets;
    d["delivered"] = c.delivered;
    d["lost"] = c.lost;
    d["queue_drops"] = c.queueDrops;
    d["duplicated"] = c.duplicated;
    d["corrupted"] = c.corrupted;
    d["reordered"] = c.reordered;
    d["delayed"] = c.delayed;
    d["total_delay_ns"] = c.totalDelayNs;
    return d;
  }

  const std::string &arguments() const { return arguments_; }

private:
  static impairment::NetemSettings Parse(const std::string &arguments) {
    try {
      return impairment::ParseNetemArguments(arguments);
    } catch (const std::invalid_argument &error) {
      throw py::value_error(error.what());
    }
  }

  static void Append(const impairment::Decision &decision, std::vector<CopyRow> &rows) {
    for (const impairment::CopyDecision &copy : decision.copies) {
      std::optional<int64_t> at;
      if (copy.Delivered()) at = copy.deliverAt.count();
      rows.emplace_back(decision.packetNumber, copy.duplicate, at, copy.order, copy.reordered);
    }
  }

  ImpairmentCore core_;
  std::string arguments_;
};

} // namespace

void BindImpairment(py::module_ m) {
  py::class_<PyNetemCore>(m, "NetemCore",
                          "The netem-equivalent core, configured from tc-netem options.")
      .def(py::init<const std::string &>(), py::arg("netem"))
      .def("process", &PyNetemCore::Process, py::arg("size"), py::arg("now_ns"),
           "Rows (packet, duplicate, deliver_at_ns or None, order, reordered) per copy.")
      .def("process_stream", &PyNetemCore::ProcessStream, py::arg("count"), py::arg("interval_ns"),
           py::arg("size") = 1400)
      .def_property_readonly("counters", &PyNetemCore::Counters)
      .def_property_readonly("netem", &PyNetemCore::arguments);
}

} // namespace tunnelsim::python
