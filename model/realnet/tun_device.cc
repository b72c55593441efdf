#include "tun_device.h"

#include "log.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tunnelsim::realnet {

namespace {

// Interface ioctls (SIOCSIFMTU, SIOCSIFFLAGS) go through any socket of the namespace.
class ControlSocket {
public:
  ControlSocket() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~ControlSocket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

private:
  int fd_;
};

ifreq RequestFor(const std::string &name) {
  ifreq request{};
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  return request;
}

} // namespace

std::unique_ptr<TunDevice> TunDevice::Open(const std::string &name, std::string &error) {
  if (name.size() >= IFNAMSIZ) {
    error = "interface name '" + name + "' is longer than " + std::to_string(IFNAMSIZ - 1) +
            " characters";
    return nullptr;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    error = ErrnoMessage("open /dev/net/tun");
    return nullptr;
  }
  ifreq request = RequestFor(name);
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (ioctl(fd, TUNSETIFF, &request) < 0) {
    error = ErrnoMessage("TUNSETIFF " + name);
    close(fd);
    return nullptr;
  }
  std::string actualName(request.ifr_name, strnlen(request.ifr_name, IFNAMSIZ));
  ControlSocket control;
  ifreq indexRequest = RequestFor(actualName);
  if (control.fd() < 0 || ioctl(control.fd(), SIOCGIFINDEX, &indexRequest) < 0) {
    error = ErrnoMessage("SIOCGIFINDEX " + actualName);
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<TunDevice>(new TunDevice(fd, actualName, indexRequest.ifr_ifindex));
}

TunDevice::~TunDevice() { close(fd_); }

bool TunDevice::SetMtu(int mtu, std::string &error) {
  ControlSocket control;
  ifreq request = RequestFor(name_);
  request.ifr_mtu = mtu;
  if (control.fd() < 0 || ioctl(control.fd(), SIOCSIFMTU, &request) < 0) {
    error = ErrnoMessage("set MTU " + std::to_string(mtu) + " on " + name_);
    return false;
  }
  return true;
}

bool TunDevice::SetUp(std::string &error) {
  ControlSocket control;
  ifreq request = RequestFor(name_);
  if (control.fd() < 0 || ioctl(control.fd(), SIOCGIFFLAGS, &request) < 0) {
    error = ErrnoMessage("get flags of " + name_);
    return false;
  }
  request.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(control.fd(), SIOCSIFFLAGS, &request) < 0) {
    error = ErrnoMessage("bring " + name_ + " up");
    return false;
  }
  return true;
}

ssize_t TunDevice::Read(uint8_t *buffer, size_t capacity) { return read(fd_, buffer, capacity); }

bool TunDevice::Write(const uint8_t *packet, size_t size) {
  ssize_t n = write(fd_, packet, size);
  return n == static_cast<ssize_t>(size);
}

} // namespace tunnelsim::realnet
