// A raw IP socket for ESP (IP protocol 50) without UDP encapsulation: the kernel adds the
// outer IP header on send; on receive an IPv4 socket also returns the IPv4 header, which is
// stripped here so callers always get the ESP payload.
#pragma once

#include "common/ip_address.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>

namespace tunnelsim::realnet {

class EspSocket {
public:
  static std::unique_ptr<EspSocket> Open(IpAddress::Family family, std::string &error);
  ~EspSocket();
  EspSocket(const EspSocket &) = delete;
  EspSocket &operator=(const EspSocket &) = delete;

  int fd() const { return fd_; }
  bool SendTo(const IpAddress &to, const uint8_t *data, size_t size);
  // One ESP payload into `buffer` (starting at `*payloadOffset`): its size, or -1 with errno
  // set (EAGAIN when none is waiting). `from` is the packet's source address.
  ssize_t Receive(uint8_t *buffer, size_t capacity, size_t &payloadOffset,
                  std::optional<IpAddress> &from);

private:
  EspSocket(int fd, IpAddress::Family family) : fd_(fd), family_(family) {}
  int fd_;
  IpAddress::Family family_;
};

} // namespace tunnelsim::realnet
