// Entry points of the per-area binding files and the byte conversions they share.
#pragma once

#include "crypto/bytes.h"

#include <pybind11/pybind11.h>

#include <string>

namespace tunnelsim::python {

void BindWireguard(pybind11::module_ m);
void BindIpsec(pybind11::module_ m);
void BindImpairment(pybind11::module_ m);

// Python bytes (or bytearray) to a byte vector.
crypto::Bytes ToBytes(const pybind11::bytes &value);
pybind11::bytes ToPyBytes(crypto::ByteView value);

} // namespace tunnelsim::python
