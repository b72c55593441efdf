#include "netlink.h"

#include "log.h"

#include <cerrno>
#include <cstring>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace tunnelsim::realnet {

namespace {

// One rtnetlink request: a header, a fixed family-specific struct, then attributes.
class NetlinkRequest {
public:
  NetlinkRequest(uint16_t type, uint16_t flags, const void *body, size_t bodySize) {
    buffer_.resize(NLMSG_SPACE(bodySize));
    auto *header = reinterpret_cast<nlmsghdr *>(buffer_.data());
    header->nlmsg_type = type;
    header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    header->nlmsg_seq = 1;
    std::memcpy(NLMSG_DATA(header), body, bodySize);
  }

  void AddAttribute(uint16_t type, const void *data, size_t size) {
    size_t offset = NLMSG_ALIGN(buffer_.size());
    buffer_.resize(offset + RTA_SPACE(size));
    auto *attribute = reinterpret_cast<rtattr *>(buffer_.data() + offset);
    attribute->rta_type = type;
    attribute->rta_len = RTA_LENGTH(size);
    std::memcpy(RTA_DATA(attribute), data, size);
  }

  // Sends the request and waits for the kernel's acknowledgement: 0 or an errno value.
  int Execute() {
    auto *header = reinterpret_cast<nlmsghdr *>(buffer_.data());
    header->nlmsg_len = static_cast<uint32_t>(buffer_.size());
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return errno;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    int result = 0;
    if (sendto(fd, buffer_.data(), buffer_.size(), 0, reinterpret_cast<sockaddr *>(&kernel),
               sizeof kernel) < 0) {
      result = errno;
    } else {
      alignas(nlmsghdr) char reply[4096];
      ssize_t n = recv(fd, reply, sizeof reply, 0);
      if (n < 0) {
        result = errno;
      } else {
        result = EPROTO;
        for (auto *msg = reinterpret_cast<nlmsghdr *>(reply); NLMSG_OK(msg, n);
             msg = NLMSG_NEXT(msg, n)) {
          if (msg->nlmsg_type == NLMSG_ERROR) {
            result = -reinterpret_cast<nlmsgerr *>(NLMSG_DATA(msg))->error;
            break;
          }
        }
      }
    }
    close(fd);
    return result;
  }

private:
  std::vector<uint8_t> buffer_;
};

std::string ErrorText(int error) { return std::strerror(error); }

} // namespace

bool AddInterfaceAddress(int ifindex, const IpAddress &address, unsigned prefixLength,
                         std::string &error) {
  ifaddrmsg body{};
  body.ifa_family = address.IsV4() ? AF_INET : AF_INET6;
  body.ifa_prefixlen = static_cast<uint8_t>(prefixLength);
  body.ifa_index = static_cast<uint32_t>(ifindex);
  // A tunnel has no neighbours to run duplicate address detection against.
  body.ifa_flags = address.IsV4() ? 0 : IFA_F_NODAD;
  NetlinkRequest request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &body, sizeof body);
  request.AddAttribute(IFA_LOCAL, address.data(), address.size());
  request.AddAttribute(IFA_ADDRESS, address.data(), address.size());
  int result = request.Execute();
  if (result != 0 && result != EEXIST) {
    error = "add address " + address.ToString() + "/" + std::to_string(prefixLength) + ": " +
            ErrorText(result);
    return false;
  }
  return true;
}

bool AddInterfaceRoute(int ifindex, const IpPrefix &prefix, std::string &error) {
  rtmsg body{};
  body.rtm_family = prefix.address.IsV4() ? AF_INET : AF_INET6;
  body.rtm_dst_len = static_cast<uint8_t>(prefix.length);
  body.rtm_table = RT_TABLE_MAIN;
  body.rtm_protocol = RTPROT_BOOT;
  body.rtm_scope = RT_SCOPE_LINK;
  body.rtm_type = RTN_UNICAST;
  NetlinkRequest request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &body, sizeof body);
  request.AddAttribute(RTA_DST, prefix.address.data(), prefix.address.size());
  uint32_t index = static_cast<uint32_t>(ifindex);
  request.AddAttribute(RTA_OIF, &index, sizeof index);
  int result = request.Execute();
  if (result != 0 && result != EEXIST) {
    error = "add route " + prefix.ToString() + ": " + ErrorText(result);
    return false;
  }
  return true;
}

} // namespace tunnelsim::realnet
