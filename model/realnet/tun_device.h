// A Linux TUN interface (IFF_TUN | IFF_NO_PI): each read returns one IP packet the kernel
// routed into the interface, each write hands one IP packet to the kernel's stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>

namespace tunnelsim::realnet {

class TunDevice {
public:
  // Creates the interface `name` (or attaches to an existing persistent one); an empty name
  // lets the kernel choose ("tunN"). The interface disappears when the device is destroyed.
  static std::unique_ptr<TunDevice> Open(const std::string &name, std::string &error);
  ~TunDevice();
  TunDevice(const TunDevice &) = delete;
  TunDevice &operator=(const TunDevice &) = delete;

  int fd() const { return fd_; }
  const std::string &name() const { return name_; }
  int index() const { return index_; }

  bool SetMtu(int mtu, std::string &error);
  bool SetUp(std::string &error);

  // One packet into `buffer`: its size, or -1 with errno set (EAGAIN when none is waiting).
  ssize_t Read(uint8_t *buffer, size_t capacity);
  // False on error (errno set); a full queue (EAGAIN) is an error the caller counts as a drop.
  bool Write(const uint8_t *packet, size_t size);

private:
  TunDevice(int fd, std::string name, int index) : fd_(fd), name_(std::move(name)), index_(index) {}
  int fd_;
  std::string name_;
  int index_;
};

} // namespace tunnelsim::realnet
