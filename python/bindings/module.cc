// The `_tunnelsim` extension: the sans-IO building blocks, one submodule per protocol area.
// The pure-Python package (tunnelsim.wireguard, tunnelsim.ipsec, ...) re-exports them.
#include "bindings.h"

PYBIND11_MODULE(_tunnelsim, m) {
  m.doc() = "tunnelsim protocol building blocks (sans-IO cores bound with pybind11)";
  tunnelsim::python::BindWireguard(m.def_submodule("wireguard", "WireGuard building blocks"));
  tunnelsim::python::BindIpsec(m.def_submodule("ipsec", "ESP building blocks"));
  tunnelsim::python::BindImpairment(
      m.def_submodule("impairment", "the netem-equivalent impairment core"));
}
